//! The bulk import of client companies from a CSV file: every row is checked before
//! anything is created (`domain::import`), against the firm's portfolio as it stands
//! (its codes dossier, read here) and its members (asked of tenancy, with the caller's
//! token), then each valid row is created through the very path of `CreateClientCompany`
//! ([`app::firm::create_client_company`]), a few at once, while progress is reported.
//!
//! Running the same file again creates nothing new: a created row's code dossier is then
//! in the portfolio and the row is refused as such; and each creation asks tenancy with a
//! key derived from the firm's code dossier ([`creation_key`] with no key of the caller),
//! so a row whose creation was cut short between tenancy and the portal is completed, not
//! created twice.
//!
//! [`app::firm::create_client_company`]: crate::app::firm::create_client_company
//! [`creation_key`]: crate::domain::client::creation_key

use comptoir_runtime::{Deps, FieldViolations};
use futures::StreamExt;
use tokio::sync::mpsc;
use tonic_types::StatusExt;

use crate::app::Ctx;
use crate::app::firm::{self, CreateClient, ThroughTenancy, require_enabled};
use crate::domain::import::{
    Checked, Column, FileError, ImportFile, Portfolio, RowError, ValidRow, check_rows, column_of,
};
use crate::error::Error;
use crate::store;
use crate::tenancy::{Authorization, Tenancy};

/// How many rows are created at once: enough to overlap the round trips to tenancy and
/// the database, few enough to leave the pool (16 connections by default) to others.
const IN_FLIGHT: usize = 6;

/// A progress report goes out at least once every this many rows, read or created.
const PROGRESS_EVERY: u32 = 100;

/// Room for progress reports not yet sent to a slow caller.
const PROGRESS_BUFFER: usize = 16;

/// An import the caller asked for.
#[derive(Debug, Clone)]
pub(crate) struct ImportClients {
    /// The whole file, as received.
    pub(crate) file: Vec<u8>,
    /// Check only; create nothing.
    pub(crate) dry_run: bool,
    /// Whether tenancy invites each created client's director now.
    pub(crate) invite_director: bool,
}

/// Where an import stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Progress {
    /// Data rows read so far.
    pub(crate) rows_read: u32,
    /// Rows that passed the checks.
    pub(crate) rows_valid: u32,
    /// Clients created.
    pub(crate) rows_created: u32,
    /// Rows refused: by the checks, or by their creation.
    pub(crate) rows_failed: u32,
    /// True on the last report.
    pub(crate) done: bool,
    /// On the last report, every refused field of every refused row, by line.
    pub(crate) errors: Vec<RowError>,
}

/// The refusal of a whole file, on the request's field `file`.
pub(crate) fn file_refused(err: &FileError) -> Error {
    let mut violations = FieldViolations::new();
    violations.add("file", err.to_string());
    Error::InvalidArgument(violations)
}

/// Checks every row of `command`'s file and, unless it is a dry run, creates the valid
/// ones for the caller's firm. A malformed file, a firm without its accounting module or
/// a failure to read the portfolio is refused at once, before any report; otherwise the
/// answer is a stream of reports (see [`Progress`]), the last one with `done` set. The
/// import stops creating when the caller goes away (the stream's receiver is dropped):
/// running the file again completes it.
pub(crate) async fn import_client_companies(
    ctx: Ctx,
    deps: Deps,
    tenancy: Tenancy,
    authorization: Authorization,
    command: ImportClients,
) -> Result<mpsc::Receiver<Progress>, Error> {
    let file = ImportFile::parse(&command.file).map_err(|err| file_refused(&err))?;
    let mut tx = ctx.begin(&deps.pool, "portfolio.import_checked").await?;
    require_enabled(&mut tx, ctx.firm_id).await?;
    let file_codes = store::import::file_codes(&mut tx, ctx.firm_id).await?;
    tx.commit().await?;
    let members = tenancy.firm_members(&authorization).await?;
    let portfolio = Portfolio {
        file_codes,
        members,
    };
    let checked = check_rows(&file, command.invite_director, &portfolio);
    let (sender, receiver) = mpsc::channel(PROGRESS_BUFFER);
    tokio::spawn(async move {
        let through = ThroughTenancy {
            tenancy: &tenancy,
            authorization: &authorization,
        };
        let run = Run {
            ctx: &ctx,
            deps: &deps,
            through,
            invite_director: command.invite_director,
            sender: &sender,
        };
        run.report(checked, command.dry_run).await;
    });
    Ok(receiver)
}

/// An import under way, once its rows are checked.
struct Run<'a> {
    ctx: &'a Ctx,
    deps: &'a Deps,
    through: ThroughTenancy<'a>,
    invite_director: bool,
    sender: &'a mpsc::Sender<Progress>,
}

impl Run<'_> {
    /// Reports the checks, creates the valid rows unless `dry_run`, and sends the last
    /// report. Gives up quietly once the caller is gone.
    async fn report(&self, checked: Vec<Checked>, dry_run: bool) {
        let mut progress = Progress::default();
        let mut errors = Vec::new();
        let mut valid = Vec::new();
        for verdict in checked {
            progress.rows_read += 1;
            match verdict {
                Checked::Valid(row) => {
                    progress.rows_valid += 1;
                    valid.push(*row);
                }
                Checked::Invalid(refused) => {
                    progress.rows_failed += 1;
                    errors.extend(refused);
                }
            }
            if progress.rows_read.is_multiple_of(PROGRESS_EVERY) && !self.send(&progress).await {
                return;
            }
        }
        if !dry_run && !self.create(valid, &mut progress, &mut errors).await {
            return;
        }
        errors.sort_by_key(|error| error.line);
        progress.done = true;
        progress.errors = errors;
        self.send(&progress).await;
    }

    /// Creates `rows`, [`IN_FLIGHT`] at once, counting each in `progress` and recording
    /// a refused one in `errors`. False once the caller is gone.
    async fn create(
        &self,
        rows: Vec<ValidRow>,
        progress: &mut Progress,
        errors: &mut Vec<RowError>,
    ) -> bool {
        let mut outcomes = futures::stream::iter(rows)
            .map(|row| self.create_one(row))
            .buffer_unordered(IN_FLIGHT);
        let mut done = 0_u32;
        while let Some(outcome) = outcomes.next().await {
            match outcome {
                Ok(()) => progress.rows_created += 1,
                Err(refused) => {
                    progress.rows_failed += 1;
                    errors.extend(refused);
                }
            }
            done += 1;
            if done.is_multiple_of(PROGRESS_EVERY) && !self.send(progress).await {
                return false;
            }
            if self.sender.is_closed() {
                return false;
            }
        }
        true
    }

    /// Creates one row as `CreateClientCompany` would, with no key of the caller's (so
    /// tenancy's is derived from the code dossier); its refusal as the row's errors.
    async fn create_one(&self, row: ValidRow) -> Result<(), Vec<RowError>> {
        let line = row.line;
        let siret = row.client.siret.to_string();
        let command = CreateClient {
            client: row.client,
            invite_director: self.invite_director,
            idempotency_key: String::new(),
        };
        firm::create_client_company(self.ctx, self.deps, self.through, &command, &(), |_, _| ())
            .await
            .map_err(|err| refusal(line, &siret, err))
    }

    /// Sends `progress`; false when the caller is gone.
    async fn send(&self, progress: &Progress) -> bool {
        self.sender.send(progress.clone()).await.is_ok()
    }
}

/// Why the creation of the row at `line` (SIRET `siret`) failed, as the row's errors: a
/// code dossier taken meanwhile, a SIRET tenancy already has, a field tenancy refused;
/// anything else (an unavailable dependency, a fault) is logged and reported on the row
/// without a field, to retry by importing the file again.
fn refusal(line: u32, siret: &str, err: Error) -> Vec<RowError> {
    let error = |field: &str, reason: String| RowError {
        line,
        field: field.to_owned(),
        reason,
    };
    match err {
        Error::FileCodeTaken(code) => vec![error(
            Column::FileCode.name(),
            format!("{code} is already in the firm's portfolio"),
        )],
        Error::InvalidArgument(violations) => violations
            .iter()
            .map(|(field, reason)| error(&column_of(field), reason.clone()))
            .collect(),
        Error::Tenancy(status)
            if status
                .get_details_error_info()
                .is_some_and(|info| info.reason == "SIRET_TAKEN") =>
        {
            vec![error("siret", format!("{siret} is already registered"))]
        }
        Error::Tenancy(status) => vec![error(
            "",
            format!("tenancy refused the creation: {}", status.message()),
        )],
        err => {
            tracing::error!(line, error = %err, "an imported client could not be created");
            vec![error(
                "",
                "could not be created for a passing fault; import the file again to retry"
                    .to_owned(),
            )]
        }
    }
}
