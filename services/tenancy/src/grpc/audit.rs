//! The `comptoir.tenancy.v1.AuditService` implementation: the company's audit trail,
//! newest first, for callers with `audit.read`.

use comptoir_domain_types::permissions::Permission;
use comptoir_proto::tenancy::v1 as pb;
use comptoir_runtime::grpc::timestamp;
use comptoir_runtime::page::PageRequest;
use comptoir_runtime::{Deps, FieldViolations};
use tonic::{Request, Response, Status};

use super::authorize;
use crate::app;

pub(crate) fn server(deps: Deps) -> pb::audit_service_server::AuditServiceServer<Audit> {
    pb::audit_service_server::AuditServiceServer::new(Audit { deps })
}

pub(crate) struct Audit {
    deps: Deps,
}

#[tonic::async_trait]
impl pb::audit_service_server::AuditService for Audit {
    async fn list_audit_events(
        &self,
        request: Request<pb::ListAuditEventsRequest>,
    ) -> Result<Response<pb::ListAuditEventsResponse>, Status> {
        let ctx = authorize(&self.deps.pool, &request, Some(Permission::AuditRead)).await?;
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        let page = PageRequest::parse(request.page_size, &request.page_token, &mut violations);
        let before = page.as_ref().and_then(|p| {
            let cursor = p.after.as_deref()?;
            violations.check(
                "page_token",
                cursor
                    .parse::<i64>()
                    .map_err(|_| "is not a token returned by this API"),
            )
        });
        violations.into_result()?;
        let page = page.unwrap_or_else(|| unreachable!("validated above"));
        let mut rows =
            app::audit::list_audit_events(&self.deps.pool, &ctx, before, page.fetch_limit())
                .await?;
        let next_page_token = page.finish(&mut rows, |row| row.audit_event_id.to_string());
        Ok(Response::new(pb::ListAuditEventsResponse {
            events: rows
                .into_iter()
                .map(|row| pb::AuditEvent {
                    audit_event_id: row.audit_event_id,
                    actor: row.actor,
                    action: row.action,
                    details_json: row.details.to_string(),
                    create_time: Some(timestamp(row.created_at)),
                })
                .collect(),
            next_page_token,
        }))
    }
}
