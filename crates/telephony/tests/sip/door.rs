//! The door: who may call, which numbers are ours, and what the SIP side answers outside a
//! call (OPTIONS, requests for dialogs it does not have, bytes that are not SIP).

use crate::sipp::Sipp;
use crate::support::*;

/// With loopback not trusted and no trusted peer, a loopback caller gets 403, traced as a
/// refused call; no call record is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_the_door_does_not_trust_gets_403() {
    if !crate::have_sipp("the 403 test") {
        return;
    }
    let centre = Setup::new().trust_nobody().start().await;
    Sipp::caller("caller_refused_403.xml", centre.dir.path(), centre.sip())
        .from(LI_SI_PHONE)
        .dial("95598")
        .spawn()
        .passes()
        .await;
    let refused = centre.wait_traces("call.refused", 1).await;
    assert_eq!(refused[0].payload["status"], 403, "{}", refused[0].payload);
    assert_eq!(refused[0].payload["caller"], LI_SI_PHONE);
    assert_eq!(refused[0].payload["dialled"], "95598");
    assert!(centre.traces("call.ended").await.is_empty());
    centre.no_open_dialogs().await;
}

/// The door judges the address a call really comes from, not the address the INVITE is
/// sent to: with only 127.0.0.1 trusted, a caller on 127.0.0.2 is refused (its INVITE is
/// addressed to the centre on 127.0.0.1 all the same) and one on 127.0.0.1 is let in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_door_judges_the_callers_own_address() {
    if !crate::have_sipp("the trusted peer test") {
        return;
    }
    let centre = Setup::new().trust_only("127.0.0.1").start().await;
    let stranger = Sipp::caller("caller_refused_403.xml", centre.dir.path(), centre.sip())
        .source_ip("127.0.0.2")
        .from(LI_SI_PHONE)
        .dial("95598");
    let stranger_port = stranger.port;
    stranger.spawn().passes().await;
    let refused = centre.wait_traces("call.refused", 1).await;
    assert_eq!(
        refused[0].payload["source"],
        format!("127.0.0.2:{stranger_port}")
    );

    let trusted = Sipp::caller("caller_hangs_up.xml", centre.dir.path(), centre.sip())
        .from(LI_SI_PHONE)
        .dial("95598")
        .pause_ms(500);
    let trusted_port = trusted.port;
    trusted.spawn().passes().await;
    let call = centre.call().await;
    assert_eq!(call.source, format!("127.0.0.1:{trusted_port}"));
    assert_eq!(call.legs[0].peer, call.source);
    centre.no_open_dialogs().await;
}

/// A trunk from an address the door does not trust: its INVITE is challenged, and with the
/// trunk account's credentials it is answered; with a wrong password it is refused (403).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trunk_with_credentials_is_let_in() {
    if !crate::have_sipp("the trunk credentials test") {
        return;
    }
    let centre = Setup::new()
        .trust_nobody()
        .trunk("county-trunk", "trunk-secret-1")
        .start()
        .await;
    Sipp::caller(
        "trunk_with_credentials.xml",
        centre.dir.path(),
        centre.sip(),
    )
    .from(LI_SI_PHONE)
    .dial("95598")
    .pause_ms(500)
    .arg("-au")
    .arg("county-trunk")
    .arg("-ap")
    .arg("trunk-secret-1")
    .spawn()
    .passes()
    .await;
    let call = centre.call().await;
    assert!(call.source.starts_with("127.0.0.1:"), "{}", call.source);
    assert!(centre.traces("call.refused").await.is_empty());

    Sipp::caller("trunk_wrong_password.xml", centre.dir.path(), centre.sip())
        .from(LI_SI_PHONE)
        .dial("95598")
        .arg("-au")
        .arg("county-trunk")
        .arg("-ap")
        .arg("not-the-secret")
        .spawn()
        .passes()
        .await;
    let refused = centre.wait_traces("call.refused", 1).await;
    assert_eq!(refused[0].payload["status"], 403, "{}", refused[0].payload);
    centre.no_open_dialogs().await;
}

/// A trusted caller dialling a number that is not ours gets 404, traced as refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_number_that_is_not_ours_gets_404() {
    if !crate::have_sipp("the 404 test") {
        return;
    }
    let centre = Setup::new().start().await;
    Sipp::caller("caller_refused_404.xml", centre.dir.path(), centre.sip())
        .from(LI_SI_PHONE)
        .dial("110")
        .spawn()
        .passes()
        .await;
    let refused = centre.wait_traces("call.refused", 1).await;
    assert_eq!(refused[0].payload["status"], 404, "{}", refused[0].payload);
    assert_eq!(refused[0].payload["dialled"], "110");
    centre.no_open_dialogs().await;
}

/// Fifty INVITEs from a peer the door refuses, twenty a second: each gets its 403 and its
/// trace event, and nothing is left open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_from_a_refused_peer_gets_403s_and_leaks_nothing() {
    if !crate::have_sipp("the flood test") {
        return;
    }
    let centre = Setup::new().trust_nobody().start().await;
    Sipp::caller("caller_refused_403.xml", centre.dir.path(), centre.sip())
        .from("13000000000")
        .dial("95598")
        .calls(50, 20)
        .spawn()
        .passes()
        .await;
    let refused = centre.wait_traces("call.refused", 50).await;
    assert!(refused.iter().all(|t| t.payload["status"] == 403));
    centre.no_open_dialogs().await;
    assert_eq!(centre.tel.board.live_count(), 0);
}

/// OPTIONS outside a dialog is answered 200; a BYE for a dialog that does not exist, 481.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn options_get_200_and_unknown_dialogs_481() {
    if !crate::have_sipp("the OPTIONS and 481 test") {
        return;
    }
    let centre = Setup::new().start().await;
    let dir = centre.dir.path();
    Sipp::caller("options.xml", dir, centre.sip())
        .spawn()
        .passes()
        .await;
    Sipp::caller("bye_unknown_dialog.xml", dir, centre.sip())
        .spawn()
        .passes()
        .await;
    centre.no_open_dialogs().await;
}

/// Bytes that are not SIP, or SIP cut short, do not stop the server: a call afterwards is
/// answered and recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_messages_do_not_stop_the_server() {
    if !crate::have_sipp("the malformed message test") {
        return;
    }
    let centre = Setup::new().start().await;
    let junk: [&[u8]; 6] = [
        b"\x00\x01\x02 not sip at all \xff\xfe",
        b"INVITE sip:95598@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK1\r\n\r\n",
        b"INVITE sip:95598@127.0.0.1 SIP/2.0\r\nContent-Length: 99999\r\n\r\nv=0",
        b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKnone\r\nCSeq: 1 INVITE\r\n\r\n",
        b"BYE sip:95598@127.0.0.1 SIP/2.0\r\nVia: garbage\r\nFrom: <>\r\nTo: <>;tag=\r\nCall-ID:\r\nCSeq: x BYE\r\n\r\n",
        &[b'A'; 9000],
    ];
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    for bytes in junk {
        // A datagram over the loopback MTU may be refused by the kernel: that is fine.
        socket.send_to(bytes, centre.sip()).ok();
    }
    // The same over TCP (whose listener the stack binds in its own task, soon after start).
    {
        use tokio::io::AsyncWriteExt;
        let addr = centre.sip();
        let mut tcp = eventually("the SIP TCP listener", 5, || async move {
            tokio::net::TcpStream::connect(addr).await.ok()
        })
        .await;
        tcp.write_all(b"INVITE \r\n\r\n\x00\x00garbage\r\n\r\n")
            .await
            .ok();
        tcp.shutdown().await.ok();
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    Sipp::caller("caller_hangs_up.xml", centre.dir.path(), centre.sip())
        .from(LI_SI_PHONE)
        .dial("95598")
        .pause_ms(1000)
        .spawn()
        .passes()
        .await;
    let call = centre.call().await;
    assert_eq!(call.customer_id, Some(centre.customer(LI_SI)));
    centre.no_open_dialogs().await;
}
