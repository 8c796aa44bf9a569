//! `RenderInvoicePdf` and `ExportDocuments`: an issued invoice or credit note as a PDF
//! (a Factur-X e-invoice of the requested profile, or a plain PDF), and the PDFs of a
//! period's invoices and credit notes in one zip. Each document is
//! read in its own short transaction and rendered from the domain's
//! [`PrintedInvoice`]; the zip is written as a stream (each entry's size and checksum
//! after its data), handed on after every document, so memory holds one PDF at a time.

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use sqlx::PgPool;
use uuid::Uuid;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::files::{self, File};
use crate::domain::einvoice::{Profile, facturx};
use crate::domain::pdf::{self, PrintedInvoice};
use crate::domain::reports::Period;
use crate::error::Error;
use crate::store;

/// Issued invoice or credit note `document_id` of `company_id` as printed; a draft, a
/// purchase invoice or a document export has not heard of is
/// [`Error::DocumentNotFound`], a company without a seller profile
/// [`Error::ProfileNotFound`].
pub(crate) async fn printed(
    pool: &PgPool,
    company_id: Uuid,
    document_id: Uuid,
) -> Result<PrintedInvoice, Error> {
    let mut tx = store::begin(pool, company_id).await?;
    let document = store::documents::printed(&mut tx, company_id, document_id)
        .await?
        .ok_or(Error::DocumentNotFound(document_id))?;
    let seller = store::profiles::identity(&mut tx, company_id)
        .await?
        .ok_or(Error::ProfileNotFound(company_id))?;
    tx.commit().await?;
    Ok(PrintedInvoice { seller, document })
}

/// `invoice` as a Factur-X PDF of `profile`, or a plain PDF when `None`.
fn render(invoice: &PrintedInvoice, profile: Option<Profile>) -> Result<Vec<u8>, Error> {
    Ok(match profile {
        Some(profile) => facturx::render(invoice, profile)?,
        None => pdf::render(invoice)?,
    })
}

/// The PDF of document `document_id` (Factur-X of `profile`, plain when `None`), named
/// `<number>.pdf`; rendered before anything is streamed, so a missing document or one
/// that cannot be an e-invoice fails the call itself.
pub(crate) async fn render_invoice_pdf(
    pool: &PgPool,
    company_id: Uuid,
    document_id: Uuid,
    profile: Option<Profile>,
) -> Result<File, Error> {
    let invoice = printed(pool, company_id, document_id).await?;
    let bytes = render(&invoice, profile)?;
    Ok(files::stream(
        file_name(&invoice.document.number, "pdf"),
        "application/pdf",
        move |mut sink| async move {
            sink.write(&bytes).await?;
            Ok(sink)
        },
    ))
}

/// The name of a document's file: its number, with what a file name cannot hold
/// replaced, and `extension`.
pub(crate) fn file_name(number: &str, extension: &str) -> String {
    let safe: String = number
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{safe}.{extension}")
}

/// Bytes the zip writer has written and not yet handed on.
#[derive(Clone, Default)]
struct Pending(Arc<Mutex<Vec<u8>>>);

impl Pending {
    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl Write for Pending {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `ExportDocuments` asked for: the invoices and credit notes of a company dated in a
/// period, as Factur-X of a profile (plain PDFs when `None`).
#[derive(Debug, Clone)]
pub(crate) struct DocumentsExport {
    pub(crate) company_id: Uuid,
    pub(crate) period: Period,
    pub(crate) profile: Option<Profile>,
}

/// The PDFs (Factur-X of `profile`, plain when `None`) of the invoices and credit notes
/// of `company_id` dated in `period`, in one zip named `documents-<start>-<end>.zip`, one
/// `<number>.pdf` per document (each a row of the file's progress).
pub(crate) async fn export_documents(
    pool: &PgPool,
    company_id: Uuid,
    period: Period,
    profile: Option<Profile>,
) -> Result<File, Error> {
    let documents = {
        let mut tx = store::begin(pool, company_id).await?;
        let documents = store::documents::sales_documents(&mut tx, company_id, &period).await?;
        if store::profiles::identity(&mut tx, company_id)
            .await?
            .is_none()
        {
            return Err(Error::ProfileNotFound(company_id));
        }
        tx.commit().await?;
        documents
    };
    let pool = pool.clone();
    Ok(files::stream(
        format!(
            "documents-{}-{}.zip",
            period.start.format("%Y%m%d"),
            period.end.format("%Y%m%d")
        ),
        "application/zip",
        move |mut sink| async move {
            sink.expect_rows(documents.len());
            let pending = Pending::default();
            let mut zip = ZipWriter::new_stream(pending.clone());
            let options =
                SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
            for (document_id, number) in documents {
                let invoice = printed(&pool, company_id, document_id).await?;
                let bytes = render(&invoice, profile)?;
                zip.start_file(file_name(&number, "pdf"), options)?;
                zip.write_all(&bytes).map_err(zip::result::ZipError::Io)?;
                sink.write(&pending.take()).await?;
                sink.row_written();
            }
            zip.finish()?;
            sink.write(&pending.take()).await?;
            Ok(sink)
        },
    ))
}
