//! Import of organisation and customer files: encodings, headers, line-accurate errors,
//! and no panic on any input.

use proptest::prelude::*;
use voltdesk_domain::import::{
    CustomerRow, ImportError, OrgRow, RowError, TextEncoding, customer_rows, decode, org_rows,
};
use voltdesk_domain::{CareGroup, PaymentMethod, RegionClass, Segment, UsageClass};

const CUSTOMERS_EN: &str = "\
account_no,name,phone,phone2,id_number,address,usage_class,area_code,meter_id,payment_method,care_groups,segment,sensitive,grid_manager,arrears_yuan
3300123456,张三,138-1234-5678,,11010519491231002X,浙江省杭州市桐庐县城南街道1号,residential,TQ-001,zj0001234567,bank_debit,oxygen;elderly,B,1,wangwu,12.30
3300123457,李四商行,0571-88886666,13912345678,,桐庐县迎春南路88号,commercial,TQ-001,,app,,,false,,
3300123458,王五,,,,\"分水镇\u{3000}后岩村, 3组\",居民,TQ-002,,现金,独居老人、残疾人,A,否,,0.5
";

/// The same customers with Chinese headers, columns in another order, CRLF line ends.
const CUSTOMERS_ZH: &str = "\
户名,户号,用电地址,用电类别,台区编码,联系电话,备用电话,证件号码,电表资产号,缴费方式,关爱标签,客户分级,敏感客户,网格经理,欠费金额\r
张三,3300123456,浙江省杭州市桐庐县城南街道1号,居民,TQ-001,13812345678,,11010519491231002x,ZJ0001234567,代扣,吸氧老人、独居老人,B类,是,wangwu,12.3\r
李四商行,3300123457,桐庐县迎春南路88号,商业,TQ-001,057188886666,139 1234 5678,,,网上国网,,C,0,,0\r
王五,3300123458,\"分水镇\u{3000}后岩村, 3组\",residential,TQ-002,,,,,cash,elderly;disabled,a,FALSE,,0.50\r
";

fn customers(text: &str) -> Vec<(u64, CustomerRow)> {
    customer_rows(text).unwrap().map(Result::unwrap).collect()
}

fn gbk(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(text);
    assert!(!unmappable);
    bytes.into_owned()
}

#[test]
fn customer_fields_are_typed() {
    let rows = customers(CUSTOMERS_EN);
    let lines: Vec<u64> = rows.iter().map(|(line, _)| *line).collect();
    assert_eq!(lines, [2, 3, 4]);

    let zhang = &rows[0].1;
    assert_eq!(zhang.account_no.as_str(), "3300123456");
    assert_eq!(zhang.phone.as_ref().unwrap().as_str(), "13812345678");
    assert_eq!(
        zhang.id_number.as_ref().unwrap().as_str(),
        "11010519491231002X"
    );
    assert_eq!(zhang.meter_id.as_ref().unwrap().as_str(), "ZJ0001234567");
    assert_eq!(zhang.usage_class, UsageClass::Residential);
    assert_eq!(zhang.payment_method, Some(PaymentMethod::BankDebit));
    assert_eq!(zhang.care_groups, [CareGroup::Oxygen, CareGroup::Elderly]);
    assert_eq!((zhang.segment, zhang.sensitive), (Segment::B, true));
    assert_eq!(zhang.grid_manager.as_deref(), Some("wangwu"));
    assert_eq!(zhang.arrears_fen, 1230);

    let li = &rows[1].1;
    assert_eq!(li.phone2.as_ref().unwrap().as_str(), "13912345678");
    assert_eq!((li.id_number.as_ref(), li.meter_id.as_ref()), (None, None));
    assert_eq!(
        (li.segment, li.sensitive, li.arrears_fen),
        (Segment::C, false, 0)
    );
    assert!(li.care_groups.is_empty());

    let wang = &rows[2].1;
    // Trimming is Unicode-aware, but only at the ends of a value.
    assert_eq!(wang.address, "分水镇\u{3000}后岩村, 3组");
    assert_eq!(wang.usage_class, UsageClass::Residential);
    assert_eq!(wang.care_groups, [CareGroup::Elderly, CareGroup::Disabled]);
    assert_eq!(wang.arrears_fen, 50);
}

#[test]
fn chinese_headers_in_any_order_give_the_same_rows() {
    assert_eq!(customers(CUSTOMERS_ZH), customers(CUSTOMERS_EN));
}

#[test]
fn utf8_bom_and_gbk_files_give_the_same_rows() {
    let expected = customers(CUSTOMERS_ZH);
    let mut with_bom = b"\xEF\xBB\xBF".to_vec();
    with_bom.extend_from_slice(CUSTOMERS_ZH.as_bytes());
    let files = [
        (CUSTOMERS_ZH.as_bytes().to_vec(), TextEncoding::Utf8),
        (with_bom, TextEncoding::Utf8),
        (gbk(CUSTOMERS_ZH), TextEncoding::Gbk),
    ];
    for (bytes, encoding) in files {
        let (text, found) = decode(&bytes).unwrap();
        assert_eq!(found, encoding);
        assert_eq!(customers(&text), expected, "{encoding:?}");
    }
    // A BOM left in text decoded elsewhere is no part of the first column's name.
    assert_eq!(customers(&format!("\u{feff}{CUSTOMERS_ZH}")), expected);
}

#[test]
fn undecodable_bytes_are_an_encoding_error() {
    let mut bytes = gbk("户号,户名\n3300123456,张三\n");
    bytes.extend_from_slice(b"\x81\x20\n");
    let Err(ImportError::Encoding { line, offset }) = decode(&bytes) else {
        panic!("decoded")
    };
    assert_eq!((line, offset), (3, bytes.len() - 3));
}

/// Errors as `line field code`, with the line numbers of the good rows as `line ok`.
fn outcomes<T>(rows: impl Iterator<Item = Result<(u64, T), RowError>>) -> Vec<String> {
    rows.map(|r| match r {
        Ok((line, _)) => format!("{line} ok"),
        Err(e) => format!(
            "{} {} {}",
            e.line,
            e.field.as_deref().unwrap_or("-"),
            e.code
        ),
    })
    .collect()
}

#[test]
fn each_customer_error_names_its_line_and_field() {
    let text = "\
户号,户名,用电地址,用电类别,台区编码,联系电话,证件号码,电表资产号,缴费方式,关爱标签,客户分级,敏感客户,网格经理,欠费金额
3300000001,甲,地址1,居民,T1,,,,,,,,,
3300000002,乙,\"地址
跨两行\",居民,T1,,,,,,,,,
33000x0003,丙,地址3,居民,T1,,,,,,,,,
3300000004,,地址4,居民,T1,,,,,,,,,
3300000005,戊,,居民,T1,,,,,,,,,
3300000006,己,地址6,学校,T1,,,,,,,,,
3300000007,庚,地址7,居民,T#1,,,,,,,,,
3300000008,辛,地址8,居民,T1,1234,,,,,,,,
3300000009,壬,地址9,居民,T1,,110105194912310021,,,,,,,
3300000010,癸,地址10,居民,T1,,,ZJ_01,,,,,,
3300000011,子,地址11,居民,T1,,,,微信,,,,,
3300000012,丑,地址12,居民,T1,,,,,吸氧老人;会员,,,,
3300000013,寅,地址13,居民,T1,,,,,,E,,,
3300000014,卯,地址14,居民,T1,,,,,,,y,,
3300000015,辰,地址15,居民,T1,,,,,,,,王 经理,
3300000016,巳,地址16,居民,T1,,,,,,,,,-3
3300000017,午,地址17,居民,T1,,,,,,,,,1.005
3300000001,未,地址18,居民,T1,,,,,,,,,
3300000019,申,地址19,居民
3300000020,酉,地址20,居民,T1,,,,,,,,,
";
    let expected = [
        "2 ok",
        "3 address invalid_value",
        "5 account_no invalid_value",
        "6 name missing_field",
        "7 address missing_field",
        "8 usage_class invalid_value",
        "9 area_code invalid_value",
        "10 phone invalid_value",
        "11 id_number invalid_value",
        "12 meter_id invalid_value",
        "13 payment_method invalid_value",
        "14 care_groups invalid_value",
        "15 segment invalid_value",
        "16 sensitive invalid_value",
        "17 grid_manager invalid_value",
        "18 arrears_yuan invalid_value",
        "19 arrears_yuan invalid_value",
        "20 account_no duplicate_key",
        "21 - malformed_row",
        "22 ok",
    ];
    assert_eq!(outcomes(customer_rows(text).unwrap()), expected);

    let duplicate = customer_rows(text).unwrap().nth(17).unwrap().unwrap_err();
    assert!(
        duplicate.message.contains("line 2"),
        "{}",
        duplicate.message
    );
    let json = serde_json::to_value(&duplicate).unwrap();
    assert_eq!(json["code"], "duplicate_key");
    assert_eq!(json["field"], "account_no");
    assert_eq!(json["line"], 20);
}

#[test]
fn empty_file_and_header_only() {
    for text in ["", "\n", "\r\n\r\n"] {
        assert_eq!(customer_rows(text).err().unwrap().code, "missing_header");
        assert_eq!(org_rows(text).err().unwrap().code, "missing_header");
    }
    assert_eq!(
        customer_rows("户号,户名,用电地址,用电类别,台区编码\n")
            .unwrap()
            .count(),
        0
    );
    assert_eq!(
        customer_rows("account_no,name,address,usage_class,area_code")
            .unwrap()
            .count(),
        0
    );
    let org_header =
        "供电所编码,供电所名称,网格编码,网格名称,线路编码,线路名称,台区编码,台区名称,区域类别";
    assert_eq!(org_rows(org_header).unwrap().count(), 0);
}

#[test]
fn header_errors_are_on_line_one() {
    let cases = [
        (
            "户号,户名,用电地址,用电类别,台区编码,微信号",
            "微信号",
            "unknown_column",
        ),
        ("户号,户名,用电地址,用电类别", "area_code", "missing_column"),
        (
            "ACCOUNT_NO,Name,address,usage_class,area_code,phone,联系电话",
            "phone",
            "duplicate_column",
        ),
    ];
    for (header, field, code) in cases {
        let e = customer_rows(&format!("{header}\n")).err().unwrap();
        assert_eq!(
            (e.line, e.field.as_deref(), e.code),
            (1, Some(field), code),
            "{header}"
        );
    }
}

const ORG_ZH: &str = "\
供电所编码,供电所名称,网格编码,网格名称,线路编码,线路名称,台区编码,台区名称,区域类别
S01,城南供电所,G01,城南一网格,F10,10kV迎春线,TQ-001,迎春小区1号变,城区
S01,城南供电所,G01,城南一网格,F11,10kV富春线,TQ-002,富春路2号变,urban
S02,分水供电所,G05,后岩网格,F11,10kV富春线,TQ-003,后岩村变,特殊边远
";

#[test]
fn org_rows_with_chinese_headers() {
    let rows: Vec<(u64, OrgRow)> = org_rows(ORG_ZH).unwrap().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].0, 2);
    let first = &rows[0].1;
    assert_eq!(
        (first.station_code.as_str(), first.station_name.as_str()),
        ("S01", "城南供电所")
    );
    assert_eq!(
        (first.area_code.as_str(), first.area_name.as_str()),
        ("TQ-001", "迎春小区1号变")
    );
    let classes: Vec<RegionClass> = rows.iter().map(|(_, r)| r.region_class).collect();
    assert_eq!(
        classes,
        [RegionClass::Urban, RegionClass::Urban, RegionClass::Remote]
    );

    let english = ORG_ZH.replacen(
        "供电所编码,供电所名称,网格编码,网格名称,线路编码,线路名称,台区编码,台区名称,区域类别",
        "station_code,station_name,grid_code,grid_name,feeder_code,feeder_name,area_code,area_name,region_class",
        1,
    );
    let again: Vec<(u64, OrgRow)> = org_rows(&english).unwrap().map(Result::unwrap).collect();
    assert_eq!(again, rows);
    let bytes = gbk(ORG_ZH);
    let (text, encoding) = decode(&bytes).unwrap();
    assert_eq!(encoding, TextEncoding::Gbk);
    assert_eq!(
        org_rows(&text)
            .unwrap()
            .map(Result::unwrap)
            .collect::<Vec<_>>(),
        rows
    );
}

#[test]
fn each_org_error_names_its_line_and_field() {
    let long_name = "长".repeat(65);
    let text = format!(
        "\
station_code,station_name,grid_code,grid_name,feeder_code,feeder_name,area_code,area_name,region_class
S01,城南供电所,G01,城南一网格,F10,迎春线,A1,一号变,urban
S 01,城南供电所,G01,城南一网格,F10,迎春线,A2,二号变,urban
S01,,G01,城南一网格,F10,迎春线,A3,三号变,urban
S01,城南供电所,G01,{long_name},F10,迎春线,A4,四号变,urban
S01,城南供电所,G01,城南一网格,F10,迎春线,A5,五号变,suburb
S01,城南供电所,G01,城南一网格,F10,迎春线,A6,六号变,
{too_long_code},城南供电所,G01,城南一网格,F10,迎春线,A7,七号变,rural
S01,城南供电所,G01,城南一网格,F10,迎春线,A1,一号变,urban
S01,城北供电所,G02,城北网格,F10,迎春线,A9,九号变,urban
S02,分水供电所,G01,城南一网格,F10,迎春线,A10,十号变,rural
S01,城南供电所,G01,城南网格,F10,迎春线,A11,十一号变,urban
S01,城南供电所,G01,城南一网格,F10,富春线,A12,十二号变,urban
S01,城南供电所,G03,城南三网格,F12,富春线,A13,十三号变,农村
",
        too_long_code = "S".repeat(33),
    );
    let expected = [
        "2 ok",
        "3 station_code invalid_value",
        "4 station_name missing_field",
        "5 grid_name invalid_value",
        "6 region_class invalid_value",
        "7 region_class missing_field",
        "8 station_code invalid_value",
        "9 area_code duplicate_key",
        "10 station_name conflicting_value",
        "11 station_code conflicting_value",
        "12 grid_name conflicting_value",
        "13 feeder_name conflicting_value",
        "14 ok",
    ];
    assert_eq!(outcomes(org_rows(&text).unwrap()), expected);
}

#[test]
fn messages_are_for_people() {
    let text = "account_no,name,address,usage_class,area_code\n3300123456,张三,地址,学校,T1\n";
    let e = customer_rows(text).unwrap().next().unwrap().unwrap_err();
    assert_eq!(e.to_string(), format!("line 2: {}", e.message));
    assert!(
        e.message.contains("学校") && e.message.contains("residential (居民)"),
        "{}",
        e.message
    );
}

fn drain(text: &str) {
    if let Ok(rows) = customer_rows(text) {
        rows.for_each(drop);
    }
    if let Ok(rows) = org_rows(text) {
        rows.for_each(drop);
    }
}

/// Printable and awkward characters a CSV file mixes: separators, quotes, line ends,
/// full-width punctuation, Chinese, digits.
const CSV_SOUP: &str =
    r#"[0-9A-Za-z,;"\r\n \t.\-_、；是否居民城区吸氧老人\u{3000}\u{feff}]{0,200}"#;

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        if let Ok((text, _)) = decode(&bytes) {
            drain(&text);
        }
    }

    #[test]
    fn arbitrary_strings_never_panic(text in any::<String>()) {
        drain(&text);
    }

    #[test]
    fn arbitrary_rows_under_a_valid_header_never_panic(body in CSV_SOUP) {
        drain(&format!("户号,户名,用电地址,用电类别,台区编码,关爱标签,敏感客户,欠费金额\n{body}"));
        drain(&format!("station_code,station_name,grid_code,grid_name,feeder_code,feeder_name,area_code,area_name,region_class\n{body}"));
    }

    /// Every row the parser returns (or rejects) carries a line within the file.
    #[test]
    fn lines_stay_within_the_file(body in CSV_SOUP) {
        let text = format!("account_no,name,address,usage_class,area_code,sensitive\n{body}");
        let last = 1 + text.matches('\n').count() as u64;
        for row in customer_rows(&text).unwrap() {
            let line = match row { Ok((line, _)) => line, Err(e) => e.line };
            prop_assert!((2..=last).contains(&line), "line {line} of {last}");
        }
    }

    /// Rows written by a CSV writer come back as they were written.
    #[test]
    fn written_rows_read_back(
        rows in proptest::collection::vec(
            ("[张李王赵a-z]{1,8}", "[县镇村路号0-9 ]{0,20}[号]", 0i64..10_000_000_000, any::<bool>(), 0usize..4),
            1..20,
        ),
    ) {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(["户号", "户名", "用电地址", "用电类别", "台区编码", "敏感客户", "客户分级", "欠费金额"]).unwrap();
        for (i, (name, address, fen, sensitive, segment)) in rows.iter().enumerate() {
            writer.write_record([
                format!("{:010}", 3_300_000_000u64 + i as u64),
                name.clone(),
                address.clone(),
                "居民".into(),
                "T1".into(),
                if *sensitive { "是" } else { "否" }.into(),
                Segment::ALL[*segment].code().into(),
                format!("{}.{:02}", fen / 100, fen % 100),
            ]).unwrap();
        }
        let text = String::from_utf8(writer.into_inner().unwrap()).unwrap();
        let parsed = customers(&text);
        prop_assert_eq!(parsed.len(), rows.len());
        for ((line, got), (i, (name, address, fen, sensitive, segment))) in parsed.iter().zip(rows.iter().enumerate()) {
            prop_assert_eq!(*line, i as u64 + 2);
            prop_assert_eq!(&got.name, name.trim());
            prop_assert_eq!(&got.address, address.trim());
            prop_assert_eq!((got.arrears_fen, got.sensitive, got.segment), (*fen, *sensitive, Segment::ALL[*segment]));
        }
    }
}
