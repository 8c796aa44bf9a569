//! The firm workspace's RPCs: `EnableAccountingModule`, and the creation of client
//! companies (`CreateClientCompany`, `InviteDirector`), decoded here (every bad field of
//! the client named under `client.`) and carried out by `app::firm` through tenancy.

use comptoir_domain_types::legal::Email;
use comptoir_domain_types::party::RawAddress;
use comptoir_domain_types::permissions::Permission;
use comptoir_proto::accountant_portal::v1 as pb;
use comptoir_runtime::grpc::timestamp;
use comptoir_runtime::{Deps, FieldViolations};
use tonic::{Request, Response, Status};

use crate::app;
use crate::app::Ctx;
use crate::app::firm::{CreateClient, CreatedClient, ThroughTenancy};
use crate::domain::client::RawClient;
use crate::error::Error;
use crate::grpc::authorize;
use crate::tenancy::{Authorization, Tenancy};

pub(crate) async fn enable_accounting_module(
    deps: &Deps,
    request: Request<pb::EnableAccountingModuleRequest>,
) -> Result<Response<pb::EnableAccountingModuleResponse>, Status> {
    let ctx = firm_administrator(&request)?;
    let workspace = app::firm::enable_accounting_module(&ctx, deps).await?;
    Ok(Response::new(pb::EnableAccountingModuleResponse {
        firm_id: workspace.firm_id.to_string(),
        enable_time: Some(timestamp(workspace.enabled_at)),
    }))
}

pub(crate) async fn create_client_company(
    deps: &Deps,
    tenancy: &Tenancy,
    request: Request<pb::CreateClientCompanyRequest>,
) -> Result<Response<pb::CreateClientCompanyResponse>, Status> {
    let ctx = firm_administrator(&request)?;
    let authorization = Authorization::of(&request)?;
    let request = request.into_inner();
    let command = decode_creation(&request)?;
    let through = ThroughTenancy {
        tenancy,
        authorization: &authorization,
    };
    let response =
        app::firm::create_client_company(&ctx, deps, through, &command, &request, encode_created)
            .await?;
    Ok(Response::new(response))
}

pub(crate) async fn invite_director(
    deps: &Deps,
    tenancy: &Tenancy,
    request: Request<pb::InviteDirectorRequest>,
) -> Result<Response<pb::InviteDirectorResponse>, Status> {
    let ctx = firm_administrator(&request)?;
    let authorization = Authorization::of(&request)?;
    let request = request.into_inner();
    let mut violations = FieldViolations::new();
    let company_id = violations.uuid("company_id", request.company_id.trim());
    let email = if request.email.trim().is_empty() {
        Some(None)
    } else {
        violations
            .check("email", Email::parse(&request.email))
            .map(Some)
    };
    let (Some(company_id), Some(email)) = (company_id, email) else {
        return Err(Error::from(violations).into());
    };
    let through = ThroughTenancy {
        tenancy,
        authorization: &authorization,
    };
    let sent = app::firm::invite_director(&ctx, deps, through, company_id, email.as_ref()).await?;
    Ok(Response::new(pb::InviteDirectorResponse {
        invitation_id: sent.invitation_id,
        expire_time: sent.expire_time,
    }))
}

/// The caller, authorised as a firm Administrator (`members.manage` on the firm).
fn firm_administrator<T>(request: &Request<T>) -> Result<Ctx, Error> {
    let ctx = authorize(request)?;
    ctx.caller.require(ctx.firm_id, Permission::MembersManage)?;
    Ok(ctx)
}

/// The creation a request asks for, every bad field of the client named under `client.`.
fn decode_creation(request: &pb::CreateClientCompanyRequest) -> Result<CreateClient, Error> {
    let mut violations = FieldViolations::new();
    let invite_director = director_invitation(request.invite_director, &mut violations);
    let client = match &request.client {
        None => {
            violations.add("client", "is required");
            None
        }
        Some(client) => {
            let address = client.address.clone().unwrap_or_default();
            let raw = RawClient {
                legal_name: &client.legal_name,
                file_code: &client.file_code,
                siren: &client.siren,
                nic: &client.nic,
                ape_code: &client.ape_code,
                address: RawAddress {
                    line1: &address.line1,
                    line2: &address.line2,
                    postal_code: &address.postal_code,
                    city: &address.city,
                    country_code: &address.country_code,
                },
                director_name: &client.director_name,
                director_email: &client.director_email,
                director_phone: &client.director_phone,
                portfolio_manager_id: &client.portfolio_manager_id,
            };
            let mut found = Vec::new();
            let parsed = raw.parse(invite_director.unwrap_or(false), &mut found);
            for (field, reason) in found {
                violations.add(format!("client.{field}"), reason);
            }
            parsed
        }
    };
    match (client, invite_director) {
        (Some(client), Some(invite_director)) if violations.is_empty() => Ok(CreateClient {
            client,
            invite_director,
            idempotency_key: request.idempotency_key.clone(),
        }),
        _ => Err(violations.into()),
    }
}

/// Whether a request's `invite_director` asks to invite the director now (unspecified is
/// later); None, with the violation recorded, for a value out of the enum.
pub(crate) fn director_invitation(value: i32, violations: &mut FieldViolations) -> Option<bool> {
    match pb::DirectorInvitation::try_from(value) {
        Ok(pb::DirectorInvitation::Now) => Some(true),
        Ok(pb::DirectorInvitation::Later | pb::DirectorInvitation::Unspecified) => Some(false),
        Err(_) => {
            violations.add(
                "invite_director",
                "must be DIRECTOR_INVITATION_NOW or DIRECTOR_INVITATION_LATER",
            );
            None
        }
    }
}

/// The answer to a creation: the client as the list shows it, new and empty.
fn encode_created(
    command: &CreateClient,
    created: &CreatedClient,
) -> pb::CreateClientCompanyResponse {
    let client = &command.client;
    pb::CreateClientCompanyResponse {
        client: Some(pb::Client {
            company_id: created.company_id.to_string(),
            legal_name: client.legal_name.clone(),
            file_code: client.file_code.as_str().to_owned(),
            siren: client.siret.siren().as_str().to_owned(),
            create_time: Some(timestamp(created.created_at)),
            lock_date: String::new(),
            user_count: 0,
            portfolio_managers: created
                .managers
                .iter()
                .map(|user_id| pb::PortfolioManager {
                    user_id: user_id.to_string(),
                })
                .collect(),
            status: pb::ClientStatus::Connected as i32,
            last_invoice_date: String::new(),
            turnover_current_year: "0.00".to_owned(),
            owned_by_firm: true,
        }),
        invitation_id: created
            .invitation_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
    }
}
