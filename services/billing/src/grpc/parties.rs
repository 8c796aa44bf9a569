//! `comptoir.billing.v1.PartyService`: a company's customers and suppliers. Who may act
//! depends on the party's role (customers belong to sales, suppliers to purchasing), so
//! each call is authorised twice: for any party at the edge, then for the role once it
//! is known. A customer's creation, change or archiving is announced as
//! `customer.changed` in the transaction that makes it; suppliers publish nothing.

use comptoir_proto::billing::v1 as pb;
use comptoir_proto::events::v1 as events;
use comptoir_runtime::events::{Event, names};
use comptoir_runtime::legal::{CountryCode, Email, PostalCode, Siren, VatNumber};
use comptoir_runtime::page::PageRequest;
use comptoir_runtime::{Deps, FieldViolations, error, permissions};
use sqlx::PgConnection;
use tonic::{Code, Request, Response, Status};
use uuid::Uuid;

use super::{authorize, authorship, books_or, required_text, text};
use crate::app::{Ctx, once};
use crate::domain::{PartyKind, PartyRole};
use crate::error::Error;
use crate::store::parties::{self, PartyFields, PartyFilter, PartyRow};

pub(crate) fn server(deps: Deps) -> pb::party_service_server::PartyServiceServer<Parties> {
    pb::party_service_server::PartyServiceServer::new(Parties { deps })
}

pub(crate) struct Parties {
    deps: Deps,
}

/// Longest name.
const NAME_MAX: usize = 200;
/// Longest address line.
const LINE_MAX: usize = 200;
/// Longest city.
const CITY_MAX: usize = 100;
/// Longest ledger account code.
const ACCOUNTING_CODE_MAX: usize = 20;
/// Longest payment terms, in days: the legal maximum between businesses.
const PAYMENT_TERMS_MAX: i32 = 60;

/// Who may read parties of any role: the union of [`readers`].
const ANY_READER: [&str; 3] = [
    permissions::INVOICES_READ,
    permissions::QUOTES_WRITE,
    permissions::PURCHASES_WRITE,
];
/// Who may write parties of any role: the union of [`writers`].
const ANY_WRITER: [&str; 3] = [
    permissions::INVOICES_WRITE,
    permissions::QUOTES_WRITE,
    permissions::PURCHASES_WRITE,
];

/// The permissions, one of which reads parties of `role`: customers are read by whoever
/// invoices or quotes them, suppliers by whoever reads the books or records purchases.
fn readers(role: PartyRole) -> &'static [&'static str] {
    match role {
        PartyRole::Customer => &[permissions::INVOICES_READ, permissions::QUOTES_WRITE],
        PartyRole::Supplier => &[permissions::INVOICES_READ, permissions::PURCHASES_WRITE],
    }
}

/// The permissions, one of which writes parties of `role`.
fn writers(role: PartyRole) -> &'static [&'static str] {
    match role {
        PartyRole::Customer => &[permissions::INVOICES_WRITE, permissions::QUOTES_WRITE],
        PartyRole::Supplier => &[permissions::PURCHASES_WRITE],
    }
}

/// PERMISSION_DENIED unless the caller holds one of `needed` for parties of `role`.
fn require(ctx: &Ctx, role: PartyRole, needed: &[&str]) -> Result<(), Status> {
    if needed.iter().any(|permission| ctx.may(permission)) {
        return Ok(());
    }
    Err(error::status(
        Code::PermissionDenied,
        "PERMISSION_DENIED",
        "auth",
        format!(
            "this call on a {} needs one of the permissions {}",
            role.as_str(),
            needed.join(", ")
        ),
    ))
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

/// The stored role of a row (the table's CHECK allows only billing's roles).
fn role_of(row: &PartyRow) -> PartyRole {
    PartyRole::from_stored(&row.role).unwrap_or(PartyRole::Customer)
}

impl From<&PartyRow> for pb::Party {
    fn from(row: &PartyRow) -> Self {
        pb::Party {
            party_id: row.party_id.to_string(),
            company_id: row.company_id.to_string(),
            role: PartyRole::from_stored(&row.role)
                .map(role_to_pb)
                .unwrap_or(pb::PartyRole::Unspecified) as i32,
            kind: PartyKind::from_stored(&row.kind)
                .map(kind_to_pb)
                .unwrap_or(pb::PartyKind::Unspecified) as i32,
            name: row.name.clone(),
            siren: row.siren.clone(),
            vat_number: row.vat_number.clone(),
            address: Some(pb::PostalAddress {
                line1: row.address_line1.clone(),
                line2: row.address_line2.clone(),
                postal_code: row.address_postal_code.clone(),
                city: row.address_city.clone(),
                country_code: row.address_country_code.clone(),
            }),
            email: row.email.clone(),
            payment_terms_days: row.payment_terms_days,
            accounting_code: row.accounting_code.clone(),
            archived: row.archived_at.is_some(),
            authorship: Some(authorship(
                &row.created_by,
                row.created_at,
                &row.updated_by,
                row.updated_at,
            )),
        }
    }
}

/// A party as events carry it (customer changes, and the documents that name it).
pub(crate) fn billing_party(row: &PartyRow) -> events::BillingParty {
    events::BillingParty {
        party_id: row.party_id.to_string(),
        kind: row.kind.clone(),
        name: row.name.clone(),
        siren: row.siren.clone(),
        vat_number: row.vat_number.clone(),
        address_line1: row.address_line1.clone(),
        address_line2: row.address_line2.clone(),
        address_postal_code: row.address_postal_code.clone(),
        address_city: row.address_city.clone(),
        address_country_code: row.address_country_code.clone(),
        accounting_code: row.accounting_code.clone(),
    }
}

/// Parses the fields of a party of `role`, recording each bad one under `party.`.
fn parse_party(
    input: &pb::PartyInput,
    role: PartyRole,
    violations: &mut FieldViolations,
) -> Option<PartyFields> {
    let kind = kind_from_pb(input.kind);
    if kind.is_none() {
        violations.add(
            "party.kind",
            "is required: PARTY_KIND_PROFESSIONAL or PARTY_KIND_PRIVATE",
        );
    }
    let name = required_text(violations, "party.name", &input.name, NAME_MAX);
    let address = input.address.clone().unwrap_or_default();
    let address_line1 = required_text(violations, "party.address.line1", &address.line1, LINE_MAX);
    let address_line2 = text(violations, "party.address.line2", &address.line2, LINE_MAX);
    let country = if address.country_code.trim().is_empty() {
        violations.add("party.address.country_code", "is required");
        None
    } else {
        violations.check(
            "party.address.country_code",
            CountryCode::parse(&address.country_code),
        )
    };
    // With an unknown country, the postal code still gets the loose check.
    let postal_code = if address.postal_code.trim().is_empty() {
        violations.add("party.address.postal_code", "is required");
        None
    } else {
        violations.check(
            "party.address.postal_code",
            PostalCode::parse_for(&address.postal_code, country.as_ref()),
        )
    };
    let address_city = required_text(violations, "party.address.city", &address.city, CITY_MAX);

    let siren = if input.siren.trim().is_empty() {
        let french_business_customer = role == PartyRole::Customer
            && kind == Some(PartyKind::Professional)
            && country.as_ref().is_some_and(|c| c.as_str() == "FR");
        if french_business_customer {
            violations.add("party.siren", "is required for a French business customer");
        }
        Some(None)
    } else {
        violations
            .check("party.siren", Siren::parse(&input.siren))
            .map(Some)
    };
    let vat_number = if input.vat_number.trim().is_empty() {
        Some(String::new())
    } else {
        let french = input
            .vat_number
            .trim_start()
            .to_ascii_uppercase()
            .starts_with("FR");
        // A French number must be that of the SIREN given, when one is (and valid).
        let parsed = match siren.as_ref().and_then(Option::as_ref) {
            Some(siren) if french => VatNumber::parse_for(&input.vat_number, siren),
            _ => VatNumber::parse(&input.vat_number),
        };
        violations
            .check("party.vat_number", parsed)
            .map(|v| v.as_str().to_owned())
    };
    let email = if input.email.trim().is_empty() {
        Some(String::new())
    } else {
        violations
            .check("party.email", Email::parse(&input.email))
            .map(|e| e.as_str().to_owned())
    };
    if !(0..=PAYMENT_TERMS_MAX).contains(&input.payment_terms_days) {
        violations.add(
            "party.payment_terms_days",
            format!("must be between 0 and {PAYMENT_TERMS_MAX} days"),
        );
    }
    let accounting_code = input.accounting_code.trim();
    if accounting_code.chars().count() > ACCOUNTING_CODE_MAX
        || !accounting_code.chars().all(|c| c.is_ascii_alphanumeric())
    {
        violations.add(
            "party.accounting_code",
            format!("must be at most {ACCOUNTING_CODE_MAX} letters or digits"),
        );
    }
    if !violations.is_empty() {
        return None;
    }
    Some(PartyFields {
        kind: kind?,
        name,
        siren: siren?.map(|s| s.to_string()).unwrap_or_default(),
        vat_number: vat_number?,
        address_line1,
        address_line2,
        address_postal_code: postal_code?.as_str().to_owned(),
        address_city,
        address_country_code: country?.as_str().to_owned(),
        email: email?,
        payment_terms_days: input.payment_terms_days,
        accounting_code: accounting_code.to_owned(),
    })
}

/// The stored party as the input that would create it: what an update starts from.
fn input_of(row: &PartyRow) -> pb::PartyInput {
    let party = pb::Party::from(row);
    pb::PartyInput {
        role: party.role,
        kind: party.kind,
        name: party.name,
        siren: party.siren,
        vat_number: party.vat_number,
        address: party.address,
        email: party.email,
        payment_terms_days: party.payment_terms_days,
        accounting_code: party.accounting_code,
    }
}

/// The fields an update mask may name.
const MASKABLE: &str = "kind, name, siren, vat_number, address (or address.line1, \
     address.line2, address.postal_code, address.city, address.country_code), email, \
     payment_terms_days, accounting_code";

/// Copies the fields `paths` name from `changes` onto `base`, recording unknown paths.
fn apply_mask(
    base: &mut pb::PartyInput,
    changes: &pb::PartyInput,
    paths: &[String],
    violations: &mut FieldViolations,
) {
    if paths.is_empty() {
        violations.add("update_mask", "must name at least one field");
    }
    let new_address = changes.address.clone().unwrap_or_default();
    for path in paths {
        let address = base.address.get_or_insert_with(Default::default);
        match path.as_str() {
            "kind" => base.kind = changes.kind,
            "name" => base.name = changes.name.clone(),
            "siren" => base.siren = changes.siren.clone(),
            "vat_number" => base.vat_number = changes.vat_number.clone(),
            "address" => *address = new_address.clone(),
            "address.line1" => address.line1 = new_address.line1.clone(),
            "address.line2" => address.line2 = new_address.line2.clone(),
            "address.postal_code" => address.postal_code = new_address.postal_code.clone(),
            "address.city" => address.city = new_address.city.clone(),
            "address.country_code" => address.country_code = new_address.country_code.clone(),
            "email" => base.email = changes.email.clone(),
            "payment_terms_days" => base.payment_terms_days = changes.payment_terms_days,
            "accounting_code" => base.accounting_code = changes.accounting_code.clone(),
            "role" => violations.add("update_mask", "the role of a party never changes"),
            other => violations.add(
                "update_mask",
                format!("names `{other}`, which is not one of: {MASKABLE}"),
            ),
        }
    }
}

/// Announces a customer as it now is; suppliers publish nothing.
async fn announce(conn: &mut PgConnection, ctx: &Ctx, row: &PartyRow) -> Result<(), Error> {
    if role_of(row) != PartyRole::Customer {
        return Ok(());
    }
    Event::about(
        names::CUSTOMER_CHANGED,
        ctx.company_id,
        &ctx.actor,
        |meta| events::CustomerChanged {
            meta: Some(meta),
            customer: Some(billing_party(row)),
            archived: row.archived_at.is_some(),
        },
    )
    .enqueue(conn)
    .await?;
    Ok(())
}

/// A party id from the wire, or INVALID_ARGUMENT naming `party_id`.
fn party_id(value: &str) -> Result<Uuid, Status> {
    error::required_uuid("party_id", value)
}

/// The cursor of a listed party: its id, then its lower-cased name (an id has no `|`).
fn cursor(row: &PartyRow) -> String {
    format!("{}|{}", row.party_id, row.sort_name)
}

fn parse_cursor(cursor: &str) -> Option<(String, Uuid)> {
    let (id, name) = cursor.split_once('|')?;
    Some((name.to_owned(), Uuid::parse_str(id).ok()?))
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
        let fields = parse_party(&input, role.unwrap_or(PartyRole::Customer), &mut violations);
        violations.into_result()?;
        let (Some(role), Some(fields)) = (role, fields) else {
            unreachable!("validated above")
        };
        let company_id = ctx.company_id;
        let mut tx = ctx.begin(&self.deps.pool, "party.created").await?;
        let response = once(
            &mut tx,
            &ctx.scope("CreateParty"),
            &request.idempotency_key,
            &request,
            async |conn| {
                let row = parties::insert(conn, company_id, role, &fields, &ctx.actor)
                    .await
                    .map_err(|err| books_or(err, company_id))?;
                announce(conn, &ctx, &row).await?;
                Ok(pb::CreatePartyResponse {
                    party: Some((&row).into()),
                })
            },
        )
        .await?;
        tx.commit().await.map_err(Error::from)?;
        self.deps.outbox.wake();
        Ok(Response::new(response))
    }

    async fn get_party(
        &self,
        request: Request<pb::GetPartyRequest>,
    ) -> Result<Response<pb::GetPartyResponse>, Status> {
        let ctx = authorize(&request, &ANY_READER)?;
        let party_id = party_id(&request.get_ref().party_id)?;
        let mut tx = ctx.begin(&self.deps.pool, "read").await?;
        let row = parties::get(&mut tx, ctx.company_id, party_id)
            .await
            .map_err(Error::from)?
            .ok_or_else(|| Error::not_found("party", party_id))?;
        let role = role_of(&row);
        require(&ctx, role, readers(role))?;
        Ok(Response::new(pb::GetPartyResponse {
            party: Some((&row).into()),
        }))
    }

    async fn update_party(
        &self,
        request: Request<pb::UpdatePartyRequest>,
    ) -> Result<Response<pb::UpdatePartyResponse>, Status> {
        let ctx = authorize(&request, &ANY_WRITER)?;
        let request = request.into_inner();
        let party_id = party_id(&request.party_id)?;
        let mut tx = ctx.begin(&self.deps.pool, "party.updated").await?;
        let row = parties::get_for_update(&mut tx, ctx.company_id, party_id)
            .await
            .map_err(Error::from)?
            .ok_or_else(|| Error::not_found("party", party_id))?;
        let role = role_of(&row);
        require(&ctx, role, writers(role))?;

        let mut violations = FieldViolations::new();
        let mut merged = input_of(&row);
        let paths = request
            .update_mask
            .as_ref()
            .map(|mask| mask.paths.as_slice())
            .unwrap_or_default();
        apply_mask(
            &mut merged,
            &request.party.clone().unwrap_or_default(),
            paths,
            &mut violations,
        );
        let fields = parse_party(&merged, role, &mut violations);
        violations.into_result()?;
        let Some(fields) = fields else {
            unreachable!("validated above")
        };
        if row.fields().as_ref() == Some(&fields) {
            // Nothing changes: nothing is written, audited or announced.
            return Ok(Response::new(pb::UpdatePartyResponse {
                party: Some((&row).into()),
            }));
        }
        let row = parties::update(&mut tx, ctx.company_id, party_id, &fields, &ctx.actor)
            .await
            .map_err(Error::from)?;
        announce(&mut tx, &ctx, &row).await?;
        tx.commit().await.map_err(Error::from)?;
        self.deps.outbox.wake();
        Ok(Response::new(pb::UpdatePartyResponse {
            party: Some((&row).into()),
        }))
    }

    async fn archive_party(
        &self,
        request: Request<pb::ArchivePartyRequest>,
    ) -> Result<Response<pb::ArchivePartyResponse>, Status> {
        let ctx = authorize(&request, &ANY_WRITER)?;
        let party_id = party_id(&request.get_ref().party_id)?;
        let mut tx = ctx.begin(&self.deps.pool, "party.archived").await?;
        let row = parties::get_for_update(&mut tx, ctx.company_id, party_id)
            .await
            .map_err(Error::from)?
            .ok_or_else(|| Error::not_found("party", party_id))?;
        let role = role_of(&row);
        require(&ctx, role, writers(role))?;
        if row.archived_at.is_some() {
            // Archiving twice is archiving once.
            return Ok(Response::new(pb::ArchivePartyResponse {
                party: Some((&row).into()),
            }));
        }
        let row = parties::archive(&mut tx, ctx.company_id, party_id, &ctx.actor)
            .await
            .map_err(Error::from)?;
        announce(&mut tx, &ctx, &row).await?;
        tx.commit().await.map_err(Error::from)?;
        self.deps.outbox.wake();
        Ok(Response::new(pb::ArchivePartyResponse {
            party: Some((&row).into()),
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
        let after = match page.as_ref().and_then(|p| p.after.as_deref()) {
            None => None,
            Some(cursor) => {
                let parsed = parse_cursor(cursor);
                if parsed.is_none() {
                    violations.add("page_token", "is not a token returned by this API");
                }
                parsed
            }
        };
        violations.into_result()?;
        let (Some(role), Some(page)) = (role, page) else {
            unreachable!("validated above")
        };
        require(&ctx, role, readers(role))?;
        let query = request.query.trim();
        let filter = PartyFilter {
            role,
            pattern: (!query.is_empty()).then(|| parties::contains_pattern(query)),
            include_archived: request.include_archived,
            after,
        };
        let mut tx = ctx.begin(&self.deps.pool, "read").await?;
        let mut rows = parties::list(&mut tx, ctx.company_id, &filter, page.fetch_limit())
            .await
            .map_err(Error::from)?;
        let next_page_token = page.finish(&mut rows, cursor);
        Ok(Response::new(pb::ListPartiesResponse {
            parties: rows.iter().map(Into::into).collect(),
            next_page_token,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn customer() -> pb::PartyInput {
        pb::PartyInput {
            role: pb::PartyRole::Customer as i32,
            kind: pb::PartyKind::Professional as i32,
            name: "  Dupont SA ".to_owned(),
            siren: "732 829 320".to_owned(),
            vat_number: "fr44732829320".to_owned(),
            address: Some(pb::PostalAddress {
                line1: "1 rue de la Paix".to_owned(),
                line2: String::new(),
                postal_code: "75002".to_owned(),
                city: "Paris".to_owned(),
                country_code: "fr".to_owned(),
            }),
            email: "compta@Dupont.FR".to_owned(),
            payment_terms_days: 30,
            accounting_code: "411DUPONT".to_owned(),
        }
    }

    fn bad_fields(input: &pb::PartyInput, role: PartyRole) -> Vec<String> {
        let mut violations = FieldViolations::new();
        let parsed = parse_party(input, role, &mut violations);
        assert_eq!(parsed.is_none(), !violations.is_empty());
        violations.iter().map(|(field, _)| field.clone()).collect()
    }

    #[test]
    fn a_french_business_customer_is_normalised() {
        let mut violations = FieldViolations::new();
        let fields = parse_party(&customer(), PartyRole::Customer, &mut violations).unwrap();
        assert_eq!(fields.name, "Dupont SA");
        assert_eq!(fields.siren, "732829320");
        assert_eq!(fields.vat_number, "FR44732829320");
        assert_eq!(fields.address_country_code, "FR");
        assert_eq!(fields.email, "compta@dupont.fr");
    }

    #[test]
    fn la_poste_is_a_valid_siren() {
        let mut input = customer();
        input.siren = "356000000".to_owned();
        input.vat_number = String::new();
        assert!(bad_fields(&input, PartyRole::Customer).is_empty());
    }

    #[test]
    fn a_french_business_customer_needs_a_siren_but_a_supplier_or_a_private_person_does_not() {
        let mut input = customer();
        input.siren = String::new();
        input.vat_number = String::new();
        assert_eq!(bad_fields(&input, PartyRole::Customer), ["party.siren"]);
        assert!(bad_fields(&input, PartyRole::Supplier).is_empty());
        input.kind = pb::PartyKind::Private as i32;
        assert!(bad_fields(&input, PartyRole::Customer).is_empty());
        let mut german = customer();
        german.siren = String::new();
        german.vat_number = "DE123456789".to_owned();
        german.address.as_mut().unwrap().country_code = "DE".to_owned();
        german.address.as_mut().unwrap().postal_code = "10115".to_owned();
        assert!(bad_fields(&german, PartyRole::Customer).is_empty());
    }

    #[test]
    fn a_french_vat_number_must_be_that_of_the_siren_given() {
        let mut input = customer();
        input.vat_number = "FR45732829320".to_owned();
        assert_eq!(
            bad_fields(&input, PartyRole::Customer),
            ["party.vat_number"]
        );
        input.vat_number = "FR96552100554".to_owned();
        assert_eq!(
            bad_fields(&input, PartyRole::Customer),
            ["party.vat_number"]
        );
    }

    #[test]
    fn every_bad_field_is_named() {
        let input = pb::PartyInput {
            role: pb::PartyRole::Customer as i32,
            kind: 0,
            name: " ".to_owned(),
            siren: "732829321".to_owned(),
            vat_number: "XX1".to_owned(),
            address: Some(pb::PostalAddress {
                postal_code: "7500".to_owned(),
                country_code: "FR".to_owned(),
                ..Default::default()
            }),
            email: "nobody".to_owned(),
            payment_terms_days: 61,
            accounting_code: "411-DUPONT".to_owned(),
        };
        assert_eq!(
            bad_fields(&input, PartyRole::Customer),
            [
                "party.kind",
                "party.name",
                "party.address.line1",
                "party.address.postal_code",
                "party.address.city",
                "party.siren",
                "party.vat_number",
                "party.email",
                "party.payment_terms_days",
                "party.accounting_code",
            ]
        );
    }

    #[test]
    fn an_update_mask_copies_only_the_named_fields_and_never_the_role() {
        let mut base = customer();
        let changes = pb::PartyInput {
            name: "Dupont et fils".to_owned(),
            email: "other@example.fr".to_owned(),
            address: Some(pb::PostalAddress {
                city: "Lyon".to_owned(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let mut violations = FieldViolations::new();
        apply_mask(
            &mut base,
            &changes,
            &["name".to_owned(), "address.city".to_owned()],
            &mut violations,
        );
        assert!(violations.is_empty());
        assert_eq!(base.name, "Dupont et fils");
        assert_eq!(base.email, "compta@Dupont.FR");
        assert_eq!(base.address.as_ref().unwrap().city, "Lyon");
        assert_eq!(base.address.as_ref().unwrap().postal_code, "75002");
        apply_mask(
            &mut base,
            &changes,
            &["role".to_owned(), "colour".to_owned()],
            &mut violations,
        );
        assert_eq!(violations.iter().count(), 2);
    }

    #[test]
    fn a_cursor_round_trips_even_when_the_name_holds_a_bar() {
        let id = Uuid::now_v7();
        let cursor = format!("{id}|a|b");
        assert_eq!(parse_cursor(&cursor), Some(("a|b".to_owned(), id)));
        assert_eq!(parse_cursor("nonsense"), None);
    }
}
