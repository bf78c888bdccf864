//! Any body as an SDP offer; when it yields a call, our answer must parse back to the same
//! choice.
#![no_main]

use libfuzzer_sys::fuzz_target;
use voltdesk_telephony::media::sdp::{LocalMedia, build_answer, negotiate, parse_offer};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(offer) = parse_offer(&text) else {
        return;
    };
    let Ok(chosen) = negotiate(&offer) else {
        return;
    };
    let local = LocalMedia {
        ip: [10, 0, 0, 5].into(),
        rtp_port: 20000,
        session_id: 1,
        session_version: 1,
    };
    let answer = build_answer(&offer, &chosen, &local);
    let back =
        negotiate(&parse_offer(&answer).expect("our answer parses")).expect("and negotiates");
    assert_eq!(
        (back.codec, back.pt, back.dtmf_pt),
        (chosen.codec, chosen.pt, chosen.dtmf_pt)
    );
});
