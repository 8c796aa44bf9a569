//! `RenderInvoiceXml`: an issued invoice or credit note as an EN 16931 e-invoice, CII
//! (the XML a Factur-X PDF carries) or UBL, read in one short transaction and written by
//! the domain; a document breaking a rule of the norm is refused naming it.

use sqlx::PgPool;
use uuid::Uuid;

use super::documents_pdf::printed;
use crate::domain::einvoice::{self, Profile, Syntax};
use crate::error::Error;

/// An e-invoice: its file name and XML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct XmlFile {
    pub(crate) name: String,
    pub(crate) xml: Vec<u8>,
}

/// Document `document_id` of `company_id` in `syntax` (and `profile`, for CII), named
/// `<number>.xml`.
pub(crate) async fn render_invoice_xml(
    pool: &PgPool,
    company_id: Uuid,
    document_id: Uuid,
    syntax: Syntax,
    profile: Profile,
) -> Result<XmlFile, Error> {
    let invoice = printed(pool, company_id, document_id).await?;
    let xml = einvoice::write(&invoice, syntax, profile)?;
    Ok(XmlFile {
        name: super::documents_pdf::file_name(&invoice.document.number, "xml"),
        xml,
    })
}
