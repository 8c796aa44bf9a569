//! The `comptoir.tenancy.v1.TenancyService` implementation: decode and validate, check
//! the caller, call the store, map errors. Proto types stop here.

use comptoir_proto::events::v1 as events;
use comptoir_proto::tenancy::v1 as pb;
use comptoir_runtime::error;
use comptoir_runtime::events::{Event, names};
use comptoir_runtime::grpc::timestamp;
use comptoir_runtime::page;
use comptoir_runtime::{Caller, Deps, FieldViolations, idempotency};
use prost::Message;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::domain::{CompanyKind, LegalName, NewCompany, Siren};
use crate::error::Error;
use crate::store::{self, CompanyRow};

pub(crate) fn server(deps: Deps) -> pb::tenancy_service_server::TenancyServiceServer<Tenancy> {
    pb::tenancy_service_server::TenancyServiceServer::new(Tenancy { deps })
}

pub(crate) struct Tenancy {
    deps: Deps,
}

/// The user behind a call that acts for a person.
fn user_of<T>(request: &Request<T>) -> Result<Uuid, Status> {
    match Caller::of(request)? {
        Caller::User { user_id, .. } => Ok(*user_id),
        Caller::Service { .. } => Err(Error::UserRequired.into()),
    }
}

impl TryFrom<&pb::CreateCompanyRequest> for NewCompany {
    type Error = FieldViolations;

    fn try_from(request: &pb::CreateCompanyRequest) -> Result<Self, Self::Error> {
        let mut violations = FieldViolations::new();
        let legal_name = violations.check("legal_name", LegalName::parse(&request.legal_name));
        let siren = violations.check("siren", Siren::parse(&request.siren));
        let kind = match pb::CompanyKind::try_from(request.kind) {
            Ok(pb::CompanyKind::Company) => Some(CompanyKind::Company),
            Ok(pb::CompanyKind::Firm) => Some(CompanyKind::Firm),
            Ok(pb::CompanyKind::Unspecified) | Err(_) => {
                violations.add("kind", "must be COMPANY_KIND_COMPANY or COMPANY_KIND_FIRM");
                None
            }
        };
        match (legal_name, siren, kind) {
            (Some(legal_name), Some(siren), Some(kind)) if violations.is_empty() => {
                Ok(NewCompany {
                    legal_name,
                    siren,
                    kind,
                })
            }
            _ => Err(violations),
        }
    }
}

impl From<&CompanyRow> for pb::Company {
    fn from(row: &CompanyRow) -> Self {
        pb::Company {
            company_id: row.company_id.to_string(),
            legal_name: row.legal_name.clone(),
            siren: row.siren.clone(),
            kind: match row.kind() {
                CompanyKind::Company => pb::CompanyKind::Company,
                CompanyKind::Firm => pb::CompanyKind::Firm,
            } as i32,
            create_time: Some(timestamp(row.created_at)),
        }
    }
}

#[tonic::async_trait]
impl pb::tenancy_service_server::TenancyService for Tenancy {
    async fn create_company(
        &self,
        request: Request<pb::CreateCompanyRequest>,
    ) -> Result<Response<pb::CreateCompanyResponse>, Status> {
        let owner = user_of(&request)?;
        let request = request.into_inner();
        let new = NewCompany::try_from(&request).map_err(Error::from)?;
        let scope = format!("{owner}/CreateCompany");

        let mut tx = self.deps.pool.begin().await.map_err(Error::from)?;
        let response = idempotency::once(
            &mut tx,
            &scope,
            &request.idempotency_key,
            &request,
            async |tx| {
                let company = store::insert_company(tx, owner, &new).await?;
                company_created(&company, owner).enqueue(tx).await?;
                Ok::<_, Error>(pb::CreateCompanyResponse {
                    company: Some((&company).into()),
                })
            },
        )
        .await?;
        tx.commit().await.map_err(Error::from)?;
        self.deps.outbox.wake();
        Ok(Response::new(response))
    }

    async fn get_company(
        &self,
        request: Request<pb::GetCompanyRequest>,
    ) -> Result<Response<pb::GetCompanyResponse>, Status> {
        let user = user_of(&request)?;
        let company_id = error::required_uuid("company_id", &request.get_ref().company_id)?;
        let company = store::company_of_member(&self.deps.pool, user, company_id)
            .await?
            .ok_or_else(|| Error::CompanyNotFound(company_id.to_string()))?;
        Ok(Response::new(pb::GetCompanyResponse {
            company: Some((&company).into()),
        }))
    }

    async fn list_my_companies(
        &self,
        request: Request<pb::ListMyCompaniesRequest>,
    ) -> Result<Response<pb::ListMyCompaniesResponse>, Status> {
        let user = user_of(&request)?;
        let request = request.into_inner();
        let (page, after) = page::parse_keyset(request.page_size, &request.page_token)?;
        let mut rows = store::memberships(&self.deps.pool, user, after, page.fetch_limit()).await?;
        let next_page_token = page.finish(&mut rows, |row| {
            page::time_id_cursor(row.joined_at, row.company.company_id)
        });
        Ok(Response::new(pb::ListMyCompaniesResponse {
            companies: rows
                .iter()
                .map(|row| pb::CompanyMembership {
                    company: Some((&row.company).into()),
                    role: row.role.clone(),
                })
                .collect(),
            next_page_token,
        }))
    }
}

/// The `company.created` event for a freshly inserted company.
fn company_created(company: &CompanyRow, owner: Uuid) -> Event {
    let event_id = Uuid::now_v7();
    let payload = events::CompanyCreated {
        meta: Some(events::EventMeta {
            event_id: event_id.to_string(),
            occur_time: Some(timestamp(company.created_at)),
            company_id: company.company_id.to_string(),
            actor: owner.to_string(),
        }),
        legal_name: company.legal_name.clone(),
        siren: company.siren.clone(),
        is_firm: company.kind() == CompanyKind::Firm,
        owner_user_id: owner.to_string(),
    };
    Event {
        event_id,
        event_type: names::COMPANY_CREATED,
        company_id: Some(company.company_id),
        payload: payload.encode_to_vec(),
    }
}
