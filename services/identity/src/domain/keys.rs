//! The key that seals the token signing keys at rest.

use base64::Engine;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
