//! Token signing keys: generated on first start, kept in identity's schema, newest first,
//! replaced when older than `COMPTOIR_KEY_ROTATION_DAYS`. A retired key keeps verifying
//! for two token lifetimes, so rotation never cuts a session.
//!
//! Private keys are stored sealed with `COMPTOIR_KEY_ENCRYPTION_KEY` (XChaCha20-Poly1305,
//! the kid as associated data), so a copy of the database alone cannot sign tokens. Only
//! a development deployment without that key keeps them in clear; starting with the key
//! seals them.
//!
//! This module decides how keys are made, sealed, opened and rotated; their rows are
//! read and written through `store::keys`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use sqlx::PgPool;

use crate::domain::KeyEncryptionKey;
use crate::store;

/// Length of an XChaCha20-Poly1305 nonce, stored before the ciphertext.
const NONCE_LEN: usize = 24;

/// Why a signing key cannot be had.
#[derive(Debug, thiserror::Error)]
pub(crate) enum KeyError {
    /// The key-encryption key is not the one that sealed the stored keys.
    #[error(
        "COMPTOIR_KEY_ENCRYPTION_KEY does not open the stored signing key {kid}: it is not \
         the key that encrypted it"
    )]
    WrongKey {
        /// The key that did not open.
        kid: String,
    },
    /// The stored keys are sealed but no key-encryption key is configured.
    #[error(
        "the stored signing keys are encrypted: set COMPTOIR_KEY_ENCRYPTION_KEY to the key \
         that encrypted them"
    )]
    NoKey,
    /// Encoding a new key failed.
    #[error("encoding a new signing key: {0}")]
    Encoding(String),
    /// Database fault.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl KeyError {
    /// True when only a change of settings can fix it.
    pub(crate) fn is_settings(&self) -> bool {
        matches!(self, KeyError::WrongKey { .. } | KeyError::NoKey)
    }
}

/// How private keys are kept: sealed with the key-encryption key, or (a development
/// deployment without one) in clear.
#[derive(Clone)]
pub(crate) struct Sealing(Option<Arc<KeyEncryptionKey>>);

impl Sealing {
    pub(crate) fn new(key: Option<KeyEncryptionKey>) -> Self {
        Self(key.map(Arc::new))
    }

    fn cipher(key: &KeyEncryptionKey) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(key.bytes().into())
    }

    /// `der` sealed for the row `kid`: nonce, then ciphertext and tag.
    fn seal(key: &KeyEncryptionKey, kid: &str, der: &[u8]) -> Vec<u8> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = Self::cipher(key)
            .encrypt(
                &nonce,
                Payload {
                    msg: der,
                    aad: kid.as_bytes(),
                },
            )
            .expect("XChaCha20-Poly1305 seals any message of a key's size");
        [&nonce[..], &sealed].concat()
    }

    /// The private key of row `kid`, from its stored columns.
    fn open(
        &self,
        kid: &str,
        der: Option<Vec<u8>>,
        sealed: Option<Vec<u8>>,
    ) -> Result<Vec<u8>, KeyError> {
        if let Some(der) = der {
            return Ok(der);
        }
        let key = self.0.as_deref().ok_or(KeyError::NoKey)?;
        let wrong = || KeyError::WrongKey {
            kid: kid.to_owned(),
        };
        let sealed = sealed.ok_or_else(wrong)?;
        let (nonce, ciphertext) = sealed.split_at_checked(NONCE_LEN).ok_or_else(wrong)?;
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| wrong())?;
        Self::cipher(key)
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad: kid.as_bytes(),
                },
            )
            .map_err(|_| wrong())
    }

    /// The columns a new key `der` of row `kid` is stored in: (clear, sealed).
    fn store(&self, kid: &str, der: &[u8]) -> (Option<Vec<u8>>, Option<Vec<u8>>) {
        match self.0.as_deref() {
            Some(key) => (None, Some(Self::seal(key, kid, der))),
            None => (Some(der.to_vec()), None),
        }
    }
}

/// The key that signs new tokens.
pub(crate) struct CurrentKey {
    pub(crate) kid: String,
    pub(crate) private_der: Vec<u8>,
}

/// How long a signer trusts the key it last read; a rotation is picked up within this
/// delay, and the retired key keeps verifying meanwhile.
const SIGNER_CACHE: Duration = Duration::from_secs(30);

/// A key and when it was read.
type CachedKey = (Arc<CurrentKey>, Instant);

/// The current signing key, read from the database at most every [`SIGNER_CACHE`]:
/// issuing a token costs no query.
#[derive(Clone)]
pub(crate) struct Signer {
    pool: PgPool,
    sealing: Sealing,
    cached: Arc<Mutex<Option<CachedKey>>>,
}

impl Signer {
    pub(crate) fn new(pool: PgPool, sealing: Sealing) -> Self {
        Self {
            pool,
            sealing,
            cached: Default::default(),
        }
    }

    /// The key to sign with now.
    pub(crate) async fn key(&self) -> Result<Arc<CurrentKey>, KeyError> {
        let mut cached = self.cached.lock().await;
        if let Some((key, at)) = cached.as_ref()
            && at.elapsed() < SIGNER_CACHE
        {
            return Ok(key.clone());
        }
        let key = Arc::new(current(&self.pool, &self.sealing).await?);
        *cached = Some((key.clone(), Instant::now()));
        Ok(key)
    }
}

/// Makes sure a signing key younger than `rotate_after` signs new tokens: creates the
/// first key, or a successor to one that has aged, retiring its predecessors. A retired
/// key keeps verifying for two token lifetimes (see [`store::keys::public_keys`]), so
/// tokens it signed stay valid until they expire. Replicas serialise on an advisory lock,
/// so they create one key, not one each.
pub(crate) async fn ensure_signing_key(
    pool: &PgPool,
    rotate_after: Duration,
    sealing: &Sealing,
) -> Result<(), KeyError> {
    let mut tx = pool.begin().await?;
    store::keys::lock_key_creation(&mut tx).await?;
    if !store::keys::has_fresh_key(&mut tx, rotate_after).await? {
        let kid = insert_new_key(&mut tx, sealing).await?;
        let retired = store::keys::retire_all_but(&mut tx, &kid).await?;
        tracing::info!(%kid, retired, "generated a token signing key");
    }
    Ok(tx.commit().await?)
}

/// Seals the keys stored in clear when a key-encryption key is set, then checks that
/// every stored key opens, so a wrong or missing key-encryption key stops the start
/// instead of the first login. Replicas may seal the same row at once: only the first
/// write finds it in clear.
pub(crate) async fn seal_stored_keys(pool: &PgPool, sealing: &Sealing) -> Result<(), KeyError> {
    if let Some(key) = sealing.0.as_deref() {
        for (kid, der) in store::keys::clear_keys(pool).await? {
            store::keys::seal_key(pool, &kid, Sealing::seal(key, &kid, &der)).await?;
            tracing::info!(%kid, "sealed a signing key stored in clear");
        }
    }
    for (kid, sealed) in store::keys::sealed_keys(pool).await? {
        sealing.open(&kid, None, Some(sealed))?;
    }
    Ok(())
}

/// Checks the key's age every hour until the pool closes (the service stopped), and
/// sweeps expired rows on the way.
pub(crate) async fn rotate_hourly(pool: PgPool, rotate_after: Duration, sealing: Sealing) {
    loop {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        if pool.is_closed() {
            return;
        }
        if let Err(err) = ensure_signing_key(&pool, rotate_after, &sealing).await {
            tracing::warn!(error = %err, "checking the signing key's age failed; retrying in an hour");
        }
        if let Err(err) = store::sweep(&pool).await {
            tracing::warn!(error = %err, "sweeping expired sessions and failures failed");
        }
    }
}

async fn insert_new_key(
    conn: &mut sqlx::PgConnection,
    sealing: &Sealing,
) -> Result<String, KeyError> {
    let key = SigningKey::generate(&mut rand::rngs::OsRng);
    let der = key
        .to_pkcs8_der()
        .map_err(|err| KeyError::Encoding(err.to_string()))?;
    let kid = uuid::Uuid::now_v7().simple().to_string();
    let (clear, sealed) = sealing.store(&kid, der.as_bytes());
    let public_x = URL_SAFE_NO_PAD.encode(key.verifying_key().to_bytes());
    store::keys::insert_key(conn, &kid, clear, sealed, public_x).await?;
    Ok(kid)
}

/// The key that signs new tokens.
async fn current(pool: &PgPool, sealing: &Sealing) -> Result<CurrentKey, KeyError> {
    let (kid, der, sealed) = store::keys::current_key(pool).await?;
    let private_der = sealing.open(&kid, der, sealed)?;
    Ok(CurrentKey { kid, private_der })
}
