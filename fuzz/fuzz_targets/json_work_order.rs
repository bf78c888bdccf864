//! The JSON body of a work-order request.
//!
//! PLACEHOLDER: the API's work-order body type does not exist yet, so this fuzzes plain
//! `serde_json::Value` parsing. When it does, point `WorkOrderBody` at it (and add the
//! crate that defines it to fuzz/Cargo.toml); the target keeps its name.
#![no_main]

use libfuzzer_sys::fuzz_target;

type WorkOrderBody = serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let _ = serde_json::from_slice::<WorkOrderBody>(data);
});
