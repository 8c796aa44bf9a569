//! Billing's rules, free of I/O. So far: the document types and the series every company
//! starts with.

/// A kind of numbered document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentType {
    /// Sales invoice.
    Invoice,
    /// Credit note (avoir).
    CreditNote,
    /// Quote (devis).
    Quote,
}

impl DocumentType {
    /// Every type, in listing order.
    pub const ALL: [DocumentType; 3] = [
        DocumentType::Invoice,
        DocumentType::CreditNote,
        DocumentType::Quote,
    ];

    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentType::Invoice => "invoice",
            DocumentType::CreditNote => "credit_note",
            DocumentType::Quote => "quote",
        }
    }

    /// Reads the stored form.
    pub fn from_stored(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == value)
    }

    /// The prefix a new company's series starts with: F-2026-000001, AV-…, D-….
    pub fn default_prefix(self) -> &'static str {
        match self {
            DocumentType::Invoice => "F",
            DocumentType::CreditNote => "AV",
            DocumentType::Quote => "D",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_forms_round_trip_and_prefixes_differ() {
        for t in DocumentType::ALL {
            assert_eq!(DocumentType::from_stored(t.as_str()), Some(t));
        }
        let prefixes: std::collections::HashSet<_> = DocumentType::ALL
            .iter()
            .map(|t| t.default_prefix())
            .collect();
        assert_eq!(prefixes.len(), 3);
        assert_eq!(DocumentType::from_stored("receipt"), None);
    }
}
