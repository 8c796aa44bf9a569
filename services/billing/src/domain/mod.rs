//! Billing's rules, free of I/O: the kinds of things billing stores (in their stored
//! forms), the series every company starts with (and the prefixes and lock date moves
//! [`books`] allows), a document's amounts and mentions
//! ([`document`]), which VAT rates a sale may use ([`vat`]), the date a document is
//! issued with ([`issuing`]), what a credit note may take back ([`credit`]), what an item
//! ([`item`]) and a customer or supplier ([`party`]) must give.
//! Which quotes a customer may still answer is [`quote`]'s; what a supplier's e-invoice
//! says, and whether it adds up, is [`einvoice`]'s.

pub(crate) mod books;
pub mod credit;
pub mod document;
pub(crate) mod einvoice;
pub mod issuing;
pub(crate) mod item;
pub(crate) mod party;
pub(crate) mod payment;
pub mod quote;
pub mod vat;

/// Who created and last changed a stored object, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Authorship {
    pub(crate) created_by: String,
    pub(crate) created_at: chrono::DateTime<chrono::Utc>,
    pub(crate) updated_by: String,
    pub(crate) updated_at: chrono::DateTime<chrono::Utc>,
}

/// An enum stored as text: `as_str` gives the stored form, `from_stored` reads it back.
macro_rules! stored {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// The stored form.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// Reads the stored form.
            pub fn from_stored(value: &str) -> Option<Self> {
                match value {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

stored!(
    /// Where a stored document is in its life (payments are derived, not stored).
    Status {
        /// Editable, no number.
        Draft = "draft",
        /// A quote sent (numbered).
        Sent = "sent",
        /// A quote accepted.
        Accepted = "accepted",
        /// A quote refused.
        Refused = "refused",
        /// An issued invoice or credit note, a recorded purchase invoice.
        Issued = "issued",
    }
);

stored!(
    /// Customer or supplier.
    PartyRole {
        /// Invoiced by the company.
        Customer = "customer",
        /// Invoices the company.
        Supplier = "supplier",
    }
);

stored!(
    /// Business or private person.
    PartyKind {
        /// A business.
        Professional = "professional",
        /// A private person.
        Private = "private",
    }
);

stored!(
    /// Goods or services.
    ItemKind {
        /// Goods.
        Goods = "goods",
        /// Services.
        Services = "services",
    }
);

stored!(
    /// Money in or out.
    Direction {
        /// From a customer.
        Received = "received",
        /// To a supplier.
        Paid = "paid",
    }
);

stored!(
    /// How a payment was made.
    Method {
        /// Bank transfer.
        Transfer = "transfer",
        /// Card.
        Card = "card",
        /// Cheque.
        Cheque = "cheque",
        /// Cash.
        Cash = "cash",
        /// Direct debit.
        DirectDebit = "direct_debit",
        /// Anything else.
        Other = "other",
    }
);

stored!(
    /// A kind of document.
    DocumentType {
        /// Sales invoice.
        Invoice = "invoice",
        /// Credit note (avoir).
        CreditNote = "credit_note",
        /// Quote (devis).
        Quote = "quote",
        /// An invoice received from a supplier (numbered by the supplier).
        PurchaseInvoice = "purchase_invoice",
    }
);

impl DocumentType {
    /// The types the company numbers itself, one series each, in listing order.
    pub const NUMBERED: [DocumentType; 3] = [
        DocumentType::Invoice,
        DocumentType::CreditNote,
        DocumentType::Quote,
    ];

    /// The prefix a new company's series starts with: F-2026-000001, AV-…, D-….
    pub fn default_prefix(self) -> &'static str {
        match self {
            DocumentType::Invoice => "F",
            DocumentType::CreditNote => "AV",
            DocumentType::Quote => "D",
            DocumentType::PurchaseInvoice => "",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_forms_round_trip_and_prefixes_differ() {
        for t in DocumentType::NUMBERED {
            assert_eq!(DocumentType::from_stored(t.as_str()), Some(t));
        }
        let prefixes: std::collections::HashSet<_> = DocumentType::NUMBERED
            .iter()
            .map(|t| t.default_prefix())
            .collect();
        assert_eq!(prefixes.len(), 3);
        assert_eq!(DocumentType::from_stored("receipt"), None);
    }
}
