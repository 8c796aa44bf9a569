//! The selection a bulk action works on: the clients named, each once, in the order first
//! named, a malformed id kept as such (it gets its own refusal, not the whole call's),
//! and the most a selection may hold.

use uuid::Uuid;

/// The most clients one bulk action may name (after duplicates are dropped): each costs
/// calls to other services, and a bigger selection is better sent in several requests.
pub(crate) const MAX_SELECTION: usize = 500;

/// One entry of a selection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Selected {
    /// A client id.
    Client(Uuid),
    /// Text that is not a UUID, as sent, with its index in the request.
    Malformed { id: String, index: usize },
}

/// Why a selection is refused as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SelectionError {
    /// It names no client.
    #[error("select at least one client")]
    Empty,
    /// It names more distinct clients than [`MAX_SELECTION`].
    #[error("select at most {MAX_SELECTION} clients, not {0}")]
    TooLarge(usize),
}

/// The distinct entries of `ids`, in the order each first appears. Two spellings of one
/// UUID (upper and lower case) are one client; malformed text is compared as sent.
pub(crate) fn selection(ids: &[String]) -> Result<Vec<Selected>, SelectionError> {
    let mut selected: Vec<Selected> = Vec::with_capacity(ids.len().min(MAX_SELECTION));
    let mut seen = std::collections::HashSet::new();
    for (index, id) in ids.iter().enumerate() {
        let entry = match Uuid::parse_str(id.trim()) {
            Ok(client) => Selected::Client(client),
            Err(_) => Selected::Malformed {
                id: id.clone(),
                index,
            },
        };
        let key = match &entry {
            Selected::Client(client) => client.to_string(),
            Selected::Malformed { id, .. } => format!("malformed:{id}"),
        };
        if seen.insert(key) {
            selected.push(entry);
        }
    }
    match selected.len() {
        0 => Err(SelectionError::Empty),
        n if n > MAX_SELECTION => Err(SelectionError::TooLarge(n)),
        _ => Ok(selected),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_selection_keeps_each_client_once_in_the_order_first_named() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let ids = [
            b.to_string(),
            "nope".to_owned(),
            a.to_string(),
            b.to_string().to_uppercase(),
            "nope".to_owned(),
        ]
        .map(String::from);
        assert_eq!(
            selection(&ids).unwrap(),
            [
                Selected::Client(b),
                Selected::Malformed {
                    id: "nope".to_owned(),
                    index: 1
                },
                Selected::Client(a),
            ]
        );
    }

    #[test]
    fn an_empty_or_oversized_selection_is_refused_as_a_whole() {
        assert_eq!(selection(&[]), Err(SelectionError::Empty));
        let many: Vec<String> = (0..=MAX_SELECTION)
            .map(|_| Uuid::now_v7().to_string())
            .collect();
        assert_eq!(
            selection(&many),
            Err(SelectionError::TooLarge(MAX_SELECTION + 1))
        );
        // Duplicates do not count against the cap.
        let mut repeated = many[..MAX_SELECTION].to_vec();
        repeated.extend_from_slice(&many[..10]);
        assert_eq!(selection(&repeated).unwrap().len(), MAX_SELECTION);
    }
}
