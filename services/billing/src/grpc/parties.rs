//! `comptoir.billing.v1.PartyService`: a company's customers and suppliers. Each call is
//! authorised here for any party (or, when the request names the role, for that role),
//! decoded into the domain's [`PartyInput`], handed to one [`crate::app::parties`]
//! function, and its party encoded.

use comptoir_domain_types::fields::Violations;
use comptoir_proto::billing::v1 as pb;
use comptoir_runtime::page::{PageRequest, id_text_cursor, parse_id_text_cursor};
use comptoir_runtime::{Deps, FieldViolations, error};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::{authorize, authorship};
use crate::app::parties::{self as app, ANY_READER, ANY_WRITER, UpdateParty, require, writers};
use crate::app::violations_under;
use crate::domain::party::{Party, PartyInput};
use crate::domain::{PartyKind, PartyRole};
use crate::store::parties::{PartyFilter, contains_pattern};

pub(crate) fn server(deps: Deps) -> pb::party_service_server::PartyServiceServer<Parties> {
    pb::party_service_server::PartyServiceServer::new(Parties { deps })
}

pub(crate) struct Parties {
    deps: Deps,
}

/// A role from the wire; None when unspecified or unknown.
fn role_from_pb(value: i32) -> Option<PartyRole> {
    match pb::PartyRole::try_from(value).ok()? {
        pb::PartyRole::Customer => Some(PartyRole::Customer),
        pb::PartyRole::Supplier => Some(PartyRole::Supplier),
        pb::PartyRole::Unspecified => None,
    }
}

fn role_to_pb(role: PartyRole) -> pb::PartyRole {
    match role {
        PartyRole::Customer => pb::PartyRole::Customer,
        PartyRole::Supplier => pb::PartyRole::Supplier,
    }
}

/// A kind from the wire; None when unspecified or unknown.
fn kind_from_pb(value: i32) -> Option<PartyKind> {
    match pb::PartyKind::try_from(value).ok()? {
        pb::PartyKind::Professional => Some(PartyKind::Professional),
        pb::PartyKind::Private => Some(PartyKind::Private),
        pb::PartyKind::Unspecified => None,
    }
}

fn kind_to_pb(kind: PartyKind) -> pb::PartyKind {
    match kind {
        PartyKind::Professional => pb::PartyKind::Professional,
        PartyKind::Private => pb::PartyKind::Private,
    }
}

impl From<&Party> for pb::Party {
    fn from(party: &Party) -> Self {
        let fields = &party.fields;
        let identity = &fields.identity;
        pb::Party {
            party_id: party.party_id.to_string(),
            company_id: party.company_id.to_string(),
            role: role_to_pb(party.role) as i32,
            kind: kind_to_pb(fields.kind) as i32,
            name: identity.legal_name.clone(),
            siren: identity.siren_str().to_owned(),
            vat_number: identity.vat_number_str().to_owned(),
            address: Some((&identity.address).into()),
            email: fields.email.clone(),
            payment_terms_days: fields.payment_terms_days,
            accounting_code: fields.accounting_code.clone(),
            archived: party.archived_at.is_some(),
            authorship: Some(authorship(
                &party.authorship.created_by,
                party.authorship.created_at,
                &party.authorship.updated_by,
                party.authorship.updated_at,
            )),
        }
    }
}

impl From<&pb::PartyInput> for PartyInput {
    fn from(input: &pb::PartyInput) -> Self {
        PartyInput {
            kind: kind_from_pb(input.kind),
            name: input.name.clone(),
            siren: input.siren.clone(),
            vat_number: input.vat_number.clone(),
            address: input.address.clone().unwrap_or_default().into(),
            email: input.email.clone(),
            payment_terms_days: input.payment_terms_days,
            accounting_code: input.accounting_code.clone(),
        }
    }
}

/// A party id from the wire, or INVALID_ARGUMENT naming `party_id`.
fn party_id(value: &str) -> Result<Uuid, FieldViolations> {
    error::required_uuid("party_id", value)
}

#[tonic::async_trait]
impl pb::party_service_server::PartyService for Parties {
    async fn create_party(
        &self,
        request: Request<pb::CreatePartyRequest>,
    ) -> Result<Response<pb::CreatePartyResponse>, Status> {
        let ctx = authorize(&request, &ANY_WRITER)?;
        let request = request.into_inner();
        let input = request.party.clone().unwrap_or_default();
        let mut violations = FieldViolations::new();
        let role = role_from_pb(input.role);
        match role {
            Some(role) => require(&ctx, role, writers(role))?,
            None => violations.add(
                "party.role",
                "is required: PARTY_ROLE_CUSTOMER or PARTY_ROLE_SUPPLIER",
            ),
        }
        let mut field_violations = Violations::new();
        let fields = PartyInput::from(&input)
            .parse(role.unwrap_or(PartyRole::Customer), &mut field_violations);
        violations_under("party", &mut violations, field_violations);
        violations.into_result()?;
        let (Some(role), Some(fields)) = (role, fields) else {
            unreachable!("validated above")
        };
        let response = app::create_party(
            &ctx,
            &self.deps,
            (role, fields),
            (&request.idempotency_key, &request),
            |party| pb::CreatePartyResponse {
                party: Some(party.into()),
            },
        )
        .await?;
        Ok(Response::new(response))
    }

    async fn get_party(
        &self,
        request: Request<pb::GetPartyRequest>,
    ) -> Result<Response<pb::GetPartyResponse>, Status> {
        let ctx = authorize(&request, &ANY_READER)?;
        let party_id = party_id(&request.get_ref().party_id)?;
        let party = app::get_party(&ctx, &self.deps, party_id).await?;
        Ok(Response::new(pb::GetPartyResponse {
            party: Some((&party).into()),
        }))
    }

    async fn update_party(
        &self,
        request: Request<pb::UpdatePartyRequest>,
    ) -> Result<Response<pb::UpdatePartyResponse>, Status> {
        let ctx = authorize(&request, &ANY_WRITER)?;
        let request = request.into_inner();
        let update = UpdateParty {
            party_id: party_id(&request.party_id)?,
            changes: PartyInput::from(&request.party.unwrap_or_default()),
            paths: request
                .update_mask
                .map(|mask| mask.paths)
                .unwrap_or_default(),
        };
        let party = app::update_party(&ctx, &self.deps, update).await?;
        Ok(Response::new(pb::UpdatePartyResponse {
            party: Some((&party).into()),
        }))
    }

    async fn archive_party(
        &self,
        request: Request<pb::ArchivePartyRequest>,
    ) -> Result<Response<pb::ArchivePartyResponse>, Status> {
        let ctx = authorize(&request, &ANY_WRITER)?;
        let party_id = party_id(&request.get_ref().party_id)?;
        let party = app::archive_party(&ctx, &self.deps, party_id).await?;
        Ok(Response::new(pb::ArchivePartyResponse {
            party: Some((&party).into()),
        }))
    }

    async fn list_parties(
        &self,
        request: Request<pb::ListPartiesRequest>,
    ) -> Result<Response<pb::ListPartiesResponse>, Status> {
        let ctx = authorize(&request, &ANY_READER)?;
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        let role = role_from_pb(request.role);
        if role.is_none() {
            violations.add(
                "role",
                "is required: PARTY_ROLE_CUSTOMER or PARTY_ROLE_SUPPLIER",
            );
        }
        let page = PageRequest::parse(request.page_size, &request.page_token, &mut violations);
        let after = page
            .as_ref()
            .and_then(|p| parse_id_text_cursor(p.after.as_deref(), &mut violations));
        violations.into_result()?;
        let (Some(role), Some(page)) = (role, page) else {
            unreachable!("validated above")
        };
        let query = request.query.trim();
        let filter = PartyFilter {
            role,
            pattern: (!query.is_empty()).then(|| contains_pattern(query)),
            include_archived: request.include_archived,
            after,
        };
        let mut rows = app::list_parties(&ctx, &self.deps, &filter, page.fetch_limit()).await?;
        let next_page_token = page.finish(&mut rows, |row| {
            id_text_cursor(row.party.party_id, &row.sort_name)
        });
        Ok(Response::new(pb::ListPartiesResponse {
            parties: rows.iter().map(|row| (&row.party).into()).collect(),
            next_page_token,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_party_input_is_read_from_the_wire_as_sent() {
        let input = pb::PartyInput {
            role: pb::PartyRole::Customer as i32,
            kind: pb::PartyKind::Private as i32,
            name: " Jeanne ".to_owned(),
            address: Some(pb::PostalAddress {
                city: "Lyon".to_owned(),
                ..Default::default()
            }),
            payment_terms_days: 61,
            ..Default::default()
        };
        let read = PartyInput::from(&input);
        assert_eq!(read.kind, Some(PartyKind::Private));
        assert_eq!(read.name, " Jeanne ");
        assert_eq!(read.address.city, "Lyon");
        assert_eq!(read.payment_terms_days, 61);
        assert_eq!(PartyInput::from(&pb::PartyInput::default()).kind, None);
    }
}
