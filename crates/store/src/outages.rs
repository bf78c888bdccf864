//! Outages: interruptions of supply on a feeder or one transformer area, planned or not.
//! Written in bulk by the history generator; read back by time.

use crate::*;
use serde::Serialize;
use voltdesk_domain::Millis;

/// What kind of interruption it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutageKind {
    /// Planned maintenance, announced at least 7 days ahead (计划停电).
    Planned,
    /// Temporary maintenance, announced a day or two ahead (临时停电).
    Temporary,
    /// A fault (故障停电): no notice.
    Fault,
}

impl OutageKind {
    pub const ALL: &'static [OutageKind] = &[
        OutageKind::Planned,
        OutageKind::Temporary,
        OutageKind::Fault,
    ];

    pub fn code(self) -> &'static str {
        match self {
            OutageKind::Planned => "planned",
            OutageKind::Temporary => "temporary",
            OutageKind::Fault => "fault",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            OutageKind::Planned => "计划停电",
            OutageKind::Temporary => "临时停电",
            OutageKind::Fault => "故障停电",
        }
    }

    pub fn parse(s: &str) -> Option<OutageKind> {
        OutageKind::ALL.iter().copied().find(|k| k.code() == s)
    }
}

/// One outage as stored. `feeder_id` is set for a whole feeder, `area_id` for one area.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutageRow {
    pub id: i64,
    pub station_id: i64,
    pub kind: OutageKind,
    pub feeder_id: Option<i64>,
    pub area_id: Option<i64>,
    pub cause: String,
    pub started_at: Millis,
    pub expected_restore_at: Option<Millis>,
    pub restored_at: Option<Millis>,
    /// When the fault itself was repaired; may come after `restored_at` (restore first).
    pub repaired_at: Option<Millis>,
    /// When the customers were told in advance (planned and temporary outages).
    pub notified_at: Option<Millis>,
    pub affected_customers: i64,
    pub created_at: Millis,
}

const COLS: &[&str] = &[
    "id",
    "station_id",
    "kind",
    "feeder_id",
    "area_id",
    "cause",
    "started_at",
    "expected_restore_at",
    "restored_at",
    "repaired_at",
    "notified_at",
    "affected_customers",
    "created_at",
];

fn outage(r: &AnyRow) -> Result<OutageRow> {
    let kind = get_str(r, "kind")?;
    Ok(OutageRow {
        id: get_i64(r, "id")?,
        station_id: get_i64(r, "station_id")?,
        kind: OutageKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("outage kind `{kind}`")))?,
        feeder_id: get_opt_i64(r, "feeder_id")?,
        area_id: get_opt_i64(r, "area_id")?,
        cause: get_str(r, "cause")?,
        started_at: get_i64(r, "started_at")?,
        expected_restore_at: get_opt_i64(r, "expected_restore_at")?,
        restored_at: get_opt_i64(r, "restored_at")?,
        repaired_at: get_opt_i64(r, "repaired_at")?,
        notified_at: get_opt_i64(r, "notified_at")?,
        affected_customers: get_i64(r, "affected_customers")?,
        created_at: get_i64(r, "created_at")?,
    })
}

impl Store {
    /// Inserts outages with the ids they carry (from `max_id` or `reserve_ids`).
    pub async fn insert_outages(&self, tx: &mut Tx, rows: &[OutageRow]) -> Result<()> {
        let cells = rows
            .iter()
            .map(|o| {
                vec![
                    o.id.into(),
                    o.station_id.into(),
                    o.kind.code().into(),
                    o.feeder_id.into(),
                    o.area_id.into(),
                    o.cause.clone().into(),
                    o.started_at.into(),
                    o.expected_restore_at.into(),
                    o.restored_at.into(),
                    o.repaired_at.into(),
                    o.notified_at.into(),
                    o.affected_customers.into(),
                    o.created_at.into(),
                ]
            })
            .collect();
        self.insert_rows(tx, "outages", COLS, cells).await
    }

    /// Outages that started in [from, to), of one station when given, oldest first.
    pub async fn outages(
        &self,
        station_id: Option<i64>,
        from: Millis,
        to: Millis,
        limit: i64,
    ) -> Result<Vec<OutageRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM outages WHERE ($1 IS NULL OR station_id = $1) AND started_at >= $2 \
             AND started_at < $3 ORDER BY started_at, id LIMIT $4",
            COLS.join(", ")
        )))
        .bind(station_id)
        .bind(from)
        .bind(to)
        .bind(limit.clamp(1, 10_000))
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(outage).collect()
    }
}
