//! Token signing keys: generated on first start, kept in identity's schema, newest first.
//! A retired key keeps verifying for two token lifetimes, so rotation never cuts a session.

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

/// Creates a signing key unless an unretired one exists. Replicas starting together
/// serialise on an advisory lock, so they create one key, not one each.
pub(crate) async fn ensure_signing_key(pool: &PgPool) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('comptoir.identity.signing_key'))")
        .execute(&mut *tx)
        .await?;
    let present: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM signing_key WHERE retired_at IS NULL)")
            .fetch_one(&mut *tx)
            .await?;
    if !present {
        insert_new_key(&mut tx).await?;
        tracing::info!("generated a token signing key");
    }
    tx.commit().await
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
