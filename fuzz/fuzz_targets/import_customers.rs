//! Any bytes uploaded as a customer file: decoding and every row must end in a value or
//! an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use voltdesk_domain::import::{customer_rows, decode};

fuzz_target!(|data: &[u8]| {
    if let Ok((text, _)) = decode(data)
        && let Ok(rows) = customer_rows(&text)
    {
        rows.for_each(drop);
    }
});
