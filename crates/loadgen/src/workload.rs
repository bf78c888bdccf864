//! What the requests carry: order bodies, lookup keys, list pages. Pure, so it is tested
//! without a server.

use serde_json::{Value, json};

/// SplitMix64: small, fast, and good enough to spread keys; seeded per client so a run is
/// repeatable for a given run id.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi` (the tiny modulo bias does not matter for load).
    pub(crate) fn in_range(&mut self, (lo, hi): (u64, u64)) -> u64 {
        let span = hi - lo;
        if span == u64::MAX {
            return self.next_u64();
        }
        lo + self.next_u64() % (span + 1)
    }
}

/// A stable seed from the run id and the client number.
pub(crate) fn client_seed(run_id: &str, client: usize) -> u64 {
    // FNV-1a over the run id, then mixed with the client number.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in run_id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h ^ (client as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// The kinds of contact an intake run sends, with their share (out of 10): mostly outage
/// repairs, as on a stormy day, and bill questions.
const ORDER_MIX: &[(u64, &str, &str, &str, &str, &str)] = &[
    (
        5,
        "repair",
        "hotline_95598",
        "outage",
        "停电报修",
        "家中突然停电，邻居家也没有电，请尽快派人抢修。",
    ),
    (
        1,
        "repair",
        "app",
        "supply_quality",
        "电压不稳",
        "晚上灯光忽明忽暗，空调无法正常启动。",
    ),
    (
        3,
        "consultation",
        "hotline_95598",
        "tariff_bill",
        "电费咨询",
        "本月电费比上月高出很多，想了解阶梯电价的计算方法。",
    ),
    (
        1,
        "consultation",
        "app",
        "metering",
        "电表读数咨询",
        "电表显示的读数与账单不一致，请帮忙核对。",
    ),
];

/// The JSON body of one `POST /api/v1/work-orders`.
pub(crate) fn order_body(rng: &mut Rng, key: &str, account_range: Option<(u64, u64)>) -> Value {
    let total: u64 = ORDER_MIX.iter().map(|m| m.0).sum();
    let mut pick = rng.next_u64() % total;
    let mut chosen = &ORDER_MIX[0];
    for m in ORDER_MIX {
        if pick < m.0 {
            chosen = m;
            break;
        }
        pick -= m.0;
    }
    let (_, order_type, channel, subject, title, description) = *chosen;
    let mut body = json!({
        "order_type": order_type,
        "channel": channel,
        "subject": subject,
        "title": title,
        "description": format!("{description}（压测 {key}）"),
    });
    if let Some(range) = account_range {
        body["customer_account_no"] = Value::String(rng.in_range(range).to_string());
    }
    body
}

/// The order id in an intake answer: `{"id": 42, ...}`.
pub(crate) fn order_id(body: &Value) -> Option<i64> {
    body.get("id")?.as_i64()
}

/// The customer id in a lookup answer. The API returns the customer itself (`{"id": ..}`),
/// or wraps it (`{"customer": {"id": ..}}`), or a list (`{"items": [{"id": ..}]}`); take the
/// first id found.
pub(crate) fn customer_id(body: &Value) -> Option<i64> {
    fn id_of(v: &Value) -> Option<i64> {
        v.get("id")
            .and_then(Value::as_i64)
            .or_else(|| v.get("customer")?.get("id")?.as_i64())
    }
    id_of(body).or_else(|| {
        let first = body
            .get("items")
            .or_else(|| body.get("customers"))?
            .as_array()?
            .first()?;
        id_of(first)
    })
}

/// Query string pairs for one page of the open-order list.
pub(crate) fn order_list_query(
    station: &str,
    status: &str,
    per_page: u32,
    page: u32,
) -> Vec<(&'static str, String)> {
    vec![
        ("station", station.to_string()),
        ("status", status.to_string()),
        ("sort", "due_at".to_string()),
        ("per_page", per_page.to_string()),
        ("page", page.to_string()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_stays_in_range_and_covers_it() {
        let mut rng = Rng::new(client_seed("lgtest", 3));
        let mut seen = [false; 5];
        for _ in 0..1000 {
            let v = rng.in_range((10, 14));
            assert!((10..=14).contains(&v));
            seen[(v - 10) as usize] = true;
        }
        assert!(seen.iter().all(|s| *s));
        assert_eq!(rng.in_range((7, 7)), 7);
        let _ = rng.in_range((0, u64::MAX));
    }

    #[test]
    fn clients_get_different_streams() {
        let a = Rng::new(client_seed("lgtest", 0)).next_u64();
        let b = Rng::new(client_seed("lgtest", 1)).next_u64();
        let c = Rng::new(client_seed("lgother", 0)).next_u64();
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_eq!(a, Rng::new(client_seed("lgtest", 0)).next_u64());
    }

    #[test]
    fn order_bodies_follow_the_api_contract() {
        let mut rng = Rng::new(1);
        let mut types = std::collections::BTreeSet::new();
        for i in 0..200 {
            let key = format!("lgx-0-{i}");
            let b = order_body(&mut rng, &key, Some((3_300_000_000, 3_300_999_999)));
            for field in ["order_type", "channel", "subject", "title", "description"] {
                assert!(
                    b[field].as_str().is_some_and(|s| !s.is_empty()),
                    "{field}: {b}"
                );
            }
            let account = b["customer_account_no"].as_str().unwrap();
            assert_eq!(account.len(), 10);
            assert!(account.starts_with("3300"));
            assert!(b["description"].as_str().unwrap().contains(&key));
            types.insert(b["order_type"].as_str().unwrap().to_string());
        }
        assert!(types.contains("repair") && types.contains("consultation"));

        let anonymous = order_body(&mut rng, "k", None);
        assert!(anonymous.get("customer_account_no").is_none());
    }

    #[test]
    fn ids_from_answers() {
        assert_eq!(order_id(&json!({"id": 42, "status": "accepted"})), Some(42));
        assert_eq!(order_id(&json!({"order_no": "x"})), None);
        assert_eq!(order_id(&json!({"id": "42"})), None);

        assert_eq!(customer_id(&json!({"id": 5, "name": "张三"})), Some(5));
        assert_eq!(customer_id(&json!({"customer": {"id": 6}})), Some(6));
        assert_eq!(
            customer_id(&json!({"items": [{"id": 7}, {"id": 8}]})),
            Some(7)
        );
        assert_eq!(
            customer_id(&json!({"items": [{"customer": {"id": 9}}]})),
            Some(9)
        );
        assert_eq!(customer_id(&json!({"customers": [{"id": 10}]})), Some(10));
        assert_eq!(customer_id(&json!({"items": []})), None);
        assert_eq!(customer_id(&json!([])), None);
    }

    #[test]
    fn list_query() {
        let q = order_list_query("ZJ-HZ-01", "accepted", 50, 3);
        assert_eq!(
            q,
            vec![
                ("station", "ZJ-HZ-01".to_string()),
                ("status", "accepted".to_string()),
                ("sort", "due_at".to_string()),
                ("per_page", "50".to_string()),
                ("page", "3".to_string()),
            ]
        );
    }
}
