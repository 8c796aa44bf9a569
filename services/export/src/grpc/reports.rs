//! `ExportSalesJournal` and `VatRegister`: decode the company, the period and the
//! filters (every bad field reported at once), authorise, call the app and encode.

use comptoir_domain_types::amount::{format, format_plain};
use comptoir_proto::export::v1 as pb;
use comptoir_runtime::Deps;
use comptoir_runtime::error::FieldViolations;
use tonic::{Request, Response, Status};

use super::{FileStream, authorize, file_format, files, period};
use crate::app;
use crate::app::reports::SalesJournal;
use crate::domain::reports::{RateTotals, VatRegister};

impl TryFrom<&pb::ExportSalesJournalRequest> for SalesJournal {
    type Error = FieldViolations;

    fn try_from(request: &pb::ExportSalesJournalRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let company_id = violations.uuid("company_id", &request.company_id);
        let filter = request.filter.clone().unwrap_or_default();
        let period = period(&mut violations, "filter.period", filter.period.as_ref());
        let (mut invoices, mut credit_notes) = (
            filter.document_kinds.is_empty(),
            filter.document_kinds.is_empty(),
        );
        for (index, kind) in filter.document_kinds.iter().enumerate() {
            match pb::DocumentKind::try_from(*kind) {
                Ok(pb::DocumentKind::Invoice) => invoices = true,
                Ok(pb::DocumentKind::CreditNote) => credit_notes = true,
                _ => violations.add(
                    format!("filter.document_kinds[{index}]"),
                    "must be an invoice or a credit note: the sales journal holds only those",
                ),
            }
        }
        if filter.status != 0 {
            violations.add("filter.status", "is not a filter of the sales journal");
        }
        if !filter.country_code.is_empty() {
            violations.add(
                "filter.country_code",
                "is not a filter of the sales journal yet",
            );
        }
        let party_id = if filter.party_id.is_empty() {
            None
        } else {
            violations.uuid("filter.party_id", &filter.party_id)
        };
        let format = file_format(&mut violations, request.format);
        violations.into_result()?;
        match (company_id, period, format) {
            (Some(company_id), Some(period), Some(format)) => Ok(SalesJournal {
                company_id,
                period,
                invoices,
                credit_notes,
                party_id,
                format,
            }),
            _ => Err(FieldViolations::new()),
        }
    }
}

pub(crate) async fn export_sales_journal(
    deps: &Deps,
    request: Request<pb::ExportSalesJournalRequest>,
) -> Result<Response<FileStream<pb::ExportSalesJournalResponse>>, Status> {
    let journal = SalesJournal::try_from(request.get_ref())?;
    authorize(&request, journal.company_id)?;
    let file = app::reports::sales_journal(&deps.pool, journal);
    Ok(Response::new(files::respond(file, |chunk| {
        pb::ExportSalesJournalResponse { chunk: Some(chunk) }
    })))
}

pub(crate) async fn vat_register(
    deps: &Deps,
    request: Request<pb::VatRegisterRequest>,
) -> Result<Response<pb::VatRegisterResponse>, Status> {
    let mut violations = FieldViolations::new();
    let company_id = violations.uuid("company_id", &request.get_ref().company_id);
    let period = period(&mut violations, "period", request.get_ref().period.as_ref());
    violations.into_result()?;
    let (Some(company_id), Some(period)) = (company_id, period) else {
        return Err(FieldViolations::new().into_status());
    };
    authorize(&request, company_id)?;
    let register = app::reports::vat_register(&deps.pool, company_id, period).await?;
    Ok(Response::new(register.into()))
}

fn rate_amounts(amounts: &RateTotals) -> pb::RateAmounts {
    pb::RateAmounts {
        vat_rate: format_plain(amounts.rate),
        net_amount: format(amounts.net, 2),
        vat_amount: format(amounts.vat, 2),
        gross_amount: format(amounts.gross(), 2),
    }
}

impl From<VatRegister> for pb::VatRegisterResponse {
    fn from(register: VatRegister) -> Self {
        pb::VatRegisterResponse {
            collected: register.collected.iter().map(rate_amounts).collect(),
            deductible: register.deductible.iter().map(rate_amounts).collect(),
            ca3_lines: register
                .ca3
                .iter()
                .map(|line| pb::VatRegisterLine {
                    ca3_box: line.box_code.to_owned(),
                    label: line.label.to_owned(),
                    vat_rate: line.rate.map(format_plain).unwrap_or_default(),
                    base_amount: format(line.base, 2),
                    vat_amount: format(line.vat, 2),
                })
                .collect(),
            collected_vat_total: format(register.collected_total, 2),
            deductible_vat_total: format(register.deductible_total, 2),
            vat_due: format(register.due, 2),
        }
    }
}
