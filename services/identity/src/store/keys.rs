//! The token signing keys' rows: each key's id, its private half (in clear or sealed)
//! and its public half. Sealing, opening and rotating them is `crate::keys`' business.
//! The queries are compile-checked against identity's schema (`sqlx.toml`, `.sqlx/`).

use std::time::Duration;

use comptoir_runtime::auth::PublicKey;
use comptoir_runtime::caller::ACCESS_TOKEN_TTL;
use sqlx::{PgConnection, PgPool};

/// Serialises key creation between replicas until the transaction ends, so they create
/// one key, not one each.
pub(crate) async fn lock_key_creation(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query!("SELECT pg_advisory_xact_lock(hashtext('comptoir.identity.signing_key'))")
        .execute(conn)
        .await?;
    Ok(())
}

/// True when a key younger than `rotate_after` signs new tokens.
pub(crate) async fn has_fresh_key(
    conn: &mut PgConnection,
    rotate_after: Duration,
) -> Result<bool, sqlx::Error> {
    // `!`: the macros take an expression's result as nullable; EXISTS never is.
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM signing_key WHERE retired_at IS NULL
           AND created_at > now() - make_interval(secs => $1)) AS "fresh!""#,
        rotate_after.as_secs_f64(),
    )
    .fetch_one(conn)
    .await
}

/// Stores a new key `kid`, its private half in clear or sealed, its public half as the
/// JWK's `x`.
pub(crate) async fn insert_key(
    conn: &mut PgConnection,
    kid: &str,
    clear: Option<Vec<u8>>,
    sealed: Option<Vec<u8>>,
    public_x: String,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO signing_key (kid, private_der, sealed_private, public_x) \
         VALUES ($1, $2, $3, $4)",
        kid,
        clear,
        sealed,
        public_x,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Retires every key but `kid`; returns how many.
pub(crate) async fn retire_all_but(conn: &mut PgConnection, kid: &str) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query!(
        "UPDATE signing_key SET retired_at = now() WHERE retired_at IS NULL AND kid <> $1",
        kid,
    )
    .execute(conn)
    .await?
    .rows_affected())
}

/// The keys stored in clear: (kid, private DER).
pub(crate) async fn clear_keys(pool: &PgPool) -> Result<Vec<(String, Vec<u8>)>, sqlx::Error> {
    // `!`: the column is nullable, but the WHERE keeps only the rows where it is set.
    let rows = sqlx::query!(
        r#"SELECT kid, private_der AS "private_der!" FROM signing_key
           WHERE private_der IS NOT NULL"#
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.kid, row.private_der))
        .collect())
}

/// Replaces the clear private half of `kid` by `sealed`; a no-op if another replica did
/// first.
pub(crate) async fn seal_key(pool: &PgPool, kid: &str, sealed: Vec<u8>) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE signing_key SET sealed_private = $2, private_der = NULL \
         WHERE kid = $1 AND private_der IS NOT NULL",
        kid,
        sealed,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// The sealed keys: (kid, sealed private half).
pub(crate) async fn sealed_keys(pool: &PgPool) -> Result<Vec<(String, Vec<u8>)>, sqlx::Error> {
    // `!`: the column is nullable, but the WHERE keeps only the rows where it is set.
    let rows = sqlx::query!(
        r#"SELECT kid, sealed_private AS "sealed_private!" FROM signing_key
           WHERE sealed_private IS NOT NULL"#
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.kid, row.sealed_private))
        .collect())
}

/// The newest unretired key: (kid, private DER in clear, sealed private half).
pub(crate) async fn current_key(
    pool: &PgPool,
) -> Result<(String, Option<Vec<u8>>, Option<Vec<u8>>), sqlx::Error> {
    let row = sqlx::query!(
        "SELECT kid, private_der, sealed_private FROM signing_key WHERE retired_at IS NULL \
         ORDER BY created_at DESC LIMIT 1",
    )
    .fetch_one(pool)
    .await?;
    Ok((row.kid, row.private_der, row.sealed_private))
}

/// Every key that may have signed a live token, newest first: a retired key keeps
/// verifying for two token lifetimes, so tokens it signed stay valid until they expire.
pub(crate) async fn public_keys(pool: &PgPool) -> Result<Vec<PublicKey>, sqlx::Error> {
    sqlx::query_as!(
        PublicKey,
        r#"SELECT kid, public_x AS x FROM signing_key
           WHERE retired_at IS NULL OR retired_at > now() - make_interval(secs => $1)
           ORDER BY created_at DESC"#,
        ACCESS_TOKEN_TTL.as_secs() as f64 * 2.0,
    )
    .fetch_all(pool)
    .await
}

/// The newest key not retired whose private half is in clear: (kid, PKCS#8 DER). For the
/// test fixtures only.
#[cfg(feature = "fixtures")]
pub(crate) async fn current_clear_key(
    conn: &mut PgConnection,
) -> Result<(String, Vec<u8>), sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT kid, private_der AS "private_der!" FROM signing_key
           WHERE retired_at IS NULL AND private_der IS NOT NULL
           ORDER BY created_at DESC LIMIT 1"#
    )
    .fetch_one(conn)
    .await?;
    Ok((row.kid, row.private_der))
}
