//! Any datagram as a SIP message, through what the server reads of a request before it
//! decides anything: the parser (rsipstack's, pinned like the crate), the headers the door and
//! the registrar read, the dialog id, the source from Via, and the digest credentials.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rsipstack::dialog::DialogId;
use rsipstack::sip::prelude::*;
use rsipstack::sip::SipMessage;
use rsipstack::transaction::key::{TransactionKey, TransactionRole};
use rsipstack::transport::SipConnection;

#[path = "../../src/sip/digest.rs"]
#[allow(dead_code)]
mod digest;

fuzz_target!(|data: &[u8]| {
    let Ok(msg) = SipMessage::try_from(data) else {
        return;
    };
    let _ = SipConnection::get_destination(&msg);
    let _ = msg.to_string();
    match &msg {
        SipMessage::Request(req) => {
            let _ = TransactionKey::from_request(req, TransactionRole::Server);
            let _ = DialogId::try_from((req, TransactionRole::Server));
            let _ = req.to_header().ok().map(|t| t.tag());
            let _ = req.from_header().ok().and_then(|f| f.uri().ok()).map(|u| u.user().map(str::to_string));
            let _ = req.uri.user();
            let _ = req.cseq_header().ok().map(|c| c.seq());
            let _ = req.contact_header().ok().map(|c| c.typed().map(|t| t.uri.to_string()));
            if let Some(v) = req.header_value("Authorization") {
                if let Some(c) = digest::parse(&v) {
                    let _ = digest::verify(&c, "0123456789abcdef0123456789abcdef", "REGISTER");
                }
            }
            let _ = req.header_value("Expires").map(|v| v.trim().parse::<u32>());
            let _ = std::str::from_utf8(req.body());
        }
        SipMessage::Response(resp) => {
            let _ = TransactionKey::from_response(resp, TransactionRole::Client);
            let _ = resp.status_code.kind();
        }
    }
});
