//! The JSON bodies the API parses at its edge: a new work order and the lifecycle commands,
//! through the same `parse_json` the handlers use (errors name the failing field). Any input
//! must give a value or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use voltdesk_domain::order::Command;
use voltdesk_service::NewOrder;
use voltdesk_web::extract::parse_json;

fuzz_target!(|data: &[u8]| {
    let _ = parse_json::<NewOrder>(data);
    let _ = parse_json::<Command>(data);
    let _ = parse_json::<serde_json::Value>(data);
});
