//! Importing the customer register: all or nothing, every rejected line named.

use crate::support::*;
use voltdesk_domain::import::RowError;
use voltdesk_domain::*;
use voltdesk_service::*;

on_both_backends!(
    builder = TestApp::builder().without_customers();
    one_bad_line_rejects_the_whole_file,
    skip_invalid_loads_the_good_lines,
);

on_both_backends!(
    unknown_transformer_area_is_rejected_with_its_line,
    existing_account_number_is_rejected,
);

/// Line 4 (the header is line 1) has a phone number that is no phone number.
const WITH_A_BAD_PHONE: &str = "\
account_no,name,phone,address,usage_class,area_code
3200000001,赵一,13811112222,城东镇东街5号,residential,TA-URBAN
3200000002,钱二,13833334444,城东镇李家村7号,residential,TA-RURAL
3200000003,孙三,12345,城东镇高山村1组2号,residential,TA-REMOTE
3200000004,周四,13855556666,城东镇东街9号,commercial,TA-URBAN
";

async fn import(app: &TestApp, csv: &str, skip_invalid: bool) -> Result<CustomerImportReport> {
    let (rows, errors) = parse_customers(csv);
    app.svc
        .import_customers(&app.actor(Role::Admin), rows, errors, skip_invalid, &|_| {})
        .await
}

fn rejected(result: Result<CustomerImportReport>) -> Vec<RowError> {
    match result {
        Err(ServiceError::Import(errors)) => errors,
        other => panic!("expected the import to be rejected, got {other:?}"),
    }
}

/// (line, field, code) of each error.
fn lines(errors: &[RowError]) -> Vec<(u64, Option<&str>, &str)> {
    errors
        .iter()
        .map(|e| (e.line, e.field.as_deref(), e.code))
        .collect()
}

async fn one_bad_line_rejects_the_whole_file(app: TestApp) {
    let result = import(&app, WITH_A_BAD_PHONE, false).await;
    assert_eq!(
        result.as_ref().map_err(ServiceError::code).err(),
        Some("import_invalid_rows")
    );
    let errors = rejected(result);

    assert_eq!(lines(&errors), [(4, Some("phone"), "invalid_value")]);
    assert_eq!(app.customer_count().await, 0, "nothing was imported");
    assert!(
        app.svc
            .audit_trail(Some("customers."), None, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn skip_invalid_loads_the_good_lines(app: TestApp) {
    let report = import(&app, WITH_A_BAD_PHONE, true).await.unwrap();

    assert_eq!((report.imported, report.skipped), (3, 1));
    assert_eq!(lines(&report.errors), [(4, Some("phone"), "invalid_value")]);
    assert_eq!(app.customer_count().await, 3);
    let shop = &app
        .svc
        .lookup_customers(&app.principal(Role::Agent), None, Some("3200000004"))
        .await
        .unwrap()[0];
    assert_eq!(shop.usage_class, UsageClass::Commercial);
    assert_eq!(shop.area_id, app.area(URBAN_AREA));
    assert_eq!(shop.station_id, app.station_id);
    let audit = app
        .svc
        .audit_trail(Some("customers."), None, 10)
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].payload["imported"], 3);
    assert_eq!(audit[0].payload["skipped"], 1);
}

async fn unknown_transformer_area_is_rejected_with_its_line(app: TestApp) {
    let before = app.customer_count().await;
    let errors = rejected(
        import(
            &app,
            "\
account_no,name,address,usage_class,area_code
3200000011,吴六,城东镇东街11号,residential,TA-URBAN
3200000012,郑七,城西镇西街2号,residential,TA-WEST-9
",
            false,
        )
        .await,
    );

    assert_eq!(
        lines(&errors),
        [(3, Some("area_code"), "unknown_reference")]
    );
    assert!(
        errors[0].message.contains("TA-WEST-9"),
        "{}",
        errors[0].message
    );
    assert_eq!(app.customer_count().await, before);
}

async fn existing_account_number_is_rejected(app: TestApp) {
    let before = app.customer_count().await;
    // Li Si is already on the register; the file has him again on line 3.
    let file = "\
account_no,name,address,usage_class,area_code
3200000021,冯八,城东镇李家村20号,residential,TA-RURAL
3100000002,李四,城东镇李家村12号,residential,TA-RURAL
";
    let errors = rejected(import(&app, file, false).await);

    assert_eq!(lines(&errors), [(3, Some("account_no"), "duplicate_key")]);
    assert_eq!(app.customer_count().await, before);

    let report = import(&app, file, true).await.unwrap();
    assert_eq!((report.imported, report.skipped), (1, 1));
    assert_eq!(app.customer_count().await, before + 1);
}
