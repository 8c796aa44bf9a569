//! `ExportPayments`, `OssReport`, `ListUnpaid`, `RevenueList`, `ExpenseList` and
//! `ExportReport`: decode the company, the period and the filters (every bad field
//! reported at once, nothing started), authorise, call the app and encode.

use chrono::NaiveDate;
use comptoir_domain_types::amount::{format, format_plain};
use comptoir_proto::export::v1 as pb;
use comptoir_runtime::Deps;
use comptoir_runtime::error::FieldViolations;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::{FileStream, authorize, date, file_format, files, period};
use crate::app;
use crate::app::documents::DocumentQuery;
use crate::app::report_files::{PaymentsExport, Report, ReportExport};
use crate::domain::documents::{
    self, AgeBucket, DocumentFilter, DocumentList, ListedDocument, OssReport, Settlement, Unpaid,
};
use crate::domain::ledger::{DocumentKind, Supply};
use crate::domain::reports::Period;

/// The kinds of the revenue list.
const REVENUE: &[DocumentKind] = &[DocumentKind::Invoice, DocumentKind::CreditNote];
/// The kinds of the expense list.
const EXPENSES: &[DocumentKind] = &[DocumentKind::PurchaseInvoice];

fn kind_of(kind: pb::DocumentKind) -> Option<DocumentKind> {
    match kind {
        pb::DocumentKind::Invoice => Some(DocumentKind::Invoice),
        pb::DocumentKind::CreditNote => Some(DocumentKind::CreditNote),
        pb::DocumentKind::PurchaseInvoice => Some(DocumentKind::PurchaseInvoice),
        pb::DocumentKind::Unspecified => None,
    }
}

impl From<DocumentKind> for pb::DocumentKind {
    fn from(kind: DocumentKind) -> Self {
        match kind {
            DocumentKind::Invoice => pb::DocumentKind::Invoice,
            DocumentKind::CreditNote => pb::DocumentKind::CreditNote,
            DocumentKind::PurchaseInvoice => pb::DocumentKind::PurchaseInvoice,
        }
    }
}

impl From<Settlement> for pb::SettlementStatus {
    fn from(status: Settlement) -> Self {
        match status {
            Settlement::Unpaid => pb::SettlementStatus::Unpaid,
            Settlement::PartlyPaid => pb::SettlementStatus::PartlyPaid,
            Settlement::Paid => pb::SettlementStatus::Paid,
        }
    }
}

impl From<AgeBucket> for pb::AgeBucket {
    fn from(bucket: AgeBucket) -> Self {
        match bucket {
            AgeBucket::NotDue => pb::AgeBucket::NotDue,
            AgeBucket::Days0To30 => pb::AgeBucket::Days030,
            AgeBucket::Days31To60 => pb::AgeBucket::Days3160,
            AgeBucket::Days61To90 => pb::AgeBucket::Days6190,
            AgeBucket::Over90 => pb::AgeBucket::DaysOver90,
        }
    }
}

/// An optional party id field.
fn party(violations: &mut FieldViolations, field: &str, value: &str) -> Option<Uuid> {
    if value.is_empty() {
        None
    } else {
        violations.uuid(field, value)
    }
}

/// A report's filter (`filter.…`): its period, the kinds among `kinds` (all of them when
/// none is named), and the status, country and party filters.
fn document_query(
    violations: &mut FieldViolations,
    company_id: Option<Uuid>,
    filter: Option<&pb::ReportFilter>,
    kinds: &[DocumentKind],
) -> Option<DocumentQuery> {
    let filter = filter.cloned().unwrap_or_default();
    let period = period(violations, "filter.period", filter.period.as_ref());
    let mut wanted = Vec::new();
    for (index, kind) in filter.document_kinds.iter().enumerate() {
        match pb::DocumentKind::try_from(*kind).ok().and_then(kind_of) {
            Some(kind) if kinds.contains(&kind) => wanted.push(kind),
            _ => violations.add(
                format!("filter.document_kinds[{index}]"),
                "is not a kind of document this report holds",
            ),
        }
    }
    if wanted.is_empty() {
        wanted = kinds.to_vec();
    }
    let status = match pb::SettlementStatus::try_from(filter.status) {
        Ok(pb::SettlementStatus::Unspecified) => None,
        Ok(pb::SettlementStatus::Unpaid) => Some(Settlement::Unpaid),
        Ok(pb::SettlementStatus::PartlyPaid) => Some(Settlement::PartlyPaid),
        Ok(pb::SettlementStatus::Paid) => Some(Settlement::Paid),
        Err(_) => {
            violations.add("filter.status", "is not a known settlement status");
            None
        }
    };
    let country = (!filter.country_code.is_empty()).then(|| filter.country_code.clone());
    if country
        .as_deref()
        .is_some_and(|c| c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()))
    {
        violations.add(
            "filter.country_code",
            "must be an ISO 3166-1 alpha-2 code, e.g. FR",
        );
    }
    let party_id = party(violations, "filter.party_id", &filter.party_id);
    Some(DocumentQuery {
        company_id: company_id?,
        period: period?,
        kinds: wanted,
        filter: DocumentFilter {
            status,
            country,
            party_id,
        },
    })
}

/// Refuses each filter of `filter` but the period (and the party when `party` allows
/// it), for a report they do not apply to.
fn only_period(violations: &mut FieldViolations, filter: &pb::ReportFilter, party: bool) {
    let reason = "is not a filter of this report";
    if !filter.document_kinds.is_empty() {
        violations.add("filter.document_kinds", reason);
    }
    if filter.status != 0 {
        violations.add("filter.status", reason);
    }
    if !filter.country_code.is_empty() {
        violations.add("filter.country_code", reason);
    }
    if !party && !filter.party_id.is_empty() {
        violations.add("filter.party_id", reason);
    }
}

fn listed(document: &ListedDocument) -> pb::ListedDocument {
    let (net, vat, gross) = document.signed();
    pb::ListedDocument {
        document_id: document.document_id.to_string(),
        kind: pb::DocumentKind::from(document.kind) as i32,
        number: document.number.clone(),
        document_date: document.date.to_string(),
        party_name: document.party_name.clone(),
        country_code: document.country.clone(),
        net_amount: format(net, 2),
        vat_amount: format(vat, 2),
        gross_amount: format(gross, 2),
        status: pb::SettlementStatus::from(document.status()) as i32,
    }
}

/// A list's documents and totals.
fn list_parts(list: &DocumentList) -> (Vec<pb::ListedDocument>, String, String, String) {
    (
        list.documents.iter().map(listed).collect(),
        format(list.net, 2),
        format(list.vat, 2),
        format(list.gross, 2),
    )
}

/// Decodes a list request, authorises it and reads the list.
async fn document_list<T>(
    deps: &Deps,
    request: &Request<T>,
    company_id: &str,
    filter: Option<&pb::ReportFilter>,
    kinds: &[DocumentKind],
) -> Result<DocumentList, Status> {
    let mut violations = FieldViolations::new();
    let company_id = violations.uuid("company_id", company_id);
    let query = document_query(&mut violations, company_id, filter, kinds);
    violations.into_result()?;
    let query = query.ok_or_else(|| FieldViolations::new().into_status())?;
    authorize(request, query.company_id)?;
    Ok(app::documents::document_list(&deps.pool, &query).await?)
}

pub(crate) async fn revenue_list(
    deps: &Deps,
    request: Request<pb::RevenueListRequest>,
) -> Result<Response<pb::RevenueListResponse>, Status> {
    let body = request.get_ref();
    let list = document_list(
        deps,
        &request,
        &body.company_id,
        body.filter.as_ref(),
        REVENUE,
    )
    .await?;
    let (documents, net_total, vat_total, gross_total) = list_parts(&list);
    Ok(Response::new(pb::RevenueListResponse {
        documents,
        net_total,
        vat_total,
        gross_total,
    }))
}

pub(crate) async fn expense_list(
    deps: &Deps,
    request: Request<pb::ExpenseListRequest>,
) -> Result<Response<pb::ExpenseListResponse>, Status> {
    let body = request.get_ref();
    let list = document_list(
        deps,
        &request,
        &body.company_id,
        body.filter.as_ref(),
        EXPENSES,
    )
    .await?;
    let (documents, net_total, vat_total, gross_total) = list_parts(&list);
    Ok(Response::new(pb::ExpenseListResponse {
        documents,
        net_total,
        vat_total,
        gross_total,
    }))
}

pub(crate) async fn list_unpaid(
    deps: &Deps,
    request: Request<pb::ListUnpaidRequest>,
) -> Result<Response<pb::ListUnpaidResponse>, Status> {
    let body = request.get_ref();
    let mut violations = FieldViolations::new();
    let company_id = violations.uuid("company_id", &body.company_id);
    // None: today, in France.
    let as_of = if body.as_of.is_empty() {
        None
    } else {
        Some(date(&mut violations, "as_of", &body.as_of))
    };
    let party_id = party(&mut violations, "party_id", &body.party_id);
    violations.into_result()?;
    // Today (None), the date given, or nothing when it was refused.
    let as_of: Option<Option<NaiveDate>> = as_of.map_or(Some(None), |day| day.map(Some));
    let (Some(company_id), Some(as_of)) = (company_id, as_of) else {
        return Err(FieldViolations::new().into_status());
    };
    authorize(&request, company_id)?;
    let unpaid = app::documents::unpaid(&deps.pool, company_id, as_of, party_id).await?;
    Ok(Response::new(unpaid.into()))
}

impl From<Unpaid> for pb::ListUnpaidResponse {
    fn from(unpaid: Unpaid) -> Self {
        pb::ListUnpaidResponse {
            invoices: unpaid
                .invoices
                .iter()
                .map(|invoice| {
                    let document = &invoice.document;
                    pb::UnpaidInvoice {
                        document_id: document.document_id.to_string(),
                        number: document.number.clone(),
                        issue_date: document.date.to_string(),
                        due_date: invoice.due_date.to_string(),
                        customer_name: document.party_name.clone(),
                        gross_amount: format(document.gross, 2),
                        paid_amount: format(document.settled, 2),
                        balance: format(document.balance(), 2),
                        days_past_due: i32::try_from(invoice.days_past_due).unwrap_or(i32::MAX),
                        bucket: pb::AgeBucket::from(invoice.bucket) as i32,
                    }
                })
                .collect(),
            totals: unpaid
                .buckets
                .iter()
                .map(|(bucket, balance)| pb::BucketTotal {
                    bucket: pb::AgeBucket::from(*bucket) as i32,
                    balance: format(*balance, 2),
                })
                .collect(),
            balance_total: format(unpaid.total, 2),
        }
    }
}

pub(crate) async fn oss_report(
    deps: &Deps,
    request: Request<pb::OssReportRequest>,
) -> Result<Response<pb::OssReportResponse>, Status> {
    let body = request.get_ref();
    let mut violations = FieldViolations::new();
    let company_id = violations.uuid("company_id", &body.company_id);
    let period = match documents::quarter(body.year, body.quarter) {
        Ok(period) => Some(period),
        Err(documents::QuarterError::Quarter) => {
            violations.add("quarter", documents::QuarterError::Quarter.to_string());
            None
        }
        Err(refusal) => {
            violations.add("year", refusal.to_string());
            None
        }
    };
    violations.into_result()?;
    let (Some(company_id), Some(period)) = (company_id, period) else {
        return Err(FieldViolations::new().into_status());
    };
    authorize(&request, company_id)?;
    let report = app::documents::oss_report(&deps.pool, company_id, period).await?;
    Ok(Response::new(report.into()))
}

impl From<OssReport> for pb::OssReportResponse {
    fn from(report: OssReport) -> Self {
        pb::OssReportResponse {
            lines: report
                .lines
                .iter()
                .map(|line| pb::OssLine {
                    country_code: line.country.clone(),
                    supply_type: match line.supply {
                        Supply::Goods => "goods",
                        Supply::Services => "services",
                    }
                    .to_owned(),
                    vat_rate: format_plain(line.rate),
                    taxable_amount: format(line.taxable, 2),
                    vat_amount: format(line.vat, 2),
                })
                .collect(),
            vat_total: format(report.vat_total, 2),
        }
    }
}

impl TryFrom<&pb::ExportPaymentsRequest> for PaymentsExport {
    type Error = FieldViolations;

    fn try_from(request: &pb::ExportPaymentsRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let company_id = violations.uuid("company_id", &request.company_id);
        let filter = request.filter.clone().unwrap_or_default();
        // The kinds choose the direction: sales documents are settled by payments
        // received, purchase invoices by payments made.
        let query = document_query(
            &mut violations,
            company_id,
            Some(&pb::ReportFilter {
                status: 0,
                country_code: String::new(),
                ..filter.clone()
            }),
            &[
                DocumentKind::Invoice,
                DocumentKind::CreditNote,
                DocumentKind::PurchaseInvoice,
            ],
        );
        if filter.status != 0 {
            violations.add("filter.status", "is not a filter of payments");
        }
        if !filter.country_code.is_empty() {
            violations.add("filter.country_code", "is not a filter of payments");
        }
        let format = file_format(&mut violations, request.format);
        violations.into_result()?;
        let (Some(query), Some(format)) = (query, format) else {
            return Err(FieldViolations::new());
        };
        Ok(PaymentsExport {
            company_id: query.company_id,
            period: query.period,
            received: query
                .kinds
                .iter()
                .any(|k| *k != DocumentKind::PurchaseInvoice),
            paid: query.kinds.contains(&DocumentKind::PurchaseInvoice),
            party_id: query.filter.party_id,
            format,
        })
    }
}

pub(crate) async fn export_payments(
    deps: &Deps,
    request: Request<pb::ExportPaymentsRequest>,
) -> Result<Response<FileStream<pb::ExportPaymentsResponse>>, Status> {
    let export = PaymentsExport::try_from(request.get_ref())?;
    authorize(&request, export.company_id)?;
    let file = app::report_files::payments(&deps.pool, export);
    Ok(Response::new(files::respond(file, |chunk| {
        pb::ExportPaymentsResponse { chunk: Some(chunk) }
    })))
}

impl TryFrom<&pb::ExportReportRequest> for ReportExport {
    type Error = FieldViolations;

    fn try_from(request: &pb::ExportReportRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let company_id = violations.uuid("company_id", &request.company_id);
        let filter = request.filter.clone().unwrap_or_default();
        let asked = pb::Report::try_from(request.report);
        // A list decodes its period with the rest of its filter.
        let period = match asked {
            Ok(pb::Report::Revenue | pb::Report::Expenses) => None,
            _ => period(&mut violations, "filter.period", filter.period.as_ref()),
        };
        let report = match asked {
            Ok(pb::Report::VatRegister) => {
                only_period(&mut violations, &filter, false);
                Some(Report::VatRegister)
            }
            Ok(pb::Report::Oss) => {
                only_period(&mut violations, &filter, false);
                // The quarter containing the period's start.
                period.and_then(|period| {
                    let (year, quarter) = documents::quarter_of(period.start);
                    violations
                        .check(
                            "filter.period.start_date",
                            documents::quarter(year, quarter),
                        )
                        .map(Report::Oss)
                })
            }
            Ok(pb::Report::Unpaid) => {
                only_period(&mut violations, &filter, true);
                let party_id = party(&mut violations, "filter.party_id", &filter.party_id);
                Some(Report::Unpaid { party_id })
            }
            Ok(pb::Report::Revenue) => {
                document_query(&mut violations, company_id, Some(&filter), REVENUE)
                    .map(Report::Revenue)
            }
            Ok(pb::Report::Expenses) => {
                document_query(&mut violations, company_id, Some(&filter), EXPENSES)
                    .map(Report::Expenses)
            }
            Ok(pb::Report::Unspecified) | Err(_) => {
                violations.add("report", "must name a report");
                None
            }
        };
        let format = file_format(&mut violations, request.format);
        violations.into_result()?;
        let period: Option<Period> = match &report {
            Some(Report::Revenue(query) | Report::Expenses(query)) => Some(query.period),
            _ => period,
        };
        match (company_id, report, period, format) {
            (Some(company_id), Some(report), Some(period), Some(format)) => Ok(ReportExport {
                company_id,
                period,
                report,
                format,
            }),
            _ => Err(FieldViolations::new()),
        }
    }
}

pub(crate) async fn export_report(
    deps: &Deps,
    request: Request<pb::ExportReportRequest>,
) -> Result<Response<FileStream<pb::ExportReportResponse>>, Status> {
    let export = ReportExport::try_from(request.get_ref())?;
    authorize(&request, export.company_id)?;
    let file = app::report_files::report(&deps.pool, export).await?;
    Ok(Response::new(files::respond(file, |chunk| {
        pb::ExportReportResponse { chunk: Some(chunk) }
    })))
}
