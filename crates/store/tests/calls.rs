//! The contact centre's tables on both backends (SQLite always, PostgreSQL when
//! `VOLTDESK_TEST_PG` is set): a call is stored once per key, however often and however
//! concurrently it is handed over; the list is newest first with its filters, paging and a
//! capped count; an agent's SIP secret and desk phone are kept apart; a callback closes once.

use voltdesk_domain::call::{CallLeg, CallRecordDraft, IvrStep, LegRole};
use voltdesk_domain::{CallOutcome, CallbackStatus, DAY_MS, MINUTE_MS, Millis, Role};
use voltdesk_store::{Backend, CallFilter, NewCallback, Store, StoreError, testing};

/// Friday 2026-11-20 10:00 in Beijing.
const T0: Millis = 1_795_140_000_000;

/// A fresh migrated store of each backend that can run here, with two agents (their ids).
async fn stores(dir: &std::path::Path) -> Vec<(Backend, Store, [i64; 2])> {
    let mut backends = vec![Backend::Sqlite];
    if testing::postgres_available() {
        backends.push(Backend::Postgres);
    } else {
        eprintln!("note: VOLTDESK_TEST_PG is unset; the PostgreSQL half is skipped");
    }
    let mut out = Vec::new();
    for backend in backends {
        let url = testing::fresh_database(backend, dir)
            .await
            .expect("fresh database");
        let store = Store::connect(&url).await.expect("connect");
        store.migrate().await.expect("migrate");
        let mut tx = store.begin().await.unwrap();
        let mut agents = [0; 2];
        for (i, name) in ["agent1", "agent2"].iter().enumerate() {
            agents[i] = store
                .insert_user(&mut tx, name, name, Role::Agent, "x", None, None, T0)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
        out.push((backend, store, agents));
    }
    out
}

/// A call answered by `agent` after a short menu and a wait, starting `at`.
fn answered(key: &str, at: Millis, agent: i64) -> CallRecordDraft {
    CallRecordDraft {
        call_key: key.into(),
        caller: "13812345678".into(),
        dialled: "95598".into(),
        source: "10.0.0.1:5060".into(),
        customer_id: None,
        station_id: None,
        started_at: at,
        ivr_path: vec![IvrStep {
            node: "menu".into(),
            digits: Some("1".into()),
            at: at + 5_000,
        }],
        queue: Some("repair".into()),
        queued_at: Some(at + 10_000),
        offered_at: Some(at + 30_000),
        agent_user_id: Some(agent),
        answered_at: Some(at + 35_000),
        ended_at: at + 35_000 + 2 * MINUTE_MS,
        wrap_up_ms: Some(20_000),
        outcome: CallOutcome::Answered,
        order_ids: vec![],
        survey: Some(2),
        recording: Some(format!("{key}.wav")),
        legs: vec![CallLeg {
            role: LegRole::Caller,
            peer: "10.0.0.1:5060".into(),
            codec: "PCMA/8000".into(),
            started_at: at,
            ended_at: at + 35_000 + 2 * MINUTE_MS,
        }],
    }
}

/// A call given up in the queue of `queue`.
fn abandoned(key: &str, at: Millis, queue: &str) -> CallRecordDraft {
    CallRecordDraft {
        queue: Some(queue.into()),
        agent_user_id: None,
        answered_at: None,
        offered_at: None,
        wrap_up_ms: None,
        survey: None,
        recording: None,
        outcome: CallOutcome::Abandoned,
        ended_at: at + MINUTE_MS,
        legs: vec![],
        ..answered(key, at, 1)
    }
}

async fn insert(store: &Store, d: &CallRecordDraft) -> (i64, bool) {
    d.check().expect("a valid record");
    let mut tx = store.begin().await.unwrap();
    let got = store.insert_call(&mut tx, d, None).await.unwrap();
    tx.commit().await.unwrap();
    got
}

fn keys(rows: &[voltdesk_store::CallRow]) -> Vec<&str> {
    rows.iter().map(|r| r.call_key.as_str()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_is_stored_once_per_key() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, store, [agent, _]) in stores(dir.path()).await {
        let first = answered("c-1", T0, agent);
        let (id, new) = insert(&store, &first).await;
        assert!(new, "{backend:?}");
        // Handed over again, even with other contents: the same id, nothing written.
        let again = CallRecordDraft {
            caller: "13900000000".into(),
            ..first.clone()
        };
        assert_eq!(insert(&store, &again).await, (id, false), "{backend:?}");
        let row = store.call(id).await.unwrap().expect("the call");
        assert_eq!(row.caller, "13812345678");
        assert_eq!(row.outcome, CallOutcome::Answered);
        assert_eq!(row.wait_ms, Some(25_000), "queued to answered");
        assert_eq!(row.talk_ms, Some(2 * MINUTE_MS));
        assert_eq!(row.ivr_path, first.ivr_path);
        assert_eq!(row.legs, first.legs);
        assert_eq!(row.survey, Some(2));
        assert_eq!(
            store.call_by_key("c-1").await.unwrap().map(|r| r.id),
            Some(id)
        );

        // Two hand-overs of one call at the same moment: one row, both told its id.
        let twin = answered("c-twin", T0 + 1_000, agent);
        let one = async {
            let mut tx = store.begin().await.unwrap();
            let got = store.insert_call(&mut tx, &twin, None).await.unwrap();
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            tx.commit().await.unwrap();
            got
        };
        let other = async {
            let mut tx = store.begin().await.unwrap();
            let got = store.insert_call(&mut tx, &twin, None).await.unwrap();
            tx.commit().await.unwrap();
            got
        };
        let (a, b) = tokio::join!(one, other);
        assert_eq!(a.0, b.0, "{backend:?}");
        assert_ne!(a.1, b.1, "exactly one of them wrote it: {a:?} {b:?}");
        let (rows, total) = store
            .calls(&CallFilter {
                limit: 10,
                ..CallFilter::default()
            })
            .await
            .unwrap();
        assert_eq!((keys(&rows), total), (vec!["c-twin", "c-1"], 2));

        store.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_are_listed_newest_first_by_day_outcome_agent_and_queue() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, store, [a1, a2]) in stores(dir.path()).await {
        let yesterday = T0 - DAY_MS;
        insert(&store, &answered("y-1", yesterday, a1)).await;
        insert(&store, &abandoned("y-2", yesterday + MINUTE_MS, "billing")).await;
        insert(&store, &answered("t-1", T0, a1)).await;
        insert(&store, &answered("t-2", T0 + MINUTE_MS, a2)).await;
        insert(&store, &abandoned("t-3", T0 + 2 * MINUTE_MS, "repair")).await;
        let list = |f: CallFilter| {
            let store = store.clone();
            async move {
                let (rows, total) = store.calls(&CallFilter { limit: 50, ..f }).await.unwrap();
                (
                    rows.iter().map(|r| r.call_key.clone()).collect::<Vec<_>>(),
                    total,
                )
            }
        };
        let v = |k: &[&str], n: i64| (k.iter().map(|s| s.to_string()).collect::<Vec<_>>(), n);
        assert_eq!(
            list(CallFilter::default()).await,
            v(&["t-3", "t-2", "t-1", "y-2", "y-1"], 5),
            "{backend:?}"
        );
        let today = CallFilter {
            from: Some(T0 - 10 * 3_600_000),
            to: Some(T0 - 10 * 3_600_000 + DAY_MS),
            ..CallFilter::default()
        };
        assert_eq!(list(today.clone()).await, v(&["t-3", "t-2", "t-1"], 3));
        assert_eq!(
            list(CallFilter {
                outcome: Some(CallOutcome::Abandoned),
                ..CallFilter::default()
            })
            .await,
            v(&["t-3", "y-2"], 2)
        );
        assert_eq!(
            list(CallFilter {
                agent_user_id: Some(a1),
                ..today.clone()
            })
            .await,
            v(&["t-1"], 1)
        );
        assert_eq!(
            list(CallFilter {
                queue: Some("billing".into()),
                ..CallFilter::default()
            })
            .await,
            v(&["y-2"], 1)
        );
        // A page of two, the second page, and a count that stops at its cap.
        let (rows, total) = store
            .calls(&CallFilter {
                limit: 2,
                offset: 2,
                ..CallFilter::default()
            })
            .await
            .unwrap();
        assert_eq!((keys(&rows), total), (vec!["t-1", "y-2"], 5));
        let (_, capped) = store
            .calls(&CallFilter {
                limit: 2,
                count_cap: Some(3),
                ..CallFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(capped, 4, "the cap plus one says 'more than 3'");
        assert_eq!(
            store.call_queues().await.unwrap(),
            vec!["billing".to_string(), "repair".to_string()]
        );
        store.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phones_keep_their_two_halves_and_a_callback_closes_once() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, store, [agent, other]) in stores(dir.path()).await {
        assert!(store.agent_phone(agent).await.unwrap().is_none());
        let mut tx = store.begin().await.unwrap();
        store
            .set_agent_sip_ha1(&mut tx, agent, "0123456789abcdef0123456789abcdef", T0)
            .await
            .unwrap();
        store
            .set_agent_contact(&mut tx, agent, Some("sip:8001@10.0.0.21:5060"), T0 + 1)
            .await
            .unwrap();
        store
            .set_agent_contact(&mut tx, other, Some("sip:8002@10.0.0.22"), T0)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let p = store.agent_phone(agent).await.unwrap().unwrap();
        assert_eq!(
            p.sip_ha1.as_deref(),
            Some("0123456789abcdef0123456789abcdef"),
            "{backend:?}"
        );
        assert_eq!(p.static_contact.as_deref(), Some("sip:8001@10.0.0.21:5060"));
        assert_eq!(p.updated_at, T0 + 1);
        let mut tx = store.begin().await.unwrap();
        store
            .set_agent_contact(&mut tx, agent, None, T0 + 2)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let p = store.agent_phone(agent).await.unwrap().unwrap();
        assert_eq!(p.static_contact, None);
        assert!(
            p.sip_ha1.is_some(),
            "clearing the phone keeps the SIP secret"
        );
        assert_eq!(store.agent_phones().await.unwrap().len(), 2);

        let (call, _) = insert(&store, &abandoned("cb-1", T0, "repair")).await;
        let mut tx = store.begin().await.unwrap();
        let mut ids = Vec::new();
        for due in [T0 + 2 * DAY_MS, T0 + DAY_MS] {
            ids.push(
                store
                    .insert_callback(
                        &mut tx,
                        &NewCallback {
                            call_id: call,
                            customer_id: None,
                            phone: "13812345678",
                            queue: "repair",
                            requested_at: T0,
                            due_at: due,
                            note: None,
                        },
                    )
                    .await
                    .unwrap(),
            );
        }
        tx.commit().await.unwrap();
        let open: Vec<i64> = store
            .callbacks(true, 10)
            .await
            .unwrap()
            .iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(open, vec![ids[1], ids[0]], "the earliest due first");
        let mut tx = store.begin().await.unwrap();
        store
            .close_callback(
                &mut tx,
                ids[1],
                CallbackStatus::Done,
                Some(agent),
                T0 + 5,
                Some("已回电"),
            )
            .await
            .unwrap();
        let twice = store
            .close_callback(
                &mut tx,
                ids[1],
                CallbackStatus::Done,
                Some(agent),
                T0 + 6,
                None,
            )
            .await;
        assert!(matches!(twice, Err(StoreError::NotFound)), "{twice:?}");
        tx.commit().await.unwrap();
        let done = store.callback(ids[1]).await.unwrap().unwrap();
        assert_eq!(
            (
                done.status,
                done.done_by,
                done.done_at,
                done.note.as_deref()
            ),
            (
                CallbackStatus::Done,
                Some(agent),
                Some(T0 + 5),
                Some("已回电")
            )
        );
        assert_eq!(store.callbacks(true, 10).await.unwrap().len(), 1);
        assert_eq!(store.callbacks(false, 10).await.unwrap().len(), 2);
        assert_eq!(store.call_callbacks(call).await.unwrap().len(), 2);
        store.close().await;
    }
}
