//! Token signing keys: generated on first start, kept in identity's schema, newest first,
//! replaced when older than `COMPTOIR_KEY_ROTATION_DAYS`. A retired key keeps verifying
//! for two token lifetimes, so rotation never cuts a session.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use comptoir_runtime::auth::{ACCESS_TOKEN_TTL, PublicKey};
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use sqlx::PgPool;

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
    cached: Arc<Mutex<Option<CachedKey>>>,
}

impl Signer {
    pub(crate) fn new(pool: PgPool) -> Self {
        Self {
            pool,
            cached: Default::default(),
        }
    }

    /// The key to sign with now.
    pub(crate) async fn key(&self) -> Result<Arc<CurrentKey>, sqlx::Error> {
        let mut cached = self.cached.lock().await;
        if let Some((key, at)) = cached.as_ref()
            && at.elapsed() < SIGNER_CACHE
        {
            return Ok(key.clone());
        }
        let key = Arc::new(current(&self.pool).await?);
        *cached = Some((key.clone(), Instant::now()));
        Ok(key)
    }
}

/// Makes sure a signing key younger than `rotate_after` signs new tokens: creates the
/// first key, or a successor to one that has aged, retiring its predecessors. A retired
/// key keeps verifying for two token lifetimes (see [`public_keys`]), so tokens it
/// signed stay valid until they expire. Replicas serialise on an advisory lock, so they
/// create one key, not one each.
pub(crate) async fn ensure_signing_key(
    pool: &PgPool,
    rotate_after: Duration,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('comptoir.identity.signing_key'))")
        .execute(&mut *tx)
        .await?;
    let fresh: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM signing_key WHERE retired_at IS NULL \
         AND created_at > now() - make_interval(secs => $1))",
    )
    .bind(rotate_after.as_secs_f64())
    .fetch_one(&mut *tx)
    .await?;
    if !fresh {
        let kid = insert_new_key(&mut tx).await?;
        let retired = sqlx::query(
            "UPDATE signing_key SET retired_at = now() WHERE retired_at IS NULL AND kid <> $1",
        )
        .bind(&kid)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tracing::info!(%kid, retired, "generated a token signing key");
    }
    tx.commit().await
}

/// Checks the key's age every hour until the pool closes (the service stopped), and
/// sweeps expired rows on the way.
pub(crate) async fn rotate_hourly(pool: PgPool, rotate_after: Duration) {
    loop {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        if pool.is_closed() {
            return;
        }
        if let Err(err) = ensure_signing_key(&pool, rotate_after).await {
            tracing::warn!(error = %err, "checking the signing key's age failed; retrying in an hour");
        }
        if let Err(err) = crate::store::sweep(&pool).await {
            tracing::warn!(error = %err, "sweeping expired sessions and failures failed");
        }
    }
}

async fn insert_new_key(conn: &mut sqlx::PgConnection) -> Result<String, sqlx::Error> {
    let key = SigningKey::generate(&mut rand::rngs::OsRng);
    let der = key
        .to_pkcs8_der()
        .map_err(|err| sqlx::Error::Protocol(format!("encoding a new signing key: {err}")))?;
    let kid = uuid::Uuid::now_v7().simple().to_string();
    sqlx::query("INSERT INTO signing_key (kid, private_der, public_x) VALUES ($1, $2, $3)")
        .bind(&kid)
        .bind(der.as_bytes())
        .bind(URL_SAFE_NO_PAD.encode(key.verifying_key().to_bytes()))
        .execute(conn)
        .await?;
    Ok(kid)
}

/// The key that signs new tokens.
pub(crate) async fn current(pool: &PgPool) -> Result<CurrentKey, sqlx::Error> {
    let (kid, private_der) = sqlx::query_as(
        "SELECT kid, private_der FROM signing_key WHERE retired_at IS NULL \
         ORDER BY created_at DESC LIMIT 1",
    )
    .fetch_one(pool)
    .await?;
    Ok(CurrentKey { kid, private_der })
}

/// Every key that may have signed a live token, newest first.
pub(crate) async fn public_keys(pool: &PgPool) -> Result<Vec<PublicKey>, sqlx::Error> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT kid, public_x FROM signing_key \
         WHERE retired_at IS NULL OR retired_at > now() - make_interval(secs => $1) \
         ORDER BY created_at DESC",
    )
    .bind(ACCESS_TOKEN_TTL.as_secs() as f64 * 2.0)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(kid, x)| PublicKey { kid, x })
        .collect())
}
