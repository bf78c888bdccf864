//! Just enough of libpcap's file format to get UDP payloads out of a capture: the 24-byte
//! global header, 16-byte record headers, Ethernet (with an optional VLAN tag), IPv4, UDP.

/// The UDP payloads of a capture, in order. Packets that are not IPv4/UDP are skipped.
pub fn udp_payloads(file: &[u8]) -> Vec<Vec<u8>> {
    let magic = u32::from_le_bytes(file[..4].try_into().unwrap());
    let little_endian = match magic {
        0xa1b2_c3d4 | 0xa1b2_3c4d => true,
        0xd4c3_b2a1 | 0x4d3c_b2a1 => false,
        other => panic!("not a pcap file (magic {other:#x})"),
    };
    let u32_at = |at: usize| {
        let b: [u8; 4] = file[at..at + 4].try_into().unwrap();
        if little_endian {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        }
    };
    let link_type = u32_at(20);
    assert_eq!(link_type, 1, "only Ethernet captures are read here");

    let mut out = Vec::new();
    let mut at = 24;
    while at + 16 <= file.len() {
        let captured = u32_at(at + 8) as usize;
        let frame = &file[at + 16..at + 16 + captured];
        at += 16 + captured;
        if let Some(payload) = ethernet_udp_payload(frame) {
            out.push(payload.to_vec());
        }
    }
    out
}

fn ethernet_udp_payload(frame: &[u8]) -> Option<&[u8]> {
    let mut ether_type = u16::from_be_bytes([*frame.get(12)?, *frame.get(13)?]);
    let mut ip_start = 14;
    if ether_type == 0x8100 {
        ether_type = u16::from_be_bytes([*frame.get(16)?, *frame.get(17)?]);
        ip_start = 18;
    }
    if ether_type != 0x0800 {
        return None;
    }
    let ip = frame.get(ip_start..)?;
    let header_len = usize::from(ip.first()? & 0x0f) * 4;
    let total_len = usize::from(u16::from_be_bytes([*ip.get(2)?, *ip.get(3)?]));
    if *ip.get(9)? != 17 {
        return None;
    }
    let udp = ip.get(header_len..total_len)?;
    let udp_len = usize::from(u16::from_be_bytes([*udp.get(4)?, *udp.get(5)?]));
    udp.get(8..udp_len)
}
