//! Idempotency keys for mutations. Inside the mutation's transaction, [`claim`] either
//! reserves the key (the request goes ahead and [`complete`] stores its answer) or returns
//! the stored answer of the first request. A concurrent retry waits on the row lock until
//! the first transaction ends, so it never runs the mutation twice. The same key with a
//! different request is a client error. Keys older than `COMPTOIR_IDEMPOTENCY_RETENTION`
//! are deleted by [`purge`], a background task every service runs.

use std::time::Duration;

use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;

/// Longest accepted key.
pub const MAX_KEY_LEN: usize = 128;

/// What [`claim`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Claim {
    /// The key is new: run the mutation, then [`complete`].
    Fresh,
    /// The key was used by the same request: return this encoded answer.
    Replay(Vec<u8>),
}

/// Why a key cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum IdempotencyError {
    /// The key was first used with a different request.
    #[error("idempotency_key was already used with a different request")]
    Mismatch,
    /// The key is longer than [`MAX_KEY_LEN`].
    #[error("idempotency_key must be at most {MAX_KEY_LEN} characters")]
    TooLong,
    /// Database fault.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// The hash that identifies a request: its method and encoded body.
pub fn request_hash(scope: &str, body: &[u8]) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(scope.as_bytes());
    hasher.update([0]);
    hasher.update(body);
    hasher.finalize().to_vec()
}

/// Reserves `key` in `scope` for the request with `hash`, or finds its first answer.
pub async fn claim(
    conn: &mut PgConnection,
    scope: &str,
    key: &str,
    hash: &[u8],
) -> Result<Claim, IdempotencyError> {
    if key.chars().count() > MAX_KEY_LEN {
        return Err(IdempotencyError::TooLong);
    }
    let inserted = sqlx::query!(
        "INSERT INTO idempotency_key (scope, key, request_hash) VALUES ($1, $2, $3) \
         ON CONFLICT (scope, key) DO NOTHING",
        scope,
        key,
        hash,
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(Claim::Fresh);
    }
    let stored = sqlx::query!(
        "SELECT request_hash, response FROM idempotency_key WHERE scope = $1 AND key = $2",
        scope,
        key,
    )
    .fetch_one(&mut *conn)
    .await?;
    match stored.response {
        Some(response) if stored.request_hash == hash => Ok(Claim::Replay(response)),
        // A committed claim always has its response; anything else is a mismatch.
        _ => Err(IdempotencyError::Mismatch),
    }
}

/// Stores the answer for a key claimed in this transaction.
pub async fn complete(
    conn: &mut PgConnection,
    scope: &str,
    key: &str,
    response: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE idempotency_key SET response = $3 WHERE scope = $1 AND key = $2",
        scope,
        key,
        response,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Runs `mutation` at most once per `key` in `scope`, inside the caller's transaction:
/// a fresh key runs it and stores its encoded answer; a replay decodes the stored one.
/// An empty key runs the mutation unguarded.
pub async fn once<R, E>(
    conn: &mut PgConnection,
    scope: &str,
    key: &str,
    request: &impl prost::Message,
    mutation: impl AsyncFnOnce(&mut PgConnection) -> Result<R, E>,
) -> Result<R, E>
where
    R: prost::Message + Default,
    E: From<IdempotencyError>,
{
    if key.is_empty() {
        return mutation(conn).await;
    }
    let hash = request_hash(scope, &request.encode_to_vec());
    match claim(conn, scope, key, &hash).await? {
        Claim::Replay(stored) => R::decode(stored.as_slice())
            .map_err(|err| IdempotencyError::Db(sqlx::Error::Decode(Box::new(err))).into()),
        Claim::Fresh => {
            let answer = mutation(conn).await?;
            complete(conn, scope, key, &answer.encode_to_vec())
                .await
                .map_err(IdempotencyError::Db)?;
            Ok(answer)
        }
    }
}

/// How often [`purge`] runs: a tenth of the retention, from once a second to once an hour,
/// so a key outlives its retention by at most a tenth of it (or an hour).
fn purge_interval(retention: Duration) -> Duration {
    (retention / 10).clamp(Duration::from_secs(1), Duration::from_secs(3600))
}

/// Deletes the keys older than `retention`; returns how many.
async fn purge_older_than(pool: &PgPool, retention: Duration) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query!(
        "DELETE FROM idempotency_key WHERE created_at < now() - make_interval(secs => $1)",
        retention.as_secs_f64(),
    )
    .execute(pool)
    .await?
    .rows_affected())
}

/// Purges keys older than `retention` every [`purge_interval`] until `stop`. Every
/// replica runs it; concurrent deletes of the same rows are harmless. A failure (the
/// database is down) is logged and retried at the next tick.
pub async fn purge(pool: PgPool, retention: Duration, stop: CancellationToken) {
    let interval = purge_interval(retention);
    loop {
        match purge_older_than(&pool, retention).await {
            Ok(0) => {}
            Ok(purged) => tracing::debug!(purged, "idempotency keys past their retention purged"),
            Err(err) => tracing::warn!(error = %err, "purging idempotency keys failed; retrying"),
        }
        if crate::retry::sleep_or_cancel(&stop, interval).await {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_purge_runs_a_tenth_of_the_retention_apart_within_a_second_and_an_hour() {
        assert_eq!(
            purge_interval(Duration::from_secs(30)),
            Duration::from_secs(3)
        );
        assert_eq!(
            purge_interval(Duration::from_secs(5)),
            Duration::from_secs(1)
        );
        assert_eq!(
            purge_interval(Duration::from_secs(24 * 3600)),
            Duration::from_secs(3600)
        );
    }
}
