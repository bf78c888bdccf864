//! Imports as jobs: every import is a row with its state, counts and line-numbered errors,
//! readable after a restart; a job left by a stopped server is failed, old jobs are removed.

use crate::support::*;
use voltdesk_domain::job::{self, ImportKind, JobState};
use voltdesk_domain::*;
use voltdesk_service::*;

on_both_backends!(
    builder = TestApp::builder().without_customers();
    a_good_file_is_a_done_job_with_its_counts,
    a_bad_file_is_a_failed_job_and_imports_nothing,
    a_job_started_in_the_background_reports_its_end,
    jobs_are_read_after_a_restart_and_abandoned_ones_fail,
    the_sweep_removes_finished_jobs_after_the_retention,
);

on_both_backends!(every_kind_goes_through_the_same_path);

const TWO_CUSTOMERS: &str = "\
account_no,name,phone,address,usage_class,area_code
3400000001,赵一,13811112222,城东镇东街5号,residential,TA-URBAN
3400000002,钱二,13833334444,城东镇李家村7号,residential,TA-RURAL
";

/// Line 3 (the header is line 1) has a phone number that is no phone number.
const BAD_LINE_3: &str = "\
account_no,name,phone,address,usage_class,area_code
3400000011,孙三,13811115555,城东镇东街6号,residential,TA-URBAN
3400000012,周四,12,城东镇东街7号,residential,TA-URBAN
";

async fn import(
    app: &TestApp,
    kind: ImportKind,
    csv: &str,
) -> std::result::Result<ImportReport, ImportFailure> {
    app.svc
        .import_csv(
            kind,
            csv.as_bytes().to_vec(),
            &app.actor(Role::Admin),
            ImportOptions::default(),
            &|_| {},
        )
        .await
}

async fn a_good_file_is_a_done_job_with_its_counts(app: TestApp) {
    let seen = std::sync::Mutex::new(Vec::new());
    let report = app
        .svc
        .import_csv(
            ImportKind::Customers,
            TWO_CUSTOMERS.as_bytes().to_vec(),
            &app.actor(Role::Admin),
            ImportOptions::default(),
            &|p| seen.lock().unwrap().push(p),
        )
        .await
        .unwrap();
    let ImportOutcome::Customers(r) = &report.outcome else {
        panic!("a customers report, got {:?}", report.outcome);
    };
    assert_eq!((r.imported, r.skipped), (2, 0));
    assert_eq!(app.customer_count().await, 2);
    let seen = seen.into_inner().unwrap();
    assert!(seen.iter().any(|p| matches!(
        p,
        ImportProgress::Read {
            rows: 2,
            invalid: 0,
            encoding: import::TextEncoding::Utf8
        }
    )));
    assert!(
        seen.iter()
            .any(|p| matches!(p, ImportProgress::Writing { done: 2, of: 2 }))
    );

    let job = app.svc.import_job(report.job_id).await.unwrap();
    assert_eq!(job.kind, ImportKind::Customers);
    assert_eq!(job.state, JobState::Done);
    assert_eq!((job.done, job.total, job.error_count), (2, 2, 0));
    assert!(job.errors.is_empty());
    assert_eq!(job.reason, None);
    assert_eq!(job.created_by, Some(app.user_id(Role::Admin)));
    assert_eq!(job.created_at, app.now());
    assert_eq!(job.finished_at, Some(app.now()));
    let listed = app.svc.import_jobs(50).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, report.job_id);
}

async fn a_bad_file_is_a_failed_job_and_imports_nothing(app: TestApp) {
    let failure = import(&app, ImportKind::Customers, BAD_LINE_3)
        .await
        .unwrap_err();
    let ImportFailure::Rows(rows) = &failure else {
        panic!("rejected rows, got {failure:?}");
    };
    assert_eq!(
        rows.iter()
            .map(|e| (e.line, e.field.as_deref(), e.code))
            .collect::<Vec<_>>(),
        [(3, Some("phone"), "invalid_value")]
    );
    assert_eq!(app.customer_count().await, 0, "nothing was imported");

    let jobs = app.svc.import_jobs(50).await.unwrap();
    assert_eq!(jobs.len(), 1);
    let job = &jobs[0];
    assert_eq!(job.state, JobState::Failed);
    assert_eq!(job.reason.as_deref(), Some("invalid_rows"));
    assert_eq!((job.done, job.total, job.error_count), (0, 2, 1));
    assert_eq!(job.errors.len(), 1);
    assert_eq!(
        (job.errors[0].line, job.errors[0].field.as_deref()),
        (3, Some("phone"))
    );
    assert_eq!(job.errors[0].code, "invalid_value");

    // A file that is not text, and a header that is not usable: failed jobs on line 1.
    let not_text = app
        .svc
        .import_csv(
            ImportKind::Org,
            b"a,b\n\xff\xfe\x00\x81\n".to_vec(),
            &app.actor(Role::Admin),
            ImportOptions::default(),
            &|_| {},
        )
        .await
        .unwrap_err();
    assert!(
        matches!(not_text, ImportFailure::Encoding(_)),
        "{not_text:?}"
    );
    let header = import(&app, ImportKind::Customers, "户号,colour\n1,2\n")
        .await
        .unwrap_err();
    assert!(matches!(&header, ImportFailure::Header(e) if e.code == "unknown_column"));
    let jobs = app.svc.import_jobs(50).await.unwrap();
    let reasons: Vec<_> = jobs
        .iter()
        .map(|j| (j.kind, j.reason.as_deref(), j.errors[0].line))
        .collect();
    assert_eq!(
        reasons,
        [
            (ImportKind::Customers, Some("invalid_header"), 1),
            (ImportKind::Org, Some("invalid_encoding"), 2),
            (ImportKind::Customers, Some("invalid_rows"), 3),
        ]
    );

    // Skipping invalid rows: the job is done, and the skipped line is kept.
    let report = app
        .svc
        .import_csv(
            ImportKind::Customers,
            BAD_LINE_3.as_bytes().to_vec(),
            &app.actor(Role::Admin),
            ImportOptions { skip_invalid: true },
            &|_| {},
        )
        .await
        .unwrap();
    let job = app.svc.import_job(report.job_id).await.unwrap();
    assert_eq!(job.state, JobState::Done);
    assert_eq!((job.done, job.total, job.error_count), (1, 2, 1));
    assert_eq!(job.errors[0].line, 3);
    assert_eq!(app.customer_count().await, 1);
}

async fn wait_for_end(app: &TestApp, id: i64) -> ImportJobView {
    for _ in 0..200 {
        let job = app.svc.import_job(id).await.unwrap();
        if job.state.is_final() {
            return job;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("import job {id} did not end");
}

async fn a_job_started_in_the_background_reports_its_end(app: TestApp) {
    let admin = app.actor(Role::Admin);
    let id = app
        .svc
        .start_import(
            ImportKind::Customers,
            TWO_CUSTOMERS.as_bytes().to_vec(),
            &admin,
            ImportOptions::default(),
        )
        .await
        .unwrap();
    let job = wait_for_end(&app, id).await;
    assert_eq!(job.state, JobState::Done);
    assert_eq!((job.done, job.total), (2, 2));
    assert_eq!(job.created_by_name, admin.name);
    assert_eq!(app.customer_count().await, 2);

    // The same file again: every account exists; the job fails naming both lines.
    let id = app
        .svc
        .start_import(
            ImportKind::Customers,
            TWO_CUSTOMERS.as_bytes().to_vec(),
            &admin,
            ImportOptions::default(),
        )
        .await
        .unwrap();
    let job = wait_for_end(&app, id).await;
    assert_eq!(job.state, JobState::Failed);
    assert_eq!(
        job.errors
            .iter()
            .map(|e| (e.line, e.code.as_str()))
            .collect::<Vec<_>>(),
        [(2, "duplicate_key"), (3, "duplicate_key")]
    );
    assert_eq!(app.customer_count().await, 2);
    assert!(matches!(
        app.svc.import_job(id + 1000).await,
        Err(ServiceError::NotFound { .. })
    ));
}

async fn jobs_are_read_after_a_restart_and_abandoned_ones_fail(app: TestApp) {
    let done = import(&app, ImportKind::Customers, TWO_CUSTOMERS)
        .await
        .unwrap()
        .job_id;
    // A server stopped in the middle of an import: its job's row says running.
    let left = app
        .svc
        .store()
        .insert_job(&voltdesk_store::NewJob {
            kind: ImportKind::Org,
            state: JobState::Running,
            created_by: None,
            created_by_name: "system",
            now: app.now(),
        })
        .await
        .unwrap();

    let app = app.restart().await;
    let job = app.svc.import_job(done).await.unwrap();
    assert_eq!((job.state, job.done, job.total), (JobState::Done, 2, 2));
    assert_eq!(
        app.svc.import_job(left).await.unwrap().state,
        JobState::Running
    );

    // While its lease runs the job may still be alive elsewhere; after it, it is failed.
    app.advance(job::LEASE_MS - 1);
    let sweep = app.svc.sweep_import_jobs().await.unwrap();
    assert_eq!(sweep.abandoned, 0);
    app.advance(1);
    let sweep = app.svc.sweep_import_jobs().await.unwrap();
    assert_eq!(
        sweep,
        JobSweep {
            abandoned: 1,
            removed: 0
        }
    );
    let job = app.svc.import_job(left).await.unwrap();
    assert_eq!(job.state, JobState::Failed);
    assert_eq!(job.reason.as_deref(), Some(ABANDONED));
    assert_eq!(job.finished_at, Some(app.now()));
    // The finished job is left as it was.
    assert_eq!(
        app.svc.import_job(done).await.unwrap().state,
        JobState::Done
    );
}

async fn the_sweep_removes_finished_jobs_after_the_retention(app: TestApp) {
    assert_eq!(app.svc.import_retention_ms(), 30 * DAY);
    let old = import(&app, ImportKind::Customers, TWO_CUSTOMERS)
        .await
        .unwrap()
        .job_id;
    app.advance(10 * DAY);
    let newer = import(&app, ImportKind::Customers, BAD_LINE_3)
        .await
        .unwrap_err();
    assert!(matches!(newer, ImportFailure::Rows(_)));

    app.advance(20 * DAY - 1);
    assert_eq!(app.svc.sweep_import_jobs().await.unwrap().removed, 0);
    assert_eq!(app.svc.import_jobs(50).await.unwrap().len(), 2);
    app.advance(1);
    assert_eq!(app.svc.sweep_import_jobs().await.unwrap().removed, 1);
    let left = app.svc.import_jobs(50).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_ne!(left[0].id, old);
    assert_eq!(left[0].state, JobState::Failed);

    // A shorter retention is a setting.
    app.svc.set_import_retention(7);
    app.advance(3 * DAY);
    assert_eq!(app.svc.sweep_import_jobs().await.unwrap().removed, 1);
    assert!(app.svc.import_jobs(50).await.unwrap().is_empty());
    // The customers imported stay: only the jobs' records go.
    assert_eq!(app.customer_count().await, 2);
}

async fn every_kind_goes_through_the_same_path(app: TestApp) {
    let org = "station_code,station_name,grid_code,grid_name,feeder_code,feeder_name,area_code,area_name,region_class\n\
               ST-CD,城东供电所,G-TOWN,城东镇区网格,F-101,10kV东一线,TA-NEW,东街9号台区,urban\n";
    let r = import(&app, ImportKind::Org, org).await.unwrap();
    assert!(matches!(r.outcome, ImportOutcome::Org { ref report, .. } if report.areas == 1));

    let voltage = "台区编号,电压等级,时间,电压,时长\n\
                   TA-NEW,220V,2026-10-01 08:00,230,60\n\
                   TA-NEW,220V,2026-10-01 09:00,240,60\n";
    let r = import(&app, ImportKind::Voltage, voltage).await.unwrap();
    assert!(matches!(r.outcome, ImportOutcome::Voltage(ref v) if v.recorded == 2));
    // The same readings again: refused whole, lines named.
    let again = import(&app, ImportKind::Voltage, voltage)
        .await
        .unwrap_err();
    assert!(matches!(&again, ImportFailure::Rows(e) if e.len() == 2 && e[0].line == 2));

    let outages = "external_ref,kind,feeder_code,area_code,cause,start,expected_restore,restored,repaired\n\
                   DMS-J1,fault,,TA-NEW,雷击,2026-11-20 09:00,,2026-11-20 09:40,2026-11-20 09:55\n";
    let r = import(&app, ImportKind::Outages, outages).await.unwrap();
    assert!(matches!(r.outcome, ImportOutcome::Outages(ref o) if o.registered == 1));
    let bad = import(
        &app,
        ImportKind::Outages,
        "kind,cause,start\nfault,x,2026-11-20 09:00\n",
    )
    .await
    .unwrap_err();
    assert!(matches!(&bad, ImportFailure::Rows(e) if e[0].line == 1));

    let jobs = app.svc.import_jobs(50).await.unwrap();
    let seen: Vec<_> = jobs.iter().map(|j| (j.kind, j.state, j.done)).collect();
    assert_eq!(
        seen,
        [
            (ImportKind::Outages, JobState::Failed, 0),
            (ImportKind::Outages, JobState::Done, 1),
            (ImportKind::Voltage, JobState::Failed, 0),
            (ImportKind::Voltage, JobState::Done, 2),
            (ImportKind::Org, JobState::Done, 1),
        ]
    );
}
