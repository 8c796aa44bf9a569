//! What tenancy publishes, and what it consumes. The proto event types are built here:
//! from a stored company for `company.*` (its legal identity converted once, and written
//! into the event by `with_legal_identity`, and its bank account), from the change's values for the others. Each
//! is enqueued by the `app` function that makes the change, in its transaction.
//!
//! It consumes identity's `user.registered` into the e-mail of each account, so an
//! invitation is accepted only by the account of the address it was sent to (see
//! `app::invitations::accept_invitation`). Tokens carry no e-mail, and asking identity at
//! each acceptance would make tenancy depend on identity being up; the event is on its
//! way before the new account's first login returns.

use comptoir_proto::events::v1 as events;
use comptoir_proto::events::v1::UserRegistered;
use comptoir_proto::types::v1::LegalIdentity;
use comptoir_runtime::events::consumer::event_uuid;
use comptoir_runtime::events::{Consume, Delivery, Event, EventType, HandlerError, names};
use comptoir_runtime::grpc::timestamp;
use prost::Message;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::CompanyKind;
use crate::domain::firms::Owner;
use crate::domain::members::InvitationKind;
use crate::store::{self, companies::CompanyRow};

/// The company's legal identity as both company events carry it.
fn legal_identity(company: &CompanyRow) -> LegalIdentity {
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    LegalIdentity {
        legal_name: company.legal_name.clone(),
        siren: company.siren.clone(),
        nic: company.nic.clone(),
        siret: format!("{}{}", company.siren, company.nic),
        legal_form: text(&company.legal_form),
        ape_code: text(&company.ape_code),
        vat_number: text(&company.vat_number),
        rcs_city: text(&company.rcs_city),
        share_capital_amount: company
            .share_capital
            .map(|a| a.to_string())
            .unwrap_or_default(),
        share_capital_currency_code: text(&company.share_capital_currency),
        address: Some(company.address().into()),
    }
}

fn meta(
    event_id: Uuid,
    company: &CompanyRow,
    actor: Uuid,
    at: chrono::DateTime<chrono::Utc>,
) -> events::EventMeta {
    events::EventMeta {
        event_id: event_id.to_string(),
        occur_time: Some(timestamp(at)),
        company_id: company.company_id.to_string(),
        actor: actor.to_string(),
    }
}

/// An id as an event carries it: empty for none.
fn id_text(id: Option<Uuid>) -> String {
    id.map(|id| id.to_string()).unwrap_or_default()
}

/// The `company.created` event for a freshly inserted company, created by `actor` and
/// owned by `owner` (an account, or the firm that created it for its client).
pub(crate) fn company_created(company: &CompanyRow, actor: Uuid, owner: Owner) -> Event {
    let event_id = Uuid::now_v7();
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    let payload = events::CompanyCreated {
        meta: Some(meta(event_id, company, actor, company.created_at)),
        is_firm: company.kind() == CompanyKind::Firm,
        owner_user_id: id_text(owner.user()),
        owner_firm_id: id_text(owner.firm()),
        director_name: text(&company.director_name),
        director_email: text(&company.director_email),
        director_phone: text(&company.director_phone),
        bank_account: company.bank_account().as_ref().map(Into::into),
        version: company.version,
        ..Default::default()
    }
    .with_legal_identity(legal_identity(company));
    Event {
        event_id,
        event_type: names::COMPANY_CREATED,
        company_id: Some(company.company_id),
        payload: payload.encode_to_vec(),
    }
}

/// The `company.updated` event: the whole identity after the change, and what changed.
pub(crate) fn company_updated(
    company: &CompanyRow,
    actor: Uuid,
    changed_fields: Vec<String>,
) -> Event {
    let event_id = Uuid::now_v7();
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    let payload = events::CompanyUpdated {
        meta: Some(meta(event_id, company, actor, company.updated_at)),
        is_firm: company.kind() == CompanyKind::Firm,
        director_name: text(&company.director_name),
        director_email: text(&company.director_email),
        director_phone: text(&company.director_phone),
        bank_account: company.bank_account().as_ref().map(Into::into),
        changed_fields,
        version: company.version,
        ..Default::default()
    }
    .with_legal_identity(legal_identity(company));
    Event {
        event_id,
        event_type: names::COMPANY_UPDATED,
        company_id: Some(company.company_id),
        payload: payload.encode_to_vec(),
    }
}

/// `firm_grant.created`: `firm` may now act on `company` with `role`.
pub(crate) fn firm_grant_created(company: Uuid, actor: Uuid, firm: Uuid, role: &str) -> Event {
    Event::about(
        names::FIRM_GRANT_CREATED,
        company,
        &actor.to_string(),
        |meta| events::FirmGrantCreated {
            meta: Some(meta),
            firm_id: firm.to_string(),
            role: role.to_owned(),
        },
    )
}

/// `firm_grant.revoked`: `firm` no longer acts on `company`, and `lost` are the people
/// who lost the company with it (services end their access at once).
pub(crate) fn firm_grant_revoked(company: Uuid, actor: Uuid, firm: Uuid, lost: &[Uuid]) -> Event {
    Event::about(
        names::FIRM_GRANT_REVOKED,
        company,
        &actor.to_string(),
        |meta| events::FirmGrantRevoked {
            meta: Some(meta),
            firm_id: firm.to_string(),
            user_ids: lost.iter().map(Uuid::to_string).collect(),
        },
    )
}

/// `invitation.created`: `email` is invited to the company as `role`, as a member or as
/// its accounting firm (`kind`).
pub(crate) fn invitation_created(
    company: Uuid,
    actor: Uuid,
    invitation_id: Uuid,
    email: &str,
    role: &str,
    kind: InvitationKind,
) -> Event {
    let kind = match kind {
        InvitationKind::Member => events::InvitationKind::Member,
        InvitationKind::Firm => events::InvitationKind::Firm,
    };
    Event::about(
        names::INVITATION_CREATED,
        company,
        &actor.to_string(),
        |meta| events::InvitationCreated {
            meta: Some(meta),
            invitation_id: invitation_id.to_string(),
            email: email.to_owned(),
            role: role.to_owned(),
            kind: kind as i32,
        },
    )
}

/// `membership.granted` and `invitation.accepted`: `user` accepted the invitation and
/// joined the company as `role`.
pub(crate) fn invitation_accepted(
    company: Uuid,
    user: Uuid,
    invitation_id: Uuid,
    role: &str,
) -> [Event; 2] {
    let actor = user.to_string();
    [
        Event::about(names::MEMBERSHIP_GRANTED, company, &actor, |meta| {
            events::MembershipGranted {
                meta: Some(meta),
                user_id: actor.clone(),
                role: role.to_owned(),
            }
        }),
        invitation_used(company, user, invitation_id),
    ]
}

/// `invitation.accepted`: `user` used the invitation (a member's, as part of
/// [`invitation_accepted`], or a firm's, for their firm, which `firm_grant.created`
/// announces).
pub(crate) fn invitation_used(company: Uuid, user: Uuid, invitation_id: Uuid) -> Event {
    let actor = user.to_string();
    Event::about(names::INVITATION_ACCEPTED, company, &actor, |meta| {
        events::InvitationAccepted {
            meta: Some(meta),
            invitation_id: invitation_id.to_string(),
            user_id: actor.clone(),
        }
    })
}

/// `membership.changed`: `user` now holds `role`, carrying `permissions` (services cut
/// the member's unexpired tokens down to these).
pub(crate) fn membership_changed(
    company: Uuid,
    actor: Uuid,
    user: Uuid,
    role: &str,
    permissions: Vec<String>,
) -> Event {
    Event::about(
        names::MEMBERSHIP_CHANGED,
        company,
        &actor.to_string(),
        |meta| events::MembershipChanged {
            meta: Some(meta),
            user_id: user.to_string(),
            role: role.to_owned(),
            permissions,
        },
    )
}

/// `membership.revoked`: `user` is no longer a member of `company`; or, `company` being a
/// firm's client, no longer reaches it at all since leaving the firm, losing its
/// Administrator role or the client's portfolio (services end their access at once).
pub(crate) fn membership_revoked(company: Uuid, actor: Uuid, user: Uuid) -> Event {
    Event::about(
        names::MEMBERSHIP_REVOKED,
        company,
        &actor.to_string(),
        |meta| events::MembershipRevoked {
            meta: Some(meta),
            user_id: user.to_string(),
        },
    )
}

/// `ownership.transferred`: the company's owner, `from` (an account, or the firm that
/// owned its client), is now the account `to`; `actor` made the change.
pub(crate) fn ownership_transferred(company: Uuid, actor: Uuid, from: Owner, to: Uuid) -> Event {
    Event::about(
        names::OWNERSHIP_TRANSFERRED,
        company,
        &actor.to_string(),
        |meta| events::OwnershipTransferred {
            meta: Some(meta),
            from_user_id: id_text(from.user()),
            to_user_id: to.to_string(),
            from_firm_id: id_text(from.firm()),
        },
    )
}

/// The consumer that records accounts' e-mails.
pub(crate) struct Accounts;

impl Consume for Accounts {
    type Event = UserRegistered;
    const NAME: &'static str = "accounts";
    const EVENTS: &'static [EventType] = &[names::USER_REGISTERED];

    async fn apply(
        &self,
        conn: &mut PgConnection,
        event: UserRegistered,
        delivery: &Delivery,
    ) -> Result<(), HandlerError> {
        let user = event_uuid("user_id", &event.user_id)?;
        let email = event.email.trim().to_lowercase();
        store::accounts::keep_account(conn, user, &email, delivery.event_id).await?;
        Ok(())
    }
}
