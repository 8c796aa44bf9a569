//! What importing a supplier's e-invoice reads and writes beside the purchase invoice
//! itself (which `documents` stores): the company's own SIREN and VAT number (is the
//! file addressed to it?), the supplier found by SIREN or VAT number, a purchase invoice
//! already recorded under the file's number, and the original file kept with the
//! purchase invoice (`purchase_attachment`, written once).

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::parse_stored;
use crate::domain::einvoice::Format;

/// The company's SIREN and VAT number as its books hold them (empty when unknown);
/// `Err(RowNotFound)` when the books are not open.
pub(crate) async fn company_identity(
    conn: &mut PgConnection,
    company_id: Uuid,
) -> Result<(String, String), sqlx::Error> {
    let row = sqlx::query!(
        "SELECT siren, vat_number FROM book WHERE company_id = $1",
        company_id,
    )
    .fetch_one(conn)
    .await?;
    Ok((row.siren, row.vat_number))
}

/// Serialises the imports of one supplier's identity in the company until the
/// transaction ends, so two imports of files from a new supplier create it once.
pub(crate) async fn lock_supplier_identity(
    conn: &mut PgConnection,
    company_id: Uuid,
    identity: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0)) AS locked",
        format!("billing.import:{company_id}:{identity}"),
    )
    .fetch_one(conn)
    .await?;
    Ok(())
}

/// The company's supplier (not archived) with this SIREN, else this VAT number; the
/// oldest when several match.
pub(crate) async fn find_supplier(
    conn: &mut PgConnection,
    company_id: Uuid,
    siren: &str,
    vat_number: &str,
) -> Result<Option<Uuid>, sqlx::Error> {
    let found = sqlx::query_scalar!(
        r#"SELECT party_id FROM party
            WHERE company_id = $1 AND role = 'supplier' AND archived_at IS NULL
              AND ((siren = $2 AND $2 <> '') OR (vat_number = $3 AND $3 <> ''))
            ORDER BY (siren = $2 AND $2 <> '') DESC, created_at, party_id
            LIMIT 1"#,
        company_id,
        siren,
        vat_number,
    )
    .fetch_optional(conn)
    .await?;
    Ok(found)
}

/// The purchase invoice the supplier's `number` is already recorded as, if any.
pub(crate) async fn purchase_invoice_numbered(
    conn: &mut PgConnection,
    company_id: Uuid,
    party_id: Uuid,
    number: &str,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT document_id FROM document \
          WHERE company_id = $1 AND party_id = $2 AND number = $3 \
            AND document_type = 'purchase_invoice'",
        company_id,
        party_id,
        number,
    )
    .fetch_optional(conn)
    .await
}

/// An imported file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Attachment {
    /// Its name as imported.
    pub(crate) file_name: String,
    /// The format it was read as.
    pub(crate) format: Format,
    /// Its bytes.
    pub(crate) content: Vec<u8>,
    /// Its SHA-256.
    pub(crate) sha256: Vec<u8>,
    /// When it was kept.
    pub(crate) created_at: Option<DateTime<Utc>>,
}

/// Keeps `attachment` as the file of purchase invoice `document_id`.
pub(crate) async fn insert_attachment(
    conn: &mut PgConnection,
    company_id: Uuid,
    document_id: Uuid,
    attachment: &Attachment,
    actor: &str,
) -> Result<(), sqlx::Error> {
    let size = i32::try_from(attachment.content.len()).unwrap_or(i32::MAX);
    sqlx::query!(
        "INSERT INTO purchase_attachment (document_id, company_id, file_name, content_type, \
                                          format, content, byte_size, sha256, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        document_id,
        company_id,
        attachment.file_name,
        attachment.format.content_type(),
        attachment.format.as_str(),
        attachment.content,
        size,
        attachment.sha256,
        actor,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The file purchase invoice `document_id` was imported from, if it was.
pub(crate) async fn attachment(
    conn: &mut PgConnection,
    company_id: Uuid,
    document_id: Uuid,
) -> Result<Option<Attachment>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT file_name, format, content, sha256, created_at FROM purchase_attachment \
          WHERE company_id = $1 AND document_id = $2",
        company_id,
        document_id,
    )
    .fetch_optional(conn)
    .await?;
    row.map(|row| {
        Ok(Attachment {
            file_name: row.file_name,
            format: parse_stored("format", &row.format, Format::from_stored)?,
            content: row.content,
            sha256: row.sha256,
            created_at: Some(row.created_at),
        })
    })
    .transpose()
}
