//! The `comptoir.tenancy.v1.FirmService` implementation: accounting firms' grants on
//! client companies, and the firm members assigned to each client. A grant is the
//! client's row: its transactions act as the client, and as the firm only to read or
//! assign the firm's members.

use comptoir_domain_types::permissions::MEMBERS_MANAGE;
use comptoir_proto::events::v1 as events;
use comptoir_proto::tenancy::v1 as pb;
use comptoir_runtime::events::{Event, names};
use comptoir_runtime::{Deps, FieldViolations};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::app::Ctx;
use crate::domain::CompanyKind;
use crate::domain::access::firm_grant_role;
use crate::error::Error;
use crate::grpc::authorize;
use crate::store::{self, act_as, audit, begin, companies, firms};

pub(crate) fn server(deps: Deps) -> pb::firm_service_server::FirmServiceServer<Firms> {
    pb::firm_service_server::FirmServiceServer::new(Firms { deps })
}

pub(crate) struct Firms {
    deps: Deps,
}

#[tonic::async_trait]
impl pb::firm_service_server::FirmService for Firms {
    async fn grant_firm_access(
        &self,
        request: Request<pb::GrantFirmAccessRequest>,
    ) -> Result<Response<pb::GrantFirmAccessResponse>, Status> {
        let Ctx {
            company,
            user,
            access: _,
        } = authorize(&self.deps.pool, &request, Some(MEMBERS_MANAGE)).await?;
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        let firm = violations.uuid("firm_id", &request.firm_id);
        violations.check("role", firm_grant_role(&request.role));
        if firm == Some(company) {
            violations.add("firm_id", "is the company itself");
        }
        violations.into_result()?;
        let firm = firm.unwrap_or_default();
        let mut tx = begin(&self.deps.pool, Some(company), Some(user))
            .await
            .map_err(Error::from)?;
        companies::lock_company(&mut tx, company).await?;
        let firm_row = companies::lock_company(&mut tx, firm)
            .await
            .map_err(|_| Error::FirmNotFound(firm.to_string()))?;
        if CompanyKind::from_stored(&firm_row.kind) != Some(CompanyKind::Firm) {
            return Err(Error::NotAFirm(firm.to_string()).into());
        }
        firms::upsert_grant(&mut tx, firm, company, &request.role)
            .await
            .map_err(Error::from)?;
        Event::about(
            names::FIRM_GRANT_CREATED,
            company,
            &user.to_string(),
            |meta| events::FirmGrantCreated {
                meta: Some(meta),
                firm_id: firm.to_string(),
                role: request.role.clone(),
            },
        )
        .enqueue(&mut tx)
        .await
        .map_err(Error::from)?;
        audit::audit(
            &mut tx,
            company,
            &user.to_string(),
            "firm_grant.created",
            serde_json::json!({"firm_id": firm, "role": request.role}),
        )
        .await
        .map_err(Error::from)?;
        tx.commit().await.map_err(Error::from)?;
        self.deps.outbox.wake();
        Ok(Response::new(pb::GrantFirmAccessResponse {
            firm_id: firm.to_string(),
            company_id: company.to_string(),
            role: request.role,
        }))
    }

    async fn revoke_firm_access(
        &self,
        request: Request<pb::RevokeFirmAccessRequest>,
    ) -> Result<Response<pb::RevokeFirmAccessResponse>, Status> {
        let Ctx {
            company: active,
            user,
            access: _,
        } = authorize(&self.deps.pool, &request, Some(MEMBERS_MANAGE)).await?;
        let mut violations = FieldViolations::new();
        let firm = violations.uuid("firm_id", &request.get_ref().firm_id);
        let company = violations.uuid("company_id", &request.get_ref().company_id);
        violations.into_result()?;
        let (firm, company) = (firm.unwrap_or_default(), company.unwrap_or_default());
        if active != firm && active != company {
            return Err(Error::GrantNotFound.into());
        }
        let mut tx = begin(&self.deps.pool, Some(company), Some(user))
            .await
            .map_err(Error::from)?;
        companies::lock_company(&mut tx, company).await?;
        let Some(reached) = firms::delete_grant(&mut tx, firm, company, user)
            .await
            .map_err(Error::from)?
        else {
            return Err(Error::GrantNotFound.into());
        };
        // Who lost the client altogether: each one asked as CheckAccess asks, acting for
        // them (a direct member, or someone another firm's grant reaches, keeps access).
        let mut lost = Vec::new();
        for reached in reached {
            act_as(&mut tx, Some(company), Some(reached))
                .await
                .map_err(Error::from)?;
            if store::access::way_in(&mut tx, reached, company)
                .await
                .map_err(Error::from)?
                .is_none()
            {
                lost.push(reached);
            }
        }
        act_as(&mut tx, Some(company), Some(user))
            .await
            .map_err(Error::from)?;
        Event::about(
            names::FIRM_GRANT_REVOKED,
            company,
            &user.to_string(),
            |meta| events::FirmGrantRevoked {
                meta: Some(meta),
                firm_id: firm.to_string(),
                user_ids: lost.iter().map(Uuid::to_string).collect(),
            },
        )
        .enqueue(&mut tx)
        .await
        .map_err(Error::from)?;
        audit::audit(
            &mut tx,
            company,
            &user.to_string(),
            "firm_grant.revoked",
            serde_json::json!({"firm_id": firm}),
        )
        .await
        .map_err(Error::from)?;
        tx.commit().await.map_err(Error::from)?;
        self.deps.outbox.wake();
        Ok(Response::new(pb::RevokeFirmAccessResponse {}))
    }

    async fn set_portfolio_managers(
        &self,
        request: Request<pb::SetPortfolioManagersRequest>,
    ) -> Result<Response<pb::SetPortfolioManagersResponse>, Status> {
        let Ctx {
            company: firm,
            user,
            access: _,
        } = authorize(&self.deps.pool, &request, Some(MEMBERS_MANAGE)).await?;
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        let company = violations.uuid("company_id", &request.company_id);
        let users: Vec<Uuid> = request
            .user_ids
            .iter()
            .enumerate()
            .filter_map(|(i, id)| violations.uuid(&format!("user_ids[{i}]"), id))
            .collect();
        violations.into_result()?;
        let company = company.unwrap_or_default();
        let mut tx = begin(&self.deps.pool, Some(firm), Some(user))
            .await
            .map_err(Error::from)?;
        companies::lock_company(&mut tx, firm).await?;
        if !firms::grant_exists(&mut tx, firm, company)
            .await
            .map_err(Error::from)?
        {
            return Err(Error::GrantNotFound.into());
        }
        let strangers = firms::non_members(&mut tx, firm, &users)
            .await
            .map_err(Error::from)?;
        if !strangers.is_empty() {
            let mut violations = FieldViolations::new();
            for (i, id) in users
                .iter()
                .enumerate()
                .filter(|(_, id)| strangers.contains(id))
            {
                violations.add(
                    format!("user_ids[{i}]"),
                    format!("{id} is not a member of the firm"),
                );
            }
            return Err(Error::InvalidArgument(violations).into());
        }
        firms::set_portfolio_managers(&mut tx, firm, company, &users)
            .await
            .map_err(Error::from)?;
        audit::audit(
            &mut tx,
            firm,
            &user.to_string(),
            "portfolio_managers.set",
            serde_json::json!({"company_id": company, "user_ids": users}),
        )
        .await
        .map_err(Error::from)?;
        tx.commit().await.map_err(Error::from)?;
        Ok(Response::new(pb::SetPortfolioManagersResponse {
            user_ids: users.iter().map(Uuid::to_string).collect(),
        }))
    }
}
