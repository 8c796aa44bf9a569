//! When failed logins are refused, and which client address they are counted against.

use std::time::Duration;

/// When failed logins start being refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    /// Failures counted over this sliding window.
    pub window: Duration,
    /// Failures for one e-mail within the window before its logins are refused.
    pub per_account: u32,
    /// Failures from one client address within the window before its logins are refused.
    pub per_address: u32,
}

/// Five guesses per account and twenty per address every fifteen minutes: slow enough
/// to make guessing hopeless, loose enough for a person who mistypes.
pub const LOGIN_THROTTLE: Throttle = Throttle {
    window: Duration::from_secs(15 * 60),
    per_account: 5,
    per_address: 20,
};

/// The proxies whose `x-forwarded-for` is believed (`COMPTOIR_TRUSTED_PROXIES`): IPs and
/// CIDR blocks. Empty, the header is ignored, since any client can send one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<ipnet::IpNet>);

impl TrustedProxies {
    /// Parses a comma-separated list of IPs and CIDR blocks; blanks are ignored.
    pub fn parse(input: &str) -> Result<Self, String> {
        input
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                entry
                    .parse::<ipnet::IpNet>()
                    .or_else(|_| entry.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| format!("`{entry}` is neither an IP address nor a CIDR block"))
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }

    fn contains(&self, ip: &std::net::IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(ip))
    }
}

/// The client address a login is counted against: the TCP peer's IP, unless the peer is
/// a trusted proxy; then the nearest `x-forwarded-for` entry, read from the right, that
/// is not itself a trusted proxy (each proxy appends the address it saw, so entries left
/// of the last untrusted one are the client's own word). The per-account limit holds
/// whatever the address.
pub fn client_addr(
    forwarded_for: Option<&str>,
    peer: Option<std::net::SocketAddr>,
    trusted: &TrustedProxies,
) -> String {
    let Some(peer) = peer.map(|addr| addr.ip()) else {
        return "unknown".to_owned();
    };
    if !trusted.contains(&peer) {
        return peer.to_string();
    }
    let entries: Vec<&str> = forwarded_for
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .collect();
    entries
        .iter()
        .rev()
        .find(|entry| {
            entry
                .parse::<std::net::IpAddr>()
                .map_or(true, |ip| !trusted.contains(&ip))
        })
        .or(entries.first())
        .map(|entry| entry.chars().take(64).collect())
        .unwrap_or_else(|| peer.to_string())
}

/// The message of a throttled login: the delay, rounded up to whole seconds.
pub fn retry_message(delay: Duration) -> String {
    let secs = delay.as_secs() + u64::from(delay.subsec_nanos() > 0);
    format!("too many failed logins; retry in {secs} seconds")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_address_is_the_peer_unless_a_trusted_proxy_forwarded_it() {
        let peer = Some("10.0.0.7:51234".parse().unwrap());
        let none = TrustedProxies::default();
        assert_eq!(client_addr(Some("203.0.113.9"), peer, &none), "10.0.0.7");
        assert_eq!(client_addr(None, None, &none), "unknown");

        let trusted = TrustedProxies::parse("10.0.0.0/24, 192.0.2.1").unwrap();
        assert_eq!(
            client_addr(Some(" 203.0.113.9 , 10.0.0.1"), peer, &trusted),
            "203.0.113.9"
        );
        assert_eq!(
            client_addr(Some("198.51.100.1, 203.0.113.9, 192.0.2.1"), peer, &trusted),
            "203.0.113.9",
            "what the client wrote left of the last untrusted hop is ignored"
        );
        assert_eq!(client_addr(Some("10.0.0.2"), peer, &trusted), "10.0.0.2");
        assert_eq!(client_addr(Some(""), peer, &trusted), "10.0.0.7");
        assert_eq!(client_addr(None, peer, &trusted), "10.0.0.7");
    }

    #[test]
    fn trusted_proxies_are_ips_or_cidr_blocks() {
        assert_eq!(
            TrustedProxies::parse("").unwrap(),
            TrustedProxies::default()
        );
        assert!(TrustedProxies::parse("10.0.0.0/8, ::1, 192.0.2.4").is_ok());
        let err = TrustedProxies::parse("10.0.0.0/8, proxy").unwrap_err();
        assert!(err.contains("`proxy`"), "{err}");
    }

    #[test]
    fn the_retry_message_rounds_the_delay_up() {
        assert_eq!(
            retry_message(Duration::from_millis(61_200)),
            "too many failed logins; retry in 62 seconds"
        );
    }
}
