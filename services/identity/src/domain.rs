//! Identity's rules, free of I/O: what a valid e-mail, password and name are, what an
//! opaque token looks like, how long secrets live and when logins are throttled.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// An e-mail address, trimmed and lower-cased: the account's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

/// Shortest accepted password.
pub const MIN_PASSWORD_LEN: usize = 12;
/// Longest accepted password (argon2 would take anything; a bound stops abuse).
pub const MAX_PASSWORD_LEN: usize = 1024;

impl Email {
    /// Parses an address: one `@`, a non-empty local part, a dotted domain, at most 254
    /// characters, no spaces.
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        let email = input.trim().to_lowercase();
        if email.is_empty() {
            return Err("is required");
        }
        if email.len() > 254 || email.chars().any(char::is_whitespace) {
            return Err("is not a valid e-mail address");
        }
        match email.split_once('@') {
            Some((local, domain))
                if !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@') =>
            {
                Ok(Self(email))
            }
            _ => Err("is not a valid e-mail address"),
        }
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks a new password's length.
pub fn check_password(password: &str) -> Result<(), String> {
    let len = password.chars().count();
    if len < MIN_PASSWORD_LEN {
        Err(format!("must be at least {MIN_PASSWORD_LEN} characters"))
    } else if len > MAX_PASSWORD_LEN {
        Err(format!("must be at most {MAX_PASSWORD_LEN} characters"))
    } else {
        Ok(())
    }
}

/// Checks a display name: trimmed, 1 to 200 characters.
pub fn check_name(name: &str) -> Result<String, &'static str> {
    let name = name.trim();
    match name.chars().count() {
        0 => Err("is required"),
        1..=200 => Ok(name.to_owned()),
        _ => Err("must be at most 200 characters"),
    }
}

/// How long a refresh token may wait for its use. Each refresh issues a new one, so an
/// active session lives on; one left idle this long ends.
pub const REFRESH_TOKEN_TTL: Duration = Duration::from_secs(30 * 24 * 3600);
/// How long a password reset link works.
pub const RESET_TOKEN_TTL: Duration = Duration::from_secs(3600);
/// At most this many reset mails per account within [`RESET_TOKEN_TTL`], so the form
/// cannot be used to flood someone's inbox; further requests are silently dropped.
pub const MAX_RESETS_PER_WINDOW: i64 = 3;

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

/// A secret handed to a client once (refresh token, reset token): 32 random bytes,
/// base64url. Only its SHA-256 is stored, so a database leak yields no usable token;
/// a plain hash suffices because the secret has 256 bits of entropy.
pub struct OpaqueToken {
    /// What the client gets.
    pub secret: String,
    /// What the database keeps.
    pub hash: Vec<u8>,
}

impl OpaqueToken {
    /// A fresh random token.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let secret = URL_SAFE_NO_PAD.encode(bytes);
        let hash = hash_token(&secret);
        Self { secret, hash }
    }
}

impl std::fmt::Debug for OpaqueToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OpaqueToken(***)")
    }
}

/// The stored form of a token a client presents.
pub fn hash_token(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.trim().as_bytes()).to_vec()
}

/// The key that seals signing keys at rest (`COMPTOIR_KEY_ENCRYPTION_KEY`): 32 random
/// bytes, given base64-encoded (`openssl rand -base64 32`). `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyEncryptionKey([u8; 32]);

impl KeyEncryptionKey {
    /// Parses the base64 (standard alphabet, padded or not) of exactly 32 bytes.
    pub fn parse(input: &str) -> Result<Self, String> {
        use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
        let input = input.trim();
        let bytes = STANDARD
            .decode(input)
            .or_else(|_| STANDARD_NO_PAD.decode(input))
            .map_err(|_| "is not base64 (make one with `openssl rand -base64 32`)".to_owned())?;
        <[u8; 32]>::try_from(bytes.as_slice())
            .map(Self)
            .map_err(|_| format!("must be 32 bytes, not {}", bytes.len()))
    }

    /// The key's bytes, for the cipher.
    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for KeyEncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyEncryptionKey(***)")
    }
}

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
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(
            Email::parse("  Jeanne.Dupont@Example.FR ")
                .unwrap()
                .as_str(),
            "jeanne.dupont@example.fr"
        );
    }

    #[test]
    fn malformed_emails_are_refused() {
        for bad in [
            "",
            "jeanne",
            "@example.fr",
            "jeanne@fr",
            "jeanne@.fr",
            "a b@example.fr",
            "a@b@example.fr",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_need_twelve_characters() {
        assert!(check_password("short").unwrap_err().contains("at least 12"));
        assert!(check_password("correct horse battery").is_ok());
    }

    #[test]
    fn tokens_are_43_url_safe_characters_and_hash_to_32_bytes() {
        let token = OpaqueToken::generate();
        assert_eq!(token.secret.len(), 43);
        assert!(
            token
                .secret
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_eq!(token.hash, hash_token(&token.secret));
        assert_eq!(token.hash.len(), 32);
        assert_ne!(token.secret, OpaqueToken::generate().secret);
        assert!(!format!("{token:?}").contains(&token.secret));
    }

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
    fn a_key_encryption_key_is_32_bytes_of_base64_and_never_prints() {
        let key = KeyEncryptionKey::parse("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").unwrap();
        assert_eq!(key.bytes()[31], 31);
        // A derived Debug would print the bytes as numbers, never their base64.
        assert_eq!(format!("{key:?}"), "KeyEncryptionKey(***)");
        assert!(
            KeyEncryptionKey::parse("AAECAwQF")
                .unwrap_err()
                .contains("32 bytes")
        );
        assert!(
            KeyEncryptionKey::parse("not base64!")
                .unwrap_err()
                .contains("base64")
        );
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
