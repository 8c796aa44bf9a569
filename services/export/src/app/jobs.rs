//! Export jobs (`StartExport`, `GetExport`, `DownloadExport`) and the [`Worker`] that
//! runs them. A job is any file export the streaming RPCs serve: [`start`] stores its
//! request (once per idempotency key) and answers at once; the worker of any export
//! process claims it with an expiring lease, produces the file with the very function
//! the streaming RPC uses ([`produce`]), reports the rows written while it runs, and
//! stores the file (at most [`MAX_FILE_BYTES`]) with `export.completed` in one last
//! transaction. A process that dies mid-job loses its lease, and the job runs again from
//! its stored request in whichever process claims it next; one that stops cleanly gives
//! the lease back at once.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use comptoir_proto::events::v1::ExportCompleted;
use comptoir_proto::export::v1::ExportState;
use comptoir_runtime::CancellationToken;
use comptoir_runtime::events::{Event, Outbox, names};
use futures::StreamExt;
use sqlx::PgPool;
use tokio::sync::Notify;
use uuid::Uuid;

use super::documents_pdf::{self, DocumentsExport};
use super::fec::{self, FecExport};
use super::files::{self, File};
use super::report_files::{self, PaymentsExport, ReportExport};
use super::reports::{self, SalesJournal};
use crate::domain::jobs::{Job, JobState, MAX_FILE_BYTES};
use crate::error::Error;
use crate::store;
use crate::store::jobs::{Claimed, Outcome};

/// How long a claimed job is its worker's without a sign of life.
const LEASE: Duration = Duration::from_secs(30);
/// How often a running job renews its lease and records its progress.
const HEARTBEAT: Duration = Duration::from_secs(2);
/// How often an idle worker looks for queued jobs (those started through another
/// process, or abandoned by a dead one), when nothing wakes it sooner.
const POLL: Duration = Duration::from_secs(1);
/// Claims after which a job that keeps killing its worker is failed.
const MAX_ATTEMPTS: i32 = 5;

/// An export a job runs: the decoded request of one of the streaming RPCs.
#[derive(Debug, Clone)]
pub(crate) enum Export {
    SalesJournal(SalesJournal),
    Fec(FecExport),
    Payments(PaymentsExport),
    Report(ReportExport),
    Documents(DocumentsExport),
}

impl Export {
    /// The company whose export it is.
    pub(crate) fn company_id(&self) -> Uuid {
        match self {
            Export::SalesJournal(journal) => journal.company_id,
            Export::Fec(fec) => fec.company_id,
            Export::Payments(payments) => payments.company_id,
            Export::Report(report) => report.company_id,
            Export::Documents(documents) => documents.company_id,
        }
    }
}

/// The file of `export`, produced by the same function as its streaming RPC.
async fn produce(pool: &PgPool, export: Export) -> Result<File, Error> {
    match export {
        Export::SalesJournal(journal) => Ok(reports::sales_journal(pool, journal)),
        Export::Fec(fec) => fec::export_fec(pool, fec.company_id, fec.year, fec.separator).await,
        Export::Payments(payments) => Ok(report_files::payments(pool, payments)),
        Export::Report(report) => report_files::report(pool, report).await,
        Export::Documents(documents) => {
            documents_pdf::export_documents(
                pool,
                documents.company_id,
                documents.period,
                documents.profile,
            )
            .await
        }
    }
}

/// Wakes the worker when a job is queued, so it need not wait for its next poll.
#[derive(Debug, Clone, Default)]
pub(crate) struct Wake(Arc<Notify>);

/// `StartExport`: stores `export` as a job of its company, requested by `actor`, with its
/// request `stored` (what the worker decodes again), and answers `encode(job)`. A retry
/// with the same `key` answers the first job (`request` is what the key's hash covers).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn start<R>(
    pool: &PgPool,
    wake: &Wake,
    export: &Export,
    actor: &str,
    key: &str,
    request: &impl prost::Message,
    stored: &[u8],
    encode: impl FnOnce(&Job) -> R,
) -> Result<R, Error>
where
    R: prost::Message + Default,
{
    let company_id = export.company_id();
    let mut tx = store::begin(pool, company_id).await?;
    let scope = format!("export.StartExport/{company_id}");
    let answer = comptoir_runtime::idempotency::once(
        &mut tx,
        &scope,
        key,
        request,
        async |conn| -> Result<R, Error> {
            let export_id = Uuid::now_v7();
            store::jobs::insert(conn, export_id, company_id, actor, stored).await?;
            let job = store::jobs::job(conn, export_id)
                .await?
                .ok_or(Error::ExportNotFound(export_id))?;
            Ok(encode(&job))
        },
    )
    .await?;
    tx.commit().await?;
    wake.0.notify_one();
    Ok(answer)
}

/// `GetExport`: job `export_id` of `company_id`.
pub(crate) async fn job(pool: &PgPool, company_id: Uuid, export_id: Uuid) -> Result<Job, Error> {
    let mut tx = store::begin(pool, company_id).await?;
    let job = store::jobs::job(&mut tx, export_id).await?;
    tx.commit().await?;
    job.ok_or(Error::ExportNotFound(export_id))
}

/// `DownloadExport`: the file of job `export_id` of `company_id`, once it succeeded.
pub(crate) async fn download(
    pool: &PgPool,
    company_id: Uuid,
    export_id: Uuid,
) -> Result<File, Error> {
    let mut tx = store::begin(pool, company_id).await?;
    let stored = store::jobs::file(&mut tx, export_id).await?;
    tx.commit().await?;
    let stored = stored.ok_or(Error::ExportNotFound(export_id))?;
    let (JobState::Succeeded, Some(bytes)) = (stored.state, stored.file) else {
        return Err(Error::ExportNotReady(export_id));
    };
    Ok(files::stream(
        stored.file_name,
        Cow::Owned(stored.content_type),
        move |mut sink| async move {
            sink.write(&bytes).await?;
            Ok(sink)
        },
    ))
}

/// Decodes a job's stored request as `StartExport` decoded it.
pub(crate) type Decode = fn(&[u8]) -> Result<Export, Error>;

/// The job worker of an export process: runs queued jobs one at a time until stopped.
pub(crate) struct Worker {
    pub(crate) pool: PgPool,
    pub(crate) outbox: Outbox,
    pub(crate) wake: Wake,
    pub(crate) decode: Decode,
}

/// How running a job's file ended.
enum Ended {
    /// The file, whole.
    Produced {
        file_name: String,
        content_type: Cow<'static, str>,
        bytes: Vec<u8>,
        rows: (i64, i64),
    },
    /// The process is stopping: the job is left for the next worker.
    Stopped,
    /// Another worker holds the job now.
    LeaseLost,
}

impl Worker {
    /// Claims and runs jobs until `stop`.
    pub(crate) async fn run(self, stop: CancellationToken) {
        while !stop.is_cancelled() {
            match store::jobs::claim(&self.pool, LEASE).await {
                Ok(Some(claimed)) => {
                    if let Err(err) = self.run_job(claimed, &stop).await {
                        tracing::warn!(error = %err, export_id = %claimed.export_id,
                            "export job interrupted; it runs again once its lease expires");
                    }
                    continue;
                }
                Ok(None) => {}
                Err(err) => tracing::warn!(error = %err, "claiming an export job failed"),
            }
            tokio::select! {
                () = stop.cancelled() => {}
                () = self.wake.0.notified() => {}
                () = tokio::time::sleep(POLL) => {}
            }
        }
    }

    async fn run_job(&self, claimed: Claimed, stop: &CancellationToken) -> Result<(), Error> {
        let mut tx = store::begin(&self.pool, claimed.company_id).await?;
        let (request, requested_by) = store::jobs::request(&mut tx, claimed.export_id).await?;
        tx.commit().await?;
        let ended = if claimed.attempts > MAX_ATTEMPTS {
            Err(Error::ExportAbandoned(claimed.attempts - 1))
        } else {
            match (self.decode)(&request) {
                Ok(export) => self.produce(&claimed, export, stop).await,
                Err(err) => Err(err),
            }
        };
        let (file_name, content_type, bytes, rows, error) = match ended {
            Ok(Ended::Stopped) => return Ok(store::jobs::release(&self.pool, &claimed).await?),
            Ok(Ended::LeaseLost) => return Ok(()),
            Ok(Ended::Produced {
                file_name,
                content_type,
                bytes,
                rows,
            }) => (file_name, content_type, Some(bytes), rows, String::new()),
            Err(err) => {
                let message = failure(&err);
                if message.is_empty() {
                    tracing::error!(error = %err, export_id = %claimed.export_id, "export job failed");
                }
                (String::new(), Cow::Borrowed(""), None, (0, 0), message)
            }
        };
        let state = if bytes.is_some() {
            JobState::Succeeded
        } else {
            JobState::Failed
        };
        let outcome = Outcome {
            state,
            rows,
            file_name: &file_name,
            content_type: &content_type,
            file: bytes.as_deref(),
            error: if error.is_empty() && state == JobState::Failed {
                "internal error"
            } else {
                &error
            },
        };
        let mut tx = store::begin(&self.pool, claimed.company_id).await?;
        if store::jobs::finish(&mut tx, &claimed, &outcome).await? {
            export_completed(&claimed, &requested_by, &outcome)
                .enqueue(&mut tx)
                .await?;
        }
        tx.commit().await?;
        self.outbox.wake();
        Ok(())
    }

    /// Produces the file of `export`, renewing the lease and recording the rows written
    /// every [`HEARTBEAT`].
    async fn produce(
        &self,
        claimed: &Claimed,
        export: Export,
        stop: &CancellationToken,
    ) -> Result<Ended, Error> {
        let File {
            name,
            content_type,
            mut chunks,
            progress,
        } = produce(&self.pool, export).await?;
        let rows = || {
            let (done, total) = progress.get();
            let done = i64::try_from(done).unwrap_or(i64::MAX);
            let total = i64::try_from(total).unwrap_or(i64::MAX);
            (done, total)
        };
        let mut bytes = Vec::new();
        let mut heartbeat =
            tokio::time::interval_at(tokio::time::Instant::now() + HEARTBEAT, HEARTBEAT);
        loop {
            tokio::select! {
                () = stop.cancelled() => return Ok(Ended::Stopped),
                _ = heartbeat.tick() => {
                    let mut tx = store::begin(&self.pool, claimed.company_id).await?;
                    let held = store::jobs::progress(&mut tx, claimed, LEASE, rows(), &name).await?;
                    tx.commit().await?;
                    if !held {
                        return Ok(Ended::LeaseLost);
                    }
                }
                chunk = chunks.next() => match chunk {
                    Some(chunk) => {
                        let chunk = chunk?;
                        if bytes.len() + chunk.len() > MAX_FILE_BYTES {
                            return Err(Error::ExportTooLarge);
                        }
                        bytes.extend_from_slice(&chunk);
                    }
                    None => break,
                },
            }
        }
        let (done, total) = rows();
        Ok(Ended::Produced {
            file_name: name,
            content_type,
            bytes,
            // Once the file is whole, every row expected was written.
            rows: (done, total.max(done)),
        })
    }
}

/// What a failed job tells its caller: the client's fault, or nothing (an internal
/// fault, logged, becomes "internal error").
fn failure(err: &Error) -> String {
    match err {
        Error::InvalidArgument(_)
        | Error::ProfileNotFound(_)
        | Error::DocumentNotFound(_)
        | Error::NotAnEInvoice(_)
        | Error::ExportTooLarge
        | Error::ExportAbandoned(_) => err.to_string(),
        Error::Auth(_)
        | Error::ExportNotFound(_)
        | Error::ExportNotReady(_)
        | Error::Idempotency(_)
        | Error::CallerGone
        | Error::Csv(_)
        | Error::Xlsx(_)
        | Error::Pdf(_)
        | Error::EInvoiceWrite(_)
        | Error::Zip(_)
        | Error::Db(_) => String::new(),
    }
}

/// `export.completed` for the job of `claimed`, ended with `outcome`.
fn export_completed(claimed: &Claimed, actor: &str, outcome: &Outcome<'_>) -> Event {
    let state = match outcome.state {
        JobState::Succeeded => ExportState::Succeeded,
        JobState::Failed => ExportState::Failed,
        JobState::Running => ExportState::Running,
    };
    Event::about(names::EXPORT_COMPLETED, claimed.company_id, actor, |meta| {
        ExportCompleted {
            meta: Some(meta),
            export_id: claimed.export_id.to_string(),
            state: state as i32,
            file_name: outcome.file_name.to_owned(),
            size_bytes: outcome.file.map_or(0, |file| file.len() as i64),
        }
    })
}
