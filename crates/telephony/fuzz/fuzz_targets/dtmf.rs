//! A stream of datagrams, each `[length][bytes]`, through the RTP parser into a DTMF
//! receiver, and each as a bare telephone-event payload too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use voltdesk_telephony::media::dtmf::{DtmfReceiver, TelephoneEvent};
use voltdesk_telephony::media::rtp::RtpPacket;

fuzz_target!(|data: &[u8]| {
    let mut by_packet = DtmfReceiver::new(101);
    let mut by_payload = DtmfReceiver::new(101);
    let mut rest = data;
    while let Some((&len, tail)) = rest.split_first() {
        let (datagram, next) = tail.split_at(usize::from(len).min(tail.len()));
        rest = next;
        let _ = TelephoneEvent::parse(datagram);
        if let Ok(packet) = RtpPacket::parse(datagram) {
            let _ = by_packet.push_packet(&packet);
            let _ = by_payload.push(packet.header.timestamp, packet.payload);
        }
    }
});
