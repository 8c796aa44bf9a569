//! A firm's clients as the list shows them: their status, the search key of their names
//! and codes, the order and filters of a listing, and how billing's documents count in a
//! client's turnover.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use unicode_normalization::UnicodeNormalization;
use uuid::Uuid;

/// Whether the firm still keeps a client's books.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClientStatus {
    /// The firm holds a grant on the client.
    Connected,
    /// The grant ended.
    Disconnected,
}

impl ClientStatus {
    /// The status of a client on which the firm holds a grant, or held one.
    pub(crate) fn of_grant(granted: bool) -> Self {
        if granted {
            ClientStatus::Connected
        } else {
            ClientStatus::Disconnected
        }
    }

    /// Whether the firm holds a grant in this status.
    pub(crate) fn granted(self) -> bool {
        self == ClientStatus::Connected
    }
}

/// The columns a client list may be ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClientOrder {
    /// Raison sociale (its search key: case and accents ignored).
    LegalName,
    /// Code dossier.
    FileCode,
    /// SIREN.
    Siren,
    /// When the company was created.
    CreateTime,
    /// Lock date, clients without one first.
    LockDate,
    /// Number of users.
    UserCount,
    /// Connected first.
    Status,
    /// Date of the last invoice, clients without one first.
    LastInvoiceDate,
    /// Turnover of the current year.
    Turnover,
}

/// Which clients a listing shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ClientFilter {
    /// Only clients assigned to this firm member.
    pub(crate) manager: Option<Uuid>,
    /// Only clients in this status.
    pub(crate) status: Option<ClientStatus>,
    /// Only clients whose name, code dossier or SIREN contains this search key (see
    /// [`search_key`]); None for all.
    pub(crate) text: Option<String>,
}

/// A listing: its filter and its order. The pages of one listing must keep it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Listing {
    /// Which clients.
    pub(crate) filter: ClientFilter,
    /// By which column.
    pub(crate) order: ClientOrder,
    /// Descending order.
    pub(crate) descending: bool,
}

impl Listing {
    /// A text naming the listing exactly (filter and order), which a page token carries
    /// so that a token is never read for another listing. Every part is written with its
    /// length or in a fixed form, so two listings never give the same text.
    pub(crate) fn signature(&self) -> String {
        let filter = &self.filter;
        let text = filter.text.as_deref().unwrap_or("");
        format!(
            "{:?}/{}/{}/{:?}/{}:{text}",
            self.order,
            self.descending,
            filter.manager.map(|m| m.to_string()).unwrap_or_default(),
            filter.status,
            text.len(),
        )
    }
}

/// The key a name or a code is searched by: lower case, accents and other combining marks
/// removed, runs of white space made one space, trimmed. "  Société  Générale " and
/// "societe generale" have the same key. The stored search columns and the searched text
/// both go through it, so the database compares keys only.
pub(crate) fn search_key(text: &str) -> String {
    let folded: String = text
        .nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Which of the firm's clients a member reaches in the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reach {
    /// Every client of the firm, connected or not: a firm Administrator.
    AllClients,
    /// Only the clients this member is assigned to (portfolio manager, collaborator).
    AssignedTo(Uuid),
}

impl Reach {
    /// What a member of the firm reaches: a firm Administrator (who manages the firm's
    /// members) every client, anyone else their assigned clients.
    pub(crate) fn of(administrator: bool, member: Uuid) -> Self {
        if administrator {
            Reach::AllClients
        } else {
            Reach::AssignedTo(member)
        }
    }
}

/// The kinds of billing documents that count in a client's turnover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TurnoverDocument {
    /// An issued invoice adds its net total.
    Invoice,
    /// An issued credit note takes its net total away.
    CreditNote,
}

/// What one issued document changes in a client's turnover: the calendar year of its
/// issue date and the signed amount (the net total excluding VAT, negative for a credit
/// note whatever the sign billing writes it with).
pub(crate) fn turnover_change(
    kind: TurnoverDocument,
    issue_date: NaiveDate,
    net_total: Decimal,
) -> (i32, Decimal) {
    let amount = net_total.abs();
    let signed = match kind {
        TurnoverDocument::Invoice => amount,
        TurnoverDocument::CreditNote => -amount,
    };
    (issue_date.year(), signed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_grant_is_connected_and_an_ended_one_disconnected() {
        assert_eq!(ClientStatus::of_grant(true), ClientStatus::Connected);
        assert_eq!(ClientStatus::of_grant(false), ClientStatus::Disconnected);
        assert!(ClientStatus::Connected.granted());
    }

    #[test]
    fn an_administrator_reaches_every_client_and_anyone_else_their_own() {
        let member = Uuid::now_v7();
        assert_eq!(Reach::of(true, member), Reach::AllClients);
        assert_eq!(Reach::of(false, member), Reach::AssignedTo(member));
    }

    #[test]
    fn search_keys_ignore_case_accents_and_spacing() {
        assert_eq!(search_key("  Société   GÉNÉRALE "), "societe generale");
        assert_eq!(
            search_key("Boulangerie Lefèvre & Fils"),
            "boulangerie lefevre & fils"
        );
        assert_eq!(search_key("ÇA ŒUVRE"), "ca œuvre");
        assert_eq!(search_key("DOS-001"), "dos-001");
        assert_eq!(search_key(""), "");
    }

    #[test]
    fn two_listings_that_differ_sign_differently() {
        let base = Listing {
            filter: ClientFilter::default(),
            order: ClientOrder::LegalName,
            descending: false,
        };
        let mut other_text = base.clone();
        other_text.filter.text = Some("a".to_owned());
        let mut other_order = base.clone();
        other_order.descending = true;
        let mut other_status = base.clone();
        other_status.filter.status = Some(ClientStatus::Connected);
        let signatures = [&base, &other_text, &other_order, &other_status].map(Listing::signature);
        for (i, a) in signatures.iter().enumerate() {
            for b in &signatures[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert_eq!(base.signature(), base.clone().signature());
    }

    #[test]
    fn a_credit_note_takes_away_what_an_invoice_adds_in_its_year() {
        let date = NaiveDate::from_ymd_opt(2026, 3, 14).unwrap();
        let amount = Decimal::new(12_050, 2);
        assert_eq!(
            turnover_change(TurnoverDocument::Invoice, date, amount),
            (2026, amount)
        );
        assert_eq!(
            turnover_change(TurnoverDocument::CreditNote, date, amount),
            (2026, -amount)
        );
        assert_eq!(
            turnover_change(TurnoverDocument::CreditNote, date, -amount),
            (2026, -amount)
        );
    }
}
