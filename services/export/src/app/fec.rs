//! `ExportFec`: the FEC of a company's fiscal year, written line by line from the
//! ledger as the rows come, in its own transaction.

use futures::StreamExt;
use sqlx::PgPool;
use uuid::Uuid;

use super::files::{self, File};
use super::profiles;
use crate::domain::fec::{self, FiscalYear, Separator};
use crate::error::Error;
use crate::store;

/// The FEC asked for.
#[derive(Debug, Clone)]
pub(crate) struct FecExport {
    pub(crate) company_id: Uuid,
    pub(crate) year: FiscalYear,
    pub(crate) separator: Separator,
}

/// The FEC of `company_id` for `year`, named after its SIREN (a company export has not
/// heard of is [`Error::ProfileNotFound`], before anything is streamed).
pub(crate) async fn export_fec(
    pool: &PgPool,
    company_id: Uuid,
    year: FiscalYear,
    separator: Separator,
) -> Result<File, Error> {
    let profile = profiles::seller_profile(pool, company_id).await?;
    let pool = pool.clone();
    Ok(files::stream(
        fec::file_name(&profile.siren, &year),
        "text/plain; charset=utf-8",
        move |mut sink| async move {
            let mut tx = store::begin(&pool, company_id).await?;
            sink.write(fec::header(separator).as_bytes()).await?;
            let mut line = String::new();
            {
                let mut rows = store::fec::lines(&mut tx, company_id, &year);
                while let Some(row) = rows.next().await {
                    line.clear();
                    fec::write_line(&row?, separator, &mut line);
                    sink.write(line.as_bytes()).await?;
                    sink.row_written();
                }
            }
            tx.commit().await?;
            Ok(sink)
        },
    ))
}
