//! The `export_job` table (a job, its progress and its file, under row-level security)
//! and `export_job_queue` (the jobs still to run and their leases, ids only, so a worker
//! finds its next job before it knows the company).

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::jobs::{Job, JobState};

/// Records a new job of `company_id` (the transaction acts for it) and queues it.
pub(crate) async fn insert(
    conn: &mut PgConnection,
    export_id: Uuid,
    company_id: Uuid,
    requested_by: &str,
    request: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO export_job (export_id, company_id, requested_by, request) \
         VALUES ($1, $2, $3, $4)",
        export_id,
        company_id,
        requested_by,
        request,
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "INSERT INTO export_job_queue (export_id, company_id) VALUES ($1, $2)",
        export_id,
        company_id,
    )
    .execute(conn)
    .await?;
    Ok(())
}

struct JobRow {
    export_id: Uuid,
    company_id: Uuid,
    state: String,
    rows_done: i64,
    rows_total: i64,
    file_name: String,
    size_bytes: i64,
    error: String,
    created_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
}

impl From<JobRow> for Job {
    fn from(row: JobRow) -> Self {
        Job {
            export_id: row.export_id,
            company_id: row.company_id,
            state: JobState::parse(&row.state),
            rows_done: row.rows_done,
            rows_total: row.rows_total,
            file_name: row.file_name,
            size_bytes: row.size_bytes,
            error: row.error,
            created_at: row.created_at,
            finished_at: row.finished_at,
        }
    }
}

/// The job `export_id`, if it is the acting company's.
pub(crate) async fn job(
    conn: &mut PgConnection,
    export_id: Uuid,
) -> Result<Option<Job>, sqlx::Error> {
    let row = sqlx::query_as!(
        JobRow,
        "SELECT export_id, company_id, state, rows_done, rows_total, file_name, size_bytes, \
             error, created_at, finished_at \
         FROM export_job WHERE export_id = $1",
        export_id,
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Job::from))
}

/// A job's stored file: its name, MIME type and bytes (None until it succeeded).
pub(crate) struct StoredFile {
    pub(crate) state: JobState,
    pub(crate) file_name: String,
    pub(crate) content_type: String,
    pub(crate) file: Option<Vec<u8>>,
}

/// The file of job `export_id`, if it is the acting company's.
pub(crate) async fn file(
    conn: &mut PgConnection,
    export_id: Uuid,
) -> Result<Option<StoredFile>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT state, file_name, content_type, file FROM export_job WHERE export_id = $1",
        export_id,
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|row| StoredFile {
        state: JobState::parse(&row.state),
        file_name: row.file_name,
        content_type: row.content_type,
        file: row.file,
    }))
}

/// A job a worker claimed: it holds the lease while `claim_id` is the queue row's.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Claimed {
    pub(crate) export_id: Uuid,
    pub(crate) company_id: Uuid,
    pub(crate) claim_id: Uuid,
    /// How many times it was claimed, this one included.
    pub(crate) attempts: i32,
}

/// Claims the oldest queued job whose lease is free or expired, for `lease`; other
/// workers skip the row while this statement holds it.
pub(crate) async fn claim(pool: &PgPool, lease: Duration) -> Result<Option<Claimed>, sqlx::Error> {
    let claim_id = Uuid::now_v7();
    let row = sqlx::query!(
        "UPDATE export_job_queue SET claim_id = $1, \
             lease_expires_at = now() + make_interval(secs => $2), attempts = attempts + 1 \
         WHERE export_id = ( \
             SELECT export_id FROM export_job_queue \
             WHERE lease_expires_at IS NULL OR lease_expires_at < now() \
             ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED) \
         RETURNING export_id, company_id, attempts",
        claim_id,
        lease.as_secs_f64(),
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|row| Claimed {
        export_id: row.export_id,
        company_id: row.company_id,
        claim_id,
        attempts: row.attempts,
    }))
}

/// The stored request of job `export_id` and who made it (the transaction acts for its
/// company).
pub(crate) async fn request(
    conn: &mut PgConnection,
    export_id: Uuid,
) -> Result<(Vec<u8>, String), sqlx::Error> {
    let row = sqlx::query!(
        "SELECT request, requested_by FROM export_job WHERE export_id = $1",
        export_id,
    )
    .fetch_one(conn)
    .await?;
    Ok((row.request, row.requested_by))
}

/// Renews the lease of `claimed` for `lease` and records its progress; false when the
/// lease was lost (it expired and another worker claimed the job).
pub(crate) async fn progress(
    conn: &mut PgConnection,
    claimed: &Claimed,
    lease: Duration,
    (rows_done, rows_total): (i64, i64),
    file_name: &str,
) -> Result<bool, sqlx::Error> {
    let renewed = sqlx::query!(
        "UPDATE export_job_queue SET lease_expires_at = now() + make_interval(secs => $3) \
         WHERE export_id = $1 AND claim_id = $2",
        claimed.export_id,
        claimed.claim_id,
        lease.as_secs_f64(),
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if renewed == 0 {
        return Ok(false);
    }
    sqlx::query!(
        "UPDATE export_job SET rows_done = $2, rows_total = $3, file_name = $4, \
             updated_at = now() \
         WHERE export_id = $1 AND state = 'running'",
        claimed.export_id,
        rows_done,
        rows_total,
        file_name,
    )
    .execute(conn)
    .await?;
    Ok(true)
}

/// Gives the lease of `claimed` back at once (the worker is stopping), so the next
/// worker need not wait for it to expire.
pub(crate) async fn release(pool: &PgPool, claimed: &Claimed) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE export_job_queue SET lease_expires_at = now() \
         WHERE export_id = $1 AND claim_id = $2",
        claimed.export_id,
        claimed.claim_id,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// How a job ended.
pub(crate) struct Outcome<'a> {
    pub(crate) state: JobState,
    pub(crate) rows: (i64, i64),
    pub(crate) file_name: &'a str,
    pub(crate) content_type: &'a str,
    /// The file, when it succeeded.
    pub(crate) file: Option<&'a [u8]>,
    pub(crate) error: &'a str,
}

/// Ends the job of `claimed` with `outcome` and takes it off the queue; false (nothing
/// written) when the lease was lost to another worker.
pub(crate) async fn finish(
    conn: &mut PgConnection,
    claimed: &Claimed,
    outcome: &Outcome<'_>,
) -> Result<bool, sqlx::Error> {
    let dequeued = sqlx::query!(
        "DELETE FROM export_job_queue WHERE export_id = $1 AND claim_id = $2",
        claimed.export_id,
        claimed.claim_id,
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if dequeued == 0 {
        return Ok(false);
    }
    let size_bytes = outcome.file.map_or(0, |file| file.len() as i64);
    sqlx::query!(
        "UPDATE export_job SET state = $2, rows_done = $3, rows_total = $4, file_name = $5, \
             content_type = $6, file = $7, size_bytes = $8, error = $9, \
             finished_at = now(), updated_at = now() \
         WHERE export_id = $1 AND state = 'running'",
        claimed.export_id,
        outcome.state.as_str(),
        outcome.rows.0,
        outcome.rows.1,
        outcome.file_name,
        outcome.content_type,
        outcome.file,
        size_bytes,
        outcome.error,
    )
    .execute(conn)
    .await?;
    Ok(true)
}
