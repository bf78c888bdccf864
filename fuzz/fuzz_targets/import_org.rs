//! Any bytes uploaded as an organisation file: decoding and every row must end in a
//! value or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use voltdesk_domain::import::{decode, org_rows};

fuzz_target!(|data: &[u8]| {
    if let Ok((text, _)) = decode(data)
        && let Ok(rows) = org_rows(&text)
    {
        rows.for_each(drop);
    }
});
