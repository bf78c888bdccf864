//! Deterministic, realistic CSV files in the import formats: the organisation of one supply
//! station and its customer register. Used by the tests, the demo and the import benchmark,
//! so the customer writer streams (one reused record buffer, no row kept in memory).
//!
//! The organisation is fixed (its own constant seed), so every customer file, whatever its
//! seed, refers to transformer areas that `gen org` writes. Account numbers and mobile
//! numbers are dense ranges (`3300000000 + i`, `13800000000 + a permutation of i`) so a load
//! generator can pick existing customers from a range alone.

mod words;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::io::Write;
use voltdesk_domain::RegionClass;
use words::*;

pub const STATION_CODE: &str = "ZJ-CN";
pub const STATION_NAME: &str = "城南供电所";
/// The first account number; customer `i` (from 0) has `FIRST_ACCOUNT + i`.
pub const FIRST_ACCOUNT: u64 = 3_300_000_000;
/// The first mobile number of the dense range the customers' phones are drawn from.
pub const FIRST_PHONE: u64 = 13_800_000_000;
/// Mobile numbers `138xxxxxxxx` give room for this many distinct customers.
pub const MAX_CUSTOMERS: u64 = 100_000_000;

/// The seed of the organisation itself: it never changes, so files stay compatible.
const ORG_SEED: u64 = 0x005E_ED0F_0126;

/// Villages that lie high in the hills besides those of the remote towns.
const REMOTE_VILLAGES: &[&str] = &["高山村", "云台村"];

#[derive(Debug, Clone)]
pub struct Place {
    pub town: &'static str,
    pub name: &'static str,
    /// A community (社区) of the sub-district rather than a village.
    pub urban: bool,
}

impl Place {
    /// The name without its 村 / 社区 suffix, for names like 王家超市.
    fn stem(&self) -> &'static str {
        self.name
            .strip_suffix("社区")
            .or_else(|| self.name.strip_suffix('村'))
            .unwrap_or(self.name)
    }
}

#[derive(Debug, Clone)]
pub struct Named {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct Area {
    pub code: String,
    pub name: String,
    pub place: usize,
    pub grid: usize,
    pub feeder: usize,
    pub region: RegionClass,
}

/// One supply station: places, grids, feeders, transformer areas.
#[derive(Debug, Clone)]
pub struct OrgModel {
    pub places: Vec<Place>,
    pub grids: Vec<Named>,
    pub feeders: Vec<Named>,
    pub areas: Vec<Area>,
}

impl OrgModel {
    /// The station 城南供电所: 5 urban communities and 33 villages in 6 towns, about 20 grids,
    /// 15 feeders and 400 transformer areas.
    pub fn build() -> OrgModel {
        let mut rng = StdRng::seed_from_u64(ORG_SEED);
        let mut places = Vec::new();
        let mut feeders = Vec::new();
        let mut areas = Vec::new();
        let mut feeder_names = FEEDERS.iter();
        for (town_no, (town, villages)) in TOWNS.iter().enumerate() {
            // The sub-district has a feeder per community; each other town two.
            let own_feeders = if town_no == 0 { villages.len() } else { 2 };
            let first_feeder = feeders.len();
            for _ in 0..own_feeders {
                let name = feeder_names.next().copied().unwrap_or("备用线");
                feeders.push(Named {
                    code: format!("{STATION_CODE}-F{:02}", feeders.len() + 1),
                    name: format!("10kV{name}"),
                });
            }
            for (v_no, village) in villages.iter().enumerate() {
                let urban = town_no == 0;
                let remote = REMOTE_TOWNS.contains(town) || REMOTE_VILLAGES.contains(village);
                let place = places.len();
                places.push(Place {
                    town,
                    name: village,
                    urban,
                });
                let count = if urban {
                    rng.random_range(14..=18)
                } else {
                    rng.random_range(8..=11)
                };
                for n in 1..=count {
                    areas.push(Area {
                        code: format!("{STATION_CODE}-T{:04}", areas.len() + 1),
                        name: format!("{village}{n}号台区"),
                        place,
                        grid: 0,
                        feeder: first_feeder + (v_no + n) % own_feeders,
                        region: if urban {
                            RegionClass::Urban
                        } else if remote {
                            RegionClass::Remote
                        } else {
                            RegionClass::Rural
                        },
                    });
                }
            }
        }
        // Grids: two neighbouring places of one town each.
        let mut grids = Vec::new();
        let mut grid_of_place = vec![0; places.len()];
        let mut p = 0;
        while p < places.len() {
            let take = if p + 1 < places.len() && places[p].town == places[p + 1].town {
                2
            } else {
                1
            };
            let name = if take == 1 {
                format!("{}网格", places[p].stem())
            } else {
                format!("{}{}网格", places[p].stem(), places[p + 1].stem())
            };
            grids.push(Named {
                code: format!("{STATION_CODE}-G{:02}", grids.len() + 1),
                name,
            });
            for g in &mut grid_of_place[p..p + take] {
                *g = grids.len() - 1;
            }
            p += take;
        }
        for a in &mut areas {
            a.grid = grid_of_place[a.place];
        }
        OrgModel {
            places,
            grids,
            feeders,
            areas,
        }
    }

    /// Writes the organisation file (one row per transformer area, Chinese headers).
    pub fn write_csv<W: Write>(&self, out: W) -> csv::Result<()> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record([
            "供电所编码",
            "供电所名称",
            "网格编码",
            "网格名称",
            "线路编码",
            "线路名称",
            "台区编码",
            "台区名称",
            "区域类别",
        ])?;
        for a in &self.areas {
            let g = &self.grids[a.grid];
            let f = &self.feeders[a.feeder];
            w.write_record([
                STATION_CODE,
                STATION_NAME,
                &g.code,
                &g.name,
                &f.code,
                &f.name,
                &a.code,
                &a.name,
                a.region.zh(),
            ])?;
        }
        w.flush()?;
        Ok(())
    }
}

/// The columns of the generated customer file, in the marketing system's Chinese names.
const CUSTOMER_HEADER: [&str; 14] = [
    "户号",
    "户名",
    "联系电话",
    "备用电话",
    "证件号码",
    "用电地址",
    "用电类别",
    "台区编码",
    "电表资产号",
    "缴费方式",
    "关爱标签",
    "客户分级",
    "敏感客户",
    "欠费金额",
];

/// Picks from `items` by integer weights.
fn weighted<'a, T>(rng: &mut StdRng, items: &'a [(T, u32)]) -> &'a T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut x = rng.random_range(0..total);
    for (item, w) in items {
        if x < *w {
            return item;
        }
        x -= w;
    }
    &items[items.len() - 1].0
}

/// A bijection of `0..n` (an affine map modulo `n`), so phone numbers are unique per
/// customer without a set of the numbers already given.
struct Permutation {
    n: u64,
    mul: u64,
    add: u64,
}

impl Permutation {
    fn new(n: u64, rng: &mut StdRng) -> Permutation {
        let n = n.max(1);
        let gcd = |mut a: u64, mut b: u64| {
            while b != 0 {
                (a, b) = (b, a % b);
            }
            a
        };
        // Near the golden ratio of n, so neighbours in the file get distant numbers.
        let mut mul = (n as f64 * 0.618_033_988_7) as u64 | 1;
        while gcd(mul, n) != 1 {
            mul += 1;
        }
        Permutation {
            n,
            mul: mul % n,
            add: rng.random_range(0..n),
        }
    }

    fn map(&self, i: u64) -> u64 {
        ((u128::from(i) * u128::from(self.mul) + u128::from(self.add)) % u128::from(self.n)) as u64
    }
}

/// Cumulative area weights: urban areas hold more households, remote ones fewer.
fn area_weights(org: &OrgModel) -> Vec<u32> {
    let mut acc = 0;
    org.areas
        .iter()
        .map(|a| {
            acc += match a.region {
                RegionClass::Urban => 18,
                RegionClass::Rural => 10,
                RegionClass::Remote => 5,
            };
            acc
        })
        .collect()
}

/// A resident identity number with a valid check character.
fn id_number(rng: &mut StdRng, out: &mut String) {
    use std::fmt::Write as _;
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const C: &[u8; 11] = b"10X98765432";
    out.clear();
    let year = rng.random_range(1938..=2004);
    let month = rng.random_range(1..=12);
    let day = rng.random_range(1..=28);
    let seq = rng.random_range(1..=999);
    let _ = write!(out, "330188{year:04}{month:02}{day:02}{seq:03}");
    let sum: u32 = out
        .bytes()
        .zip(W)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    out.push(char::from(C[(sum % 11) as usize]));
}

fn person_name(rng: &mut StdRng, out: &mut String) {
    // Surnames are listed by frequency: squaring a uniform number favours the front.
    let r: f64 = rng.random();
    let s = ((r * r) * SURNAMES.len() as f64) as usize;
    out.push_str(SURNAMES[s.min(SURNAMES.len() - 1)]);
    out.push_str(GIVEN[rng.random_range(0..GIVEN.len())]);
    if rng.random_bool(0.7) {
        out.push_str(GIVEN[rng.random_range(0..GIVEN.len())]);
    }
}

/// Writes `count` customers of the station in [`OrgModel::build`], deterministic for `seed`.
/// `progress` is called with the number of rows written, every few thousand rows.
pub fn write_customers<W: Write>(
    out: W,
    count: u64,
    seed: u64,
    mut progress: impl FnMut(u64),
) -> csv::Result<()> {
    use std::fmt::Write as _;
    let org = OrgModel::build();
    let cumulative = area_weights(&org);
    let total_weight = cumulative.last().copied().unwrap_or(1);
    let mut rng = StdRng::seed_from_u64(seed);
    let phones = Permutation::new(count, &mut rng);

    let mut w = csv::WriterBuilder::new()
        .buffer_capacity(1 << 20)
        .from_writer(out);
    w.write_record(CUSTOMER_HEADER)?;
    let (mut name, mut phone, mut phone2, mut idn, mut addr, mut meter, mut arrears) = (
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
    );
    let mut account = itoa_buf();
    let mut trades_of: std::collections::HashMap<&str, Vec<&str>> = Default::default();
    for (trade, code) in TRADES {
        trades_of.entry(code).or_default().push(trade);
    }
    for i in 0..count {
        let x = rng.random_range(0..total_weight);
        let area_no = cumulative.partition_point(|&c| c <= x);
        let area = &org.areas[area_no.min(org.areas.len() - 1)];
        let place = &org.places[area.place];

        // Usage class: nine households in ten; then shops, farms and irrigation, about 400
        // institutions (village committees, schools, clinics, street lights, base stations)
        // in 48,000 customers, and a few dozen plants on large-industry tariffs.
        let class = *weighted(
            &mut rng,
            &[
                ("居民", 9045),
                ("商业", 625),
                ("农业生产", 235),
                ("非居民", 85),
                ("大工业", 10),
            ],
        );
        let residential = class == "居民";

        name.clear();
        if residential {
            person_name(&mut rng, &mut name);
        } else {
            let code = match class {
                "商业" => "commercial",
                "非居民" => "non_residential",
                "农业生产" => "agricultural",
                _ => "large_industry",
            };
            let trades = &trades_of[code];
            let trade = trades[rng.random_range(0..trades.len())];
            match code {
                "commercial" => person_name(&mut rng, &mut name),
                "large_industry" => {
                    name.push_str(COUNTY);
                    name.push_str(place.stem());
                }
                _ => name.push_str(if trade == "村民委员会" {
                    place.name
                } else {
                    place.stem()
                }),
            }
            // A community's committee is its residents' committee (社区居民委员会).
            name.push_str(if trade == "村民委员会" && place.urban {
                "居民委员会"
            } else {
                trade
            });
        }

        phone.clear();
        let p = FIRST_PHONE + phones.map(i);
        let _ = write!(
            phone,
            "{}-{:04}-{:04}",
            p / 100_000_000,
            p / 10_000 % 10_000,
            p % 10_000
        );
        phone2.clear();
        if rng.random_bool(0.12) {
            if rng.random_bool(0.5) {
                let _ = write!(phone2, "0571-6{:07}", rng.random_range(0..10_000_000));
            } else {
                let _ = write!(phone2, "139{:08}", rng.random_range(0..100_000_000));
            }
        }
        idn.clear();
        if residential && rng.random_bool(0.7) {
            id_number(&mut rng, &mut idn);
        }

        addr.clear();
        addr.push_str(COUNTY);
        addr.push_str(place.town);
        addr.push_str(place.name);
        if place.urban {
            let street = STREETS[rng.random_range(0..STREETS.len())];
            let _ = write!(
                addr,
                "{street}{}号{}幢{}室",
                rng.random_range(1..=220),
                rng.random_range(1..=24),
                rng.random_range(1..=6) * 100 + rng.random_range(1..=4)
            );
        } else if residential {
            let _ = write!(
                addr,
                "{}组{}号",
                rng.random_range(1..=12),
                rng.random_range(1..=80)
            );
        } else {
            let _ = write!(addr, "{}号", rng.random_range(1..=300));
        }

        meter.clear();
        let _ = write!(meter, "3310{:010}", 1_000_000_000 + i);
        let pay = *weighted(
            &mut rng,
            &[("网上国网", 45), ("代扣", 28), ("预存", 17), ("现金", 10)],
        );
        // Care groups: about one household in seventy (elderly living alone first).
        let care = if residential && rng.random_bool(0.015) {
            *weighted(
                &mut rng,
                &[
                    ("独居老人", 35),
                    ("吸氧老人", 25),
                    ("电采暖", 20),
                    ("残疾人", 10),
                    ("医疗设备", 7),
                    ("独居老人、吸氧老人", 3),
                ],
            )
        } else {
            ""
        };
        let segment = *weighted(&mut rng, &[("A", 14), ("B", 46), ("C", 33), ("D", 7)]);
        arrears.clear();
        let owes = match segment {
            "D" => true,
            "C" => rng.random_bool(0.1),
            _ => false,
        };
        if owes {
            let fen: u32 = if segment == "D" {
                rng.random_range(5_000..=80_000)
            } else {
                rng.random_range(500..=20_000)
            };
            let _ = write!(arrears, "{}.{:02}", fen / 100, fen % 100);
        }
        let sensitive = if rng.random_bool(if segment == "D" { 0.02 } else { 0.001 }) {
            "是"
        } else {
            ""
        };

        w.write_field(account.format(FIRST_ACCOUNT + i))?;
        w.write_field(&name)?;
        w.write_field(&phone)?;
        w.write_field(&phone2)?;
        w.write_field(&idn)?;
        w.write_field(&addr)?;
        w.write_field(class)?;
        w.write_field(&area.code)?;
        w.write_field(&meter)?;
        w.write_field(pay)?;
        w.write_field(care)?;
        w.write_field(segment)?;
        w.write_field(sensitive)?;
        w.write_field(&arrears)?;
        w.write_record(None::<&[u8]>)?;
        if i % 8192 == 8191 {
            progress(i + 1);
        }
    }
    w.flush()?;
    progress(count);
    Ok(())
}

/// A small buffer that formats integers without allocating.
struct ItoaBuf([u8; 20]);

fn itoa_buf() -> ItoaBuf {
    ItoaBuf([0; 20])
}

impl ItoaBuf {
    fn format(&mut self, mut n: u64) -> &[u8] {
        let mut i = self.0.len();
        loop {
            i -= 1;
            self.0[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        &self.0[i..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use voltdesk_domain::import::{customer_rows, org_rows};

    #[test]
    fn org_is_one_valid_tree_of_the_promised_size() {
        let org = OrgModel::build();
        let mut buf = Vec::new();
        org.write_csv(&mut buf).unwrap();
        let text = String::from_utf8(buf).unwrap();
        let rows: Vec<_> = org_rows(&text).unwrap().collect::<Result<_, _>>().unwrap();
        assert!((360..=440).contains(&rows.len()), "{} areas", rows.len());
        assert!(
            (18..=22).contains(&org.grids.len()),
            "{} grids",
            org.grids.len()
        );
        assert_eq!(org.feeders.len(), 15);
        for class in RegionClass::ALL {
            assert!(rows.iter().any(|(_, r)| r.region_class == *class));
        }
    }

    #[test]
    fn customers_parse_and_are_deterministic() {
        let make = |seed| {
            let mut buf = Vec::new();
            write_customers(&mut buf, 3000, seed, |_| {}).unwrap();
            String::from_utf8(buf).unwrap()
        };
        let text = make(7);
        assert_eq!(text, make(7));
        assert_ne!(text, make(8));
        let rows: Vec<_> = customer_rows(&text)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(rows.len(), 3000);
        let phones: std::collections::HashSet<_> =
            rows.iter().map(|(_, r)| r.phone.clone().unwrap()).collect();
        assert_eq!(phones.len(), 3000, "phones are unique");
        let residential = rows
            .iter()
            .filter(|(_, r)| r.usage_class == voltdesk_domain::UsageClass::Residential)
            .count();
        assert!((2550..=2850).contains(&residential), "{residential}");
        // About 400 institutions in 48,000 customers: 25 or so in 3,000.
        let institutions = rows
            .iter()
            .filter(|(_, r)| r.usage_class == voltdesk_domain::UsageClass::NonResidential)
            .count();
        assert!((12..=45).contains(&institutions), "{institutions}");
        let cared = rows
            .iter()
            .filter(|(_, r)| !r.care_groups.is_empty())
            .count();
        assert!((20..=75).contains(&cared), "{cared} care-group households");
        assert_eq!(rows[0].1.account_no.as_str(), "3300000000");
        let org = OrgModel::build();
        assert!(
            rows.iter()
                .all(|(_, r)| org.areas.iter().any(|a| a.code == r.area_code))
        );
    }

    #[test]
    fn permutation_is_a_bijection() {
        let mut rng = StdRng::seed_from_u64(1);
        for n in [1, 2, 10, 97, 1000, 4096] {
            let p = Permutation::new(n, &mut rng);
            let mut seen: Vec<u64> = (0..n).map(|i| p.map(i)).collect();
            seen.sort_unstable();
            assert_eq!(seen, (0..n).collect::<Vec<_>>(), "n = {n}");
        }
    }
}
