//! The opaque secrets handed to clients (refresh and reset tokens), how they are stored
//! and how long they live.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// How long a refresh token may wait for its use. Each refresh issues a new one, so an
/// active session lives on; one left idle this long ends.
pub const REFRESH_TOKEN_TTL: Duration = Duration::from_secs(30 * 24 * 3600);
/// How long a password reset link works.
pub const RESET_TOKEN_TTL: Duration = Duration::from_secs(3600);
/// At most this many reset mails per account within [`RESET_TOKEN_TTL`], so the form
/// cannot be used to flood someone's inbox; further requests are silently dropped.
pub const MAX_RESETS_PER_WINDOW: i64 = 3;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
