//! Any datagram through the RTP parser.
#![no_main]

use libfuzzer_sys::fuzz_target;
use voltdesk_telephony::media::rtp::RtpPacket;

fuzz_target!(|data: &[u8]| {
    if let Ok(packet) = RtpPacket::parse(data) {
        assert!(packet.payload.len() + 12 <= data.len());
        assert!(packet.csrcs().count() <= 15);
    }
});
