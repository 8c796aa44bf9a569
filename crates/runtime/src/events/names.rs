//! The one place that names streams, subjects and durable consumers. Every name takes the
//! deployment's prefix, so several installations, or tests running side by side, share a
//! NATS server without seeing each other's events.

use std::time::Duration;

use async_nats::jetstream::stream;

/// An event type: `comptoir.<service>.<aggregate>.<event>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventType {
    /// The producing service (its schema name: `accountant_portal`, not `accountant-portal`).
    pub service: &'static str,
    /// The aggregate, e.g. `company`.
    pub aggregate: &'static str,
    /// What happened, e.g. `created`.
    pub event: &'static str,
}

impl EventType {
    /// The subject without any prefix.
    pub fn subject(&self) -> String {
        format!(
            "comptoir.{}.{}.{}",
            self.service, self.aggregate, self.event
        )
    }
}

/// `comptoir.tenancy.company.created`: a company or firm was registered.
pub const COMPANY_CREATED: EventType = tenancy("company", "created");

const fn tenancy(aggregate: &'static str, event: &'static str) -> EventType {
    EventType {
        service: "tenancy",
        aggregate,
        event,
    }
}

/// `comptoir.tenancy.company.updated`: a company's legal identity changed.
pub const COMPANY_UPDATED: EventType = tenancy("company", "updated");
/// `company.created` and `company.updated`, which the consumers keeping a copy of a
/// company's identity apply alike: CompanyUpdated shares CompanyCreated's field numbers
/// (it lacks only the owner), so decoding either as CompanyCreated reads the identity.
pub const COMPANY_CHANGES: &[EventType] = &[COMPANY_CREATED, COMPANY_UPDATED];
/// `comptoir.tenancy.membership.granted`: someone joined a company.
pub const MEMBERSHIP_GRANTED: EventType = tenancy("membership", "granted");
/// `comptoir.tenancy.membership.changed`: a member's role changed.
pub const MEMBERSHIP_CHANGED: EventType = tenancy("membership", "changed");
/// `comptoir.tenancy.membership.revoked`: a member was removed.
pub const MEMBERSHIP_REVOKED: EventType = tenancy("membership", "revoked");
/// `comptoir.tenancy.ownership.transferred`: a company changed owner.
pub const OWNERSHIP_TRANSFERRED: EventType = tenancy("ownership", "transferred");
/// `comptoir.tenancy.invitation.created`: someone was invited.
pub const INVITATION_CREATED: EventType = tenancy("invitation", "created");
/// `comptoir.tenancy.invitation.accepted`: an invitation was accepted.
pub const INVITATION_ACCEPTED: EventType = tenancy("invitation", "accepted");
/// `comptoir.tenancy.firm_grant.created`: a firm may act on a client (or its role changed).
pub const FIRM_GRANT_CREATED: EventType = tenancy("firm_grant", "created");
/// `comptoir.tenancy.firm_grant.revoked`: a firm lost access to a client.
pub const FIRM_GRANT_REVOKED: EventType = tenancy("firm_grant", "revoked");

const fn identity(aggregate: &'static str, event: &'static str) -> EventType {
    EventType {
        service: "identity",
        aggregate,
        event,
    }
}

/// `comptoir.identity.session.revoked`: a session (or every session of an account) ended
/// before its time; every service refuses its unexpired access tokens.
pub const SESSION_REVOKED: EventType = identity("session", "revoked");
/// `comptoir.identity.user.registered`: SignUp created an account.
pub const USER_REGISTERED: EventType = identity("user", "registered");

const fn portal(aggregate: &'static str, event: &'static str) -> EventType {
    EventType {
        service: "accountant_portal",
        aggregate,
        event,
    }
}

/// `comptoir.accountant_portal.portfolio.client_added`: a client entered a firm's
/// portfolio.
pub const PORTFOLIO_CLIENT_ADDED: EventType = portal("portfolio", "client_added");
/// `comptoir.accountant_portal.portfolio.client_disconnected`: a firm's grant on a client
/// ended through the portal.
pub const PORTFOLIO_CLIENT_DISCONNECTED: EventType = portal("portfolio", "client_disconnected");
/// `comptoir.accountant_portal.portfolio.managers_assigned`: a client's portfolio managers
/// changed.
pub const PORTFOLIO_MANAGERS_ASSIGNED: EventType = portal("portfolio", "managers_assigned");
/// `comptoir.accountant_portal.accounting_settings.changed`: the journals and accounts of a
/// client's exports (or a firm's default) changed.
pub const ACCOUNTING_SETTINGS_CHANGED: EventType = portal("accounting_settings", "changed");

const fn billing(aggregate: &'static str, event: &'static str) -> EventType {
    EventType {
        service: "billing",
        aggregate,
        event,
    }
}

/// `comptoir.billing.invoice.issued`: an invoice was numbered and frozen.
pub const INVOICE_ISSUED: EventType = billing("invoice", "issued");
/// `comptoir.billing.credit_note.issued`: a credit note was issued.
pub const CREDIT_NOTE_ISSUED: EventType = billing("credit_note", "issued");
/// `comptoir.billing.payment.recorded`: money was received or paid.
pub const PAYMENT_RECORDED: EventType = billing("payment", "recorded");
/// `comptoir.billing.purchase_invoice.recorded`: a supplier's invoice was recorded.
pub const PURCHASE_INVOICE_RECORDED: EventType = billing("purchase_invoice", "recorded");
/// `comptoir.billing.quote.accepted`: a customer accepted a quote.
pub const QUOTE_ACCEPTED: EventType = billing("quote", "accepted");
/// `comptoir.billing.customer.changed`: a customer was created, changed or archived.
pub const CUSTOMER_CHANGED: EventType = billing("customer", "changed");
/// `comptoir.billing.lock_date.changed`: a company's lock date moved.
pub const LOCK_DATE_CHANGED: EventType = billing("lock_date", "changed");

/// `comptoir.export.export.completed`: an export job succeeded or failed.
pub const EXPORT_COMPLETED: EventType = EventType {
    service: "export",
    aggregate: "export",
    event: "completed",
};

/// How long JetStream remembers a `Nats-Msg-Id` to drop a duplicate publish.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);

/// Names under one prefix (empty in production unless several installations share NATS).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names {
    prefix: String,
}

impl Names {
    /// Names under `prefix` (ASCII letters, digits and `_`; checked by the config).
    pub fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.to_owned(),
        }
    }

    /// The published subject for an unprefixed one.
    pub fn subject(&self, unprefixed: &str) -> String {
        if self.prefix.is_empty() {
            unprefixed.to_owned()
        } else {
            format!("{}.{unprefixed}", self.prefix)
        }
    }

    /// The unprefixed subject of a published one.
    pub fn strip<'a>(&self, subject: &'a str) -> &'a str {
        if self.prefix.is_empty() {
            subject
        } else {
            subject
                .strip_prefix(&self.prefix)
                .and_then(|s| s.strip_prefix('.'))
                .unwrap_or(subject)
        }
    }

    /// The stream holding every event `service` produces.
    pub fn stream(&self, service: &str) -> String {
        let base = format!("COMPTOIR_{}", service.replace('-', "_").to_uppercase());
        if self.prefix.is_empty() {
            base
        } else {
            format!("{}_{base}", self.prefix)
        }
    }

    /// The durable consumer `name` of `service`.
    pub fn consumer(&self, service: &str, name: &str) -> String {
        let base = format!("{}_{name}", service.replace('-', "_"));
        if self.prefix.is_empty() {
            base
        } else {
            format!("{}_{base}", self.prefix)
        }
    }

    /// The configuration of `service`'s stream. Producer and consumers all ask for this
    /// same configuration, so whichever starts first creates it and the rest find it.
    pub fn stream_config(&self, service: &str) -> stream::Config {
        let service = service.replace('-', "_");
        stream::Config {
            name: self.stream(&service),
            subjects: vec![self.subject(&format!("comptoir.{service}.>"))],
            storage: stream::StorageType::File,
            retention: stream::RetentionPolicy::Limits,
            max_age: Duration::from_secs(14 * 24 * 3600),
            duplicate_window: DUPLICATE_WINDOW,
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_separates_every_name() {
        let names = Names::new("t42");
        assert_eq!(
            names.subject(&COMPANY_CREATED.subject()),
            "t42.comptoir.tenancy.company.created"
        );
        assert_eq!(
            names.strip("t42.comptoir.tenancy.company.created"),
            "comptoir.tenancy.company.created"
        );
        assert_eq!(
            names.stream("accountant-portal"),
            "t42_COMPTOIR_ACCOUNTANT_PORTAL"
        );
        assert_eq!(
            names.consumer("billing", "companies"),
            "t42_billing_companies"
        );
        assert_eq!(
            names.stream_config("tenancy").subjects,
            ["t42.comptoir.tenancy.>"]
        );
    }

    #[test]
    fn no_prefix_leaves_names_plain() {
        let names = Names::default();
        assert_eq!(
            names.subject("comptoir.billing.x.y"),
            "comptoir.billing.x.y"
        );
        assert_eq!(names.stream("tenancy"), "COMPTOIR_TENANCY");
    }
}
