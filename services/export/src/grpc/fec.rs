//! `ExportFec`: decodes the company and fiscal year (every bad field reported at once),
//! authorises, and streams the file.

use comptoir_proto::export::v1 as pb;
use comptoir_runtime::Deps;
use comptoir_runtime::error::FieldViolations;
use tonic::{Request, Response, Status};

use super::{FileStream, authorize, date, files};
use crate::app;
use crate::app::fec::FecExport;
use crate::domain::fec::{FiscalYear, Separator};

impl TryFrom<&pb::ExportFecRequest> for FecExport {
    type Error = FieldViolations;

    fn try_from(request: &pb::ExportFecRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let company_id = violations.uuid("company_id", &request.company_id);
        let start = date(
            &mut violations,
            "fiscal_year_start",
            &request.fiscal_year_start,
        );
        let closing = date(&mut violations, "closing_date", &request.closing_date);
        let year = start.zip(closing).and_then(|(start, closing)| {
            violations.check("closing_date", FiscalYear::new(start, closing))
        });
        let separator = match pb::FecSeparator::try_from(request.separator) {
            Ok(pb::FecSeparator::Unspecified | pb::FecSeparator::Pipe) => Some(Separator::Pipe),
            Ok(pb::FecSeparator::Tab) => Some(Separator::Tab),
            Err(_) => {
                violations.add("separator", "is not a known separator");
                None
            }
        };
        violations.into_result()?;
        match (company_id, year, separator) {
            (Some(company_id), Some(year), Some(separator)) => Ok(Self {
                company_id,
                year,
                separator,
            }),
            _ => Err(FieldViolations::new()),
        }
    }
}

pub(crate) async fn export_fec(
    deps: &Deps,
    request: Request<pb::ExportFecRequest>,
) -> Result<Response<FileStream<pb::ExportFecResponse>>, Status> {
    let command = FecExport::try_from(request.get_ref())?;
    authorize(&request, command.company_id)?;
    let file = app::fec::export_fec(
        &deps.pool,
        command.company_id,
        command.year,
        command.separator,
    )
    .await?;
    Ok(Response::new(files::respond(file, |chunk| {
        pb::ExportFecResponse { chunk: Some(chunk) }
    })))
}
