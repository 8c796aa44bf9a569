//! What billing consumes: tenancy's `company.created` opens a company's books with the
//! seller's legal identity, and `company.updated` keeps that identity current for the
//! mandatory mentions of the invoices issued afterwards. Both carry the whole identity and
//! the company's version, so they apply in any order: an update arriving first opens the
//! books, and an event older than the book's identity is set aside.
//!
//! What billing publishes is built here from its domain types: `customer.changed`
//! ([`customer_changed`]).

use comptoir_proto::events::v1::{CompanyCreated, EventMeta};
use comptoir_runtime::events::consumer::event_uuid;
use comptoir_runtime::events::{Consume, Delivery, EventType, HandlerError, names};
use sqlx::PgConnection;

use crate::store::{self, Acting, books};

use comptoir_proto::events::v1 as pb;
use comptoir_runtime::events::Event;
use uuid::Uuid;

use crate::domain::party::Party;

/// The consumer that opens books for new companies and follows their changes.
pub(crate) struct Companies;

impl Consume for Companies {
    type Event = CompanyCreated;
    const NAME: &'static str = "companies";
    const EVENTS: &'static [EventType] = names::COMPANY_CHANGES;

    async fn apply(
        &self,
        conn: &mut PgConnection,
        event: CompanyCreated,
        delivery: &Delivery,
    ) -> Result<(), HandlerError> {
        let created = delivery.event_type == names::COMPANY_CREATED;
        let (meta, version) = (event.meta, event.version);
        let identity = books::LegalIdentity {
            legal_name: event.legal_name,
            siren: event.siren,
            legal_form: event.legal_form,
            nic: event.nic,
            ape_code: event.ape_code,
            vat_number: event.vat_number,
            rcs_city: event.rcs_city,
            share_capital_amount: event.share_capital_amount,
            address_line1: event.address_line1,
            address_line2: event.address_line2,
            address_postal_code: event.address_postal_code,
            address_city: event.address_city,
            address_country_code: event.address_country_code,
        };
        let meta: EventMeta = meta.unwrap_or_default();
        let company_id = event_uuid("meta.company_id", &meta.company_id)?;
        let actor = if meta.actor.is_empty() {
            "service:tenancy".to_owned()
        } else {
            meta.actor.clone()
        };
        let acting = Acting {
            company_id,
            actor: &actor,
            action: if created {
                "books.opened"
            } else {
                "seller.updated"
            },
        };
        store::set_acting(conn, &acting).await?;
        if books::keep_identity(conn, company_id, &identity, version).await? {
            tracing::info!(%company_id, version, "seller identity kept");
        } else {
            tracing::info!(%company_id, version, "older company event set aside");
        }
        Ok(())
    }
}

/// A party as events carry it (customer changes, and the documents that name it).
pub(crate) fn billing_party(party: &Party) -> pb::BillingParty {
    let fields = &party.fields;
    let identity = &fields.identity;
    let address = &identity.address;
    pb::BillingParty {
        party_id: party.party_id.to_string(),
        kind: fields.kind.as_str().to_owned(),
        name: identity.legal_name.clone(),
        siren: identity.siren_str().to_owned(),
        vat_number: identity.vat_number_str().to_owned(),
        address_line1: address.line1.clone(),
        address_line2: address.line2.clone(),
        address_postal_code: address.postal_code.clone(),
        address_city: address.city.clone(),
        address_country_code: address.country_code.clone(),
        accounting_code: fields.accounting_code.clone(),
    }
}

/// `customer.changed`: a customer of `company_id` as it now is, changed by `actor`.
pub(crate) fn customer_changed(company_id: Uuid, actor: &str, customer: &Party) -> Event {
    Event::about(names::CUSTOMER_CHANGED, company_id, actor, |meta| {
        pb::CustomerChanged {
            meta: Some(meta),
            customer: Some(billing_party(customer)),
            archived: customer.archived_at.is_some(),
        }
    })
}
