//! The client list's RPCs, `ListClients` and `ExportClientList`: decoding a listing
//! (filter and order) and its page token, and encoding a client and an exported file's
//! chunks.
//!
//! A page token carries the position the next page starts after — the last client's
//! company id and its value of the order column, as the database wrote it — and the
//! listing's signature, so that a token is read only for the listing that made it: the
//! same token with another filter or order answers INVALID_ARGUMENT `page_token`.

use comptoir_domain_types::amount;
use comptoir_proto::accountant_portal::v1 as pb;
use comptoir_runtime::grpc::timestamp;
use comptoir_runtime::page::PageRequest;
use comptoir_runtime::{Deps, FieldViolations};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::app::clients::{self as app, FileFormat};
use crate::domain::clients::{ClientFilter, ClientOrder, ClientStatus, Listing, search_key};
use crate::grpc::authorize;
use crate::store::clients::ClientRow;

/// The largest chunk of an exported file in one message.
const CHUNK_BYTES: usize = 64 * 1024;

/// The stream of an exported file's chunks (the file is built before the first one).
pub(crate) type ExportStream =
    tokio_stream::Iter<std::vec::IntoIter<Result<pb::ExportClientListResponse, Status>>>;

impl From<&ClientRow> for pb::Client {
    fn from(row: &ClientRow) -> Self {
        let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        pb::Client {
            company_id: row.company_id.to_string(),
            legal_name: row.legal_name.clone(),
            file_code: row.file_code.clone(),
            siren: row.siren.clone(),
            create_time: Some(timestamp(row.create_time)),
            lock_date: date(row.lock_date),
            user_count: row.user_count,
            portfolio_managers: row
                .managers
                .iter()
                .map(|user| pb::PortfolioManager {
                    user_id: user.to_string(),
                })
                .collect(),
            status: match row.status {
                ClientStatus::Connected => pb::ClientStatus::Connected,
                ClientStatus::Disconnected => pb::ClientStatus::Disconnected,
            }
            .into(),
            last_invoice_date: date(row.last_invoice_date),
            turnover_current_year: amount::format(row.turnover, 2),
            owned_by_firm: row.owned_by_firm,
        }
    }
}

/// Decodes a listing's filter and order, with every bad field found (the caller adds
/// its own before answering).
fn listing(
    filter: Option<&pb::ClientFilter>,
    order_by: i32,
    descending: bool,
) -> (Listing, FieldViolations) {
    let mut violations = FieldViolations::new();
    let default = pb::ClientFilter::default();
    let filter = filter.unwrap_or(&default);
    let manager = match filter.portfolio_manager_id.as_str() {
        "" => None,
        id => violations.uuid("filter.portfolio_manager_id", id),
    };
    let status = match pb::ClientStatus::try_from(filter.status) {
        Ok(pb::ClientStatus::Unspecified) => None,
        Ok(pb::ClientStatus::Connected) => Some(ClientStatus::Connected),
        Ok(pb::ClientStatus::Disconnected) => Some(ClientStatus::Disconnected),
        Err(_) => {
            violations.add("filter.status", "is not a client status");
            None
        }
    };
    let text = Some(search_key(&filter.text)).filter(|key| !key.is_empty());
    let order = match pb::ClientOrder::try_from(order_by) {
        Ok(pb::ClientOrder::Unspecified | pb::ClientOrder::LegalName) => ClientOrder::LegalName,
        Ok(pb::ClientOrder::FileCode) => ClientOrder::FileCode,
        Ok(pb::ClientOrder::Siren) => ClientOrder::Siren,
        Ok(pb::ClientOrder::CreateTime) => ClientOrder::CreateTime,
        Ok(pb::ClientOrder::LockDate) => ClientOrder::LockDate,
        Ok(pb::ClientOrder::UserCount) => ClientOrder::UserCount,
        Ok(pb::ClientOrder::Status) => ClientOrder::Status,
        Ok(pb::ClientOrder::LastInvoiceDate) => ClientOrder::LastInvoiceDate,
        Ok(pb::ClientOrder::Turnover) => ClientOrder::Turnover,
        Err(_) => {
            violations.add("order_by", "is not a client order");
            ClientOrder::LegalName
        }
    };
    let listing = Listing {
        filter: ClientFilter {
            manager,
            status,
            text,
        },
        order,
        descending,
    };
    (listing, violations)
}

/// The cursor of a page token: the company id, the listing's signature, the listing's
/// total as counted on its first page, and the sort key, one per line (neither the id nor
/// the signature holds a line break: the search text in the signature is a search key,
/// its white space made single spaces). Carrying the total spares the later pages a
/// second pass over the same rows to count them.
fn cursor(listing: &Listing, total: i64, row: &ClientRow) -> String {
    format!(
        "{}\n{}\n{total}\n{}",
        row.company_id,
        listing.signature(),
        row.sort_key
    )
}

/// Reads a [`cursor`] back as `(sort key, company id, total)`; a cursor of another
/// listing, or one that does not parse, is a bad `page_token`.
fn parse_cursor(
    violations: &mut FieldViolations,
    listing: &Listing,
    cursor: &str,
) -> Option<(String, Uuid, i64)> {
    let mut parts = cursor.splitn(4, '\n');
    let parsed = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(id), Some(signature), Some(total), Some(key)) if signature == listing.signature() => {
            Uuid::parse_str(id)
                .ok()
                .zip(total.parse::<i64>().ok().filter(|total| *total >= 0))
                .map(|(id, total)| (key.to_owned(), id, total))
        }
        _ => None,
    };
    if parsed.is_none() {
        violations.add(
            "page_token",
            "is not a token of this listing (filter and order must stay the same)",
        );
    }
    parsed
}

pub(crate) async fn list_clients(
    deps: &Deps,
    request: Request<pb::ListClientsRequest>,
) -> Result<Response<pb::ListClientsResponse>, Status> {
    let ctx = authorize(&request)?;
    let request = request.into_inner();
    let (listing, mut violations) = listing(
        request.filter.as_ref(),
        request.order_by,
        request.descending,
    );
    let page = PageRequest::parse(request.page_size, &request.page_token, &mut violations);
    let after = page
        .as_ref()
        .and_then(|p| p.after.as_deref())
        .and_then(|c| parse_cursor(&mut violations, &listing, c));
    violations.into_result()?;
    let Some(page) = page else {
        unreachable!("a page request without violations parses")
    };
    let known_total = after.as_ref().map(|(_, _, total)| *total);
    let after = after.as_ref().map(|(key, id, _)| (key.as_str(), *id));
    let mut found =
        app::list_clients(&ctx, deps, &listing, after, known_total, page.fetch_limit()).await?;
    let total = found.total;
    let next_page_token = page.finish(&mut found.clients, |row| cursor(&listing, total, row));
    Ok(Response::new(pb::ListClientsResponse {
        clients: found.clients.iter().map(Into::into).collect(),
        next_page_token,
        total_size: i32::try_from(found.total).unwrap_or(i32::MAX),
    }))
}

pub(crate) async fn export_client_list(
    deps: &Deps,
    request: Request<pb::ExportClientListRequest>,
) -> Result<Response<ExportStream>, Status> {
    let ctx = authorize(&request)?;
    let request = request.into_inner();
    let (listing, mut violations) = listing(
        request.filter.as_ref(),
        request.order_by,
        request.descending,
    );
    let format = match pb::FileFormat::try_from(request.format) {
        Ok(pb::FileFormat::Unspecified | pb::FileFormat::Csv) => FileFormat::Csv,
        Ok(pb::FileFormat::Xlsx) => FileFormat::Xlsx,
        Err(_) => {
            violations.add("format", "is not a file format");
            FileFormat::Csv
        }
    };
    violations.into_result()?;
    let file = app::export_clients(&ctx, deps, &listing, format).await?;
    // An empty file still sends one message, which names it.
    let mut chunks: Vec<&[u8]> = file.bytes.chunks(CHUNK_BYTES).collect();
    if chunks.is_empty() {
        chunks.push(&[]);
    }
    let messages: Vec<_> = chunks
        .into_iter()
        .enumerate()
        .map(|(i, chunk)| {
            let first = i == 0;
            Ok(pb::ExportClientListResponse {
                file_name: if first {
                    file.file_name.clone()
                } else {
                    String::new()
                },
                content_type: if first {
                    file.content_type.to_owned()
                } else {
                    String::new()
                },
                chunk: chunk.to_vec(),
            })
        })
        .collect();
    Ok(Response::new(tokio_stream::iter(messages)))
}
