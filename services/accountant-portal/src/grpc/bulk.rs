//! The bulk actions' RPCs (`SetLockDates`, and for a firm Administrator
//! `AssignPortfolioManagers` and `DisconnectClients`): the selection and the action decoded here
//! (an empty or oversized selection, or a bad date, refuses the whole call; a malformed
//! id refuses only its client), carried out by `app::bulk`, and every client's outcome
//! encoded as a `ClientResult` in the selection's order: a refusal as its status code's
//! name, its `ErrorInfo` reason and its message, as the service that refused it said.

use chrono::NaiveDate;
use comptoir_domain_types::permissions::Permission;
use comptoir_proto::accountant_portal::v1 as pb;
use comptoir_runtime::metrics::code_name;
use comptoir_runtime::{Deps, FieldViolations};
use tonic::{Request, Response, Status};
use tonic_types::StatusExt as _;

use crate::app;
use crate::app::Ctx;
use crate::app::bulk::{AssignPortfolioManagers, DisconnectClients, Outcome, SetLockDates};
use crate::app::firm::ThroughTenancy;
use crate::domain::bulk::{Selected, selection};
use crate::error::Error;
use crate::grpc::authorize;
use crate::peers::Peers;
use crate::tenancy::{Authorization, Tenancy};

pub(crate) async fn set_lock_dates(
    deps: &Deps,
    peers: &Peers,
    request: Request<pb::SetLockDatesRequest>,
) -> Result<Response<pb::SetLockDatesResponse>, Status> {
    let ctx = authorize(&request).map_err(Error::from)?;
    let authorization = Authorization::of(&request)?;
    let command = decode_set_lock_dates(request.get_ref())?;
    let outcomes = app::bulk::set_lock_dates(&ctx, deps, peers, &authorization, command).await?;
    Ok(Response::new(pb::SetLockDatesResponse {
        results: results(outcomes),
    }))
}

pub(crate) async fn assign_portfolio_managers(
    deps: &Deps,
    tenancy: &Tenancy,
    request: Request<pb::AssignPortfolioManagersRequest>,
) -> Result<Response<pb::AssignPortfolioManagersResponse>, Status> {
    let ctx = authorize_administrator(&request)?;
    let authorization = Authorization::of(&request)?;
    let command = decode_assign_portfolio_managers(request.get_ref())?;
    let through = ThroughTenancy {
        tenancy,
        authorization: &authorization,
    };
    let outcomes = app::bulk::assign_portfolio_managers(&ctx, deps, through, command).await?;
    Ok(Response::new(pb::AssignPortfolioManagersResponse {
        results: results(outcomes),
    }))
}

pub(crate) async fn disconnect_clients(
    deps: &Deps,
    tenancy: &Tenancy,
    request: Request<pb::DisconnectClientsRequest>,
) -> Result<Response<pb::DisconnectClientsResponse>, Status> {
    let ctx = authorize_administrator(&request)?;
    let authorization = Authorization::of(&request)?;
    let command = decode_disconnect_clients(request.get_ref())?;
    let through = ThroughTenancy {
        tenancy,
        authorization: &authorization,
    };
    let outcomes = app::bulk::disconnect_clients(&ctx, deps, through, command).await?;
    Ok(Response::new(pb::DisconnectClientsResponse {
        results: results(outcomes),
    }))
}

/// The caller, who must be a firm Administrator (`members.manage` on the firm).
fn authorize_administrator<T>(request: &Request<T>) -> Result<Ctx, Error> {
    let ctx = authorize(request)?;
    ctx.caller.require(ctx.firm_id, Permission::MembersManage)?;
    Ok(ctx)
}

/// The selection of a bulk request, or its violation recorded against `company_ids`.
fn decode_selection(violations: &mut FieldViolations, ids: &[String]) -> Vec<Selected> {
    violations
        .check("company_ids", selection(ids))
        .unwrap_or_default()
}

fn decode_set_lock_dates(request: &pb::SetLockDatesRequest) -> Result<SetLockDates, Error> {
    let mut violations = FieldViolations::new();
    let clients = decode_selection(&mut violations, &request.company_ids);
    let lock_date = match request.lock_date.as_str() {
        "" => None,
        text => violations.check(
            "lock_date",
            NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| "is not a date YYYY-MM-DD"),
        ),
    };
    violations.into_result()?;
    Ok(SetLockDates {
        clients,
        lock_date,
        reason: request.reason.clone(),
    })
}

/// Each client's outcome, in order.
fn results(outcomes: Vec<Outcome>) -> Vec<pb::ClientResult> {
    outcomes.into_iter().map(client_result).collect()
}

fn client_result(outcome: Outcome) -> pb::ClientResult {
    let company_id = match outcome.client {
        Selected::Client(id) => id.to_string(),
        Selected::Malformed { id, .. } => id,
    };
    match outcome.result {
        Ok(()) => pb::ClientResult {
            company_id,
            done: true,
            ..Default::default()
        },
        Err(err) => {
            // Through the one mapping of errors to statuses, so a client's refusal reads
            // as the same refusal would in an answer of its own.
            let status = Status::from(err);
            pb::ClientResult {
                company_id,
                done: false,
                code: code_name(status.code()).to_owned(),
                reason: status
                    .get_error_details()
                    .error_info()
                    .map(|info| info.reason.clone())
                    .unwrap_or_default(),
                message: status.message().to_owned(),
            }
        }
    }
}

fn decode_assign_portfolio_managers(
    request: &pb::AssignPortfolioManagersRequest,
) -> Result<AssignPortfolioManagers, Error> {
    let mut violations = FieldViolations::new();
    let clients = decode_selection(&mut violations, &request.company_ids);
    let mut managers = Vec::with_capacity(request.user_ids.len());
    for (index, user_id) in request.user_ids.iter().enumerate() {
        if let Some(user) = violations.uuid(&format!("user_ids[{index}]"), user_id)
            && !managers.contains(&user)
        {
            managers.push(user);
        }
    }
    violations.into_result()?;
    Ok(AssignPortfolioManagers { clients, managers })
}

fn decode_disconnect_clients(
    request: &pb::DisconnectClientsRequest,
) -> Result<DisconnectClients, Error> {
    let mut violations = FieldViolations::new();
    let clients = decode_selection(&mut violations, &request.company_ids);
    let transfer_ownership_to = match request.transfer_ownership_to.as_str() {
        "" => None,
        user => violations.uuid("transfer_ownership_to", user),
    };
    // One person is an Administrator of one client: handing several clients to them is
    // a mistake, refused before any client is disconnected.
    if transfer_ownership_to.is_some() && clients.len() > 1 {
        violations.add(
            "transfer_ownership_to",
            "names a new owner for a single client only",
        );
    }
    violations.into_result()?;
    Ok(DisconnectClients {
        clients,
        transfer_ownership_to,
    })
}
