//! Egress checks: which addresses a webhook may not reach. A catalogue (or a value rendered into a
//! URL) must not turn Runway into a way into our own network, so loopback, private, link-local,
//! cloud metadata and similar addresses are refused unless an operator allow-listed the host.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why a call to `ip` is refused without an allow-list entry (`"loopback"`), or `None` for a public
/// address. IPv4 addresses embedded in IPv6 ones (mapped, compatible, NAT64, 6to4) are judged as the
/// IPv4 address they carry.
pub fn internal_address_kind(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_kind(v4),
        IpAddr::V6(v6) => v6_kind(v6),
    }
}

fn v4_kind(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    let kind = match (a, b, c) {
        _ if ip == Ipv4Addr::new(169, 254, 169, 254) => "cloud metadata",
        _ if ip.is_broadcast() => "broadcast",
        (0, _, _) => "unspecified (\"this network\")",
        (127, _, _) => "loopback",
        (10, _, _) | (172, 16..=31, _) | (192, 168, _) => "private",
        (100, 64..=127, _) => "carrier-grade NAT",
        (169, 254, _) => "link-local",
        (192, 0, 0) => "IETF protocol assignment",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "documentation",
        (198, 18..=19, _) => "benchmarking",
        (224..=239, _, _) => "multicast",
        (240..=255, _, _) => "reserved",
        _ => return None,
    };
    Some(kind)
}

fn v6_kind(ip: Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    let embedded =
        |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    if let Some(v4) = ip.to_ipv4_mapped() {
        return v4_kind(v4);
    }
    let kind = match s {
        _ if ip.is_unspecified() => "unspecified",
        _ if ip.is_loopback() => "loopback",
        [0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254] => "cloud metadata",
        // IPv4-compatible (deprecated) and NAT64 addresses carry an IPv4 address in the last 32 bits.
        [0, 0, 0, 0, 0, 0, hi, lo] | [0x0064, 0xff9b, 0, 0, 0, 0, hi, lo] => {
            return v4_kind(embedded(hi, lo));
        }
        // 6to4 carries it in bits 16..48.
        [0x2002, hi, lo, ..] => return v4_kind(embedded(hi, lo)),
        [first, ..] if first & 0xffc0 == 0xfe80 => "link-local",
        [first, ..] if first & 0xfe00 == 0xfc00 => "unique-local (private)",
        [first, ..] if first & 0xff00 == 0xff00 => "multicast",
        [0x2001, 0x0db8, ..] => "documentation",
        _ => return None,
    };
    Some(kind)
}

/// True when `host` (or `host:port`) is in the operator's `webhooks.allow_hosts`, so it may resolve
/// to internal addresses.
pub fn is_allowed(allow_hosts: &[String], host: &str, port: u16) -> bool {
    let with_port = format!("{host}:{port}");
    allow_hosts.iter().any(|entry| {
        let entry = entry.trim();
        entry.eq_ignore_ascii_case(host) || entry.eq_ignore_ascii_case(&with_port)
    })
}
