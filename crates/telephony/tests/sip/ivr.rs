//! Calls that stay in the IVR: who is calling, what is wrong in their area, keyed account
//! numbers, a repair reported from the phone.

use crate::sipp::Sipp;
use crate::support::*;

/// The caller's number names the customer; the customer's area has an outage, which is
/// announced before anything else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_known_caller_in_an_outage_area_hears_the_outage() {
    if !crate::have_sipp("the outage announcement test") {
        return;
    }
    let centre = Setup::new().start().await;
    Sipp::caller("caller_hangs_up.xml", centre.dir.path(), centre.sip())
        .from(ZHANG_SAN_PHONE)
        .dial("95598")
        .pause_ms(2500)
        .spawn()
        .passes()
        .await;
    let call = centre.call().await;
    assert_eq!(call.customer_id, Some(centre.customer(ZHANG_SAN)));
    assert_eq!(
        nodes(&call)[..4],
        ["welcome", "identify_caller", "check_outage", "announce"],
        "{:?}",
        call.ivr_path
    );
    assert_eq!(call.dialled, "95598");
    assert_eq!(call.caller, "138****5678");
    assert_eq!(call.legs[0].codec, "PCMA/8000");
    centre.no_open_dialogs().await;
}

/// A caller nobody knows keys an account number; the keys are SIPp's own RFC 4733
/// captures, played as they are, with the payload type they carry (101) offered in the SDP.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_keys_an_account_number() {
    if !crate::have_sipp("the keyed account test") {
        return;
    }
    let centre = Setup::new().start().await;
    Sipp::caller("caller_keys_account.xml", centre.dir.path(), centre.sip())
        .from(UNKNOWN_PHONE)
        .dial("95598")
        .spawn()
        .passes()
        .await;
    let call = centre.call().await;
    assert_eq!(keyed_at(&call, "main_menu"), ["2"], "{:?}", call.ivr_path);
    assert_eq!(keyed_at(&call, "enter_account"), [WANG_WU]);
    let n = nodes(&call);
    let at = |node| n.iter().position(|x| *x == node);
    assert!(
        at("identify_account") < at("say_balance") && at("say_balance").is_some(),
        "{n:?}"
    );
    assert_eq!(call.customer_id, Some(centre.customer(WANG_WU)));
    centre.no_open_dialogs().await;
}

/// A known caller reports a fault from the phone: a repair order on the 95598 channel, for
/// the caller's account, named in the call record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repair_reported_from_the_phone_is_a_work_order() {
    if !crate::have_sipp("the repair test") {
        return;
    }
    let centre = Setup::new().start().await;
    for (i, file) in ["repair_1.pcap", "repair_2.pcap", "repair_3.pcap"]
        .into_iter()
        .enumerate()
    {
        crate::keys::write(&centre.dir.path().join(file), "1", i as u32);
    }
    Sipp::caller("caller_reports_repair.xml", centre.dir.path(), centre.sip())
        .from(LI_SI_PHONE)
        .dial("95598")
        .spawn()
        .passes()
        .await;
    let call = centre.call().await;
    assert_eq!(keyed_at(&call, "main_menu"), ["1"], "{:?}", call.ivr_path);
    assert_eq!(keyed_at(&call, "repair_menu"), ["1"]);
    assert_eq!(keyed_at(&call, "report_repair"), ["1"]);
    assert_eq!(call.order_ids.len(), 1, "{call:#?}");
    let order = centre.svc.order(call.order_ids[0]).await.expect("order");
    assert_eq!(order.order.channel.code(), "hotline_95598");
    assert_eq!(order.order.customer_id, Some(centre.customer(LI_SI)));
    assert_eq!(call.customer_id, Some(centre.customer(LI_SI)));
    centre.no_open_dialogs().await;
}

/// A phone that sends its keys as SIP INFO (application/dtmf-relay) instead of RTP events
/// gets through the menu all the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_sent_as_sip_info_work_the_menu() {
    if !crate::have_sipp("the SIP INFO key test") {
        return;
    }
    let centre = Setup::new().start().await;
    Sipp::caller("caller_keys_by_info.xml", centre.dir.path(), centre.sip())
        .from(LI_SI_PHONE)
        .dial("95598")
        .pause_ms(1500)
        .spawn()
        .passes()
        .await;
    let call = centre.call().await;
    assert_eq!(keyed_at(&call, "main_menu"), ["3"], "{:?}", call.ivr_path);
    assert_eq!(call.queue.as_deref(), Some("business"));
    centre.no_open_dialogs().await;
}

/// Forty short calls, twenty at a time, through a range of thirty RTP ports: each is
/// answered and recorded, and once they are over no dialog, live call or RTP port is left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_short_calls_leave_nothing_behind() {
    if !crate::have_sipp("the many calls test") {
        return;
    }
    let centre = Setup::new().start().await;
    Sipp::caller("caller_hangs_up.xml", centre.dir.path(), centre.sip())
        .from(LI_SI_PHONE)
        .dial("95598")
        .pause_ms(800)
        .calls(40, 20)
        .arg("-l")
        .arg("20")
        .spawn()
        .passes()
        .await;
    let calls = centre.calls(40).await;
    assert_eq!(calls.len(), 40);
    assert!(
        calls
            .iter()
            .all(|c| c.customer_id == Some(centre.customer(LI_SI)))
    );
    centre.no_open_dialogs().await;
    assert_eq!(centre.tel.board.live_count(), 0);
    let (first, last) = centre.rtp_ports;
    eventually("the RTP ports free again", 5, || async move {
        (first..=last)
            .step_by(2)
            .all(|p| std::net::UdpSocket::bind(("127.0.0.1", p)).is_ok())
            .then_some(())
    })
    .await;
}
