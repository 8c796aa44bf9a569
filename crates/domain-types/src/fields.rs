//! Reading a caller's fields without any plumbing: a parse records each bad field and
//! why in [`Violations`] (field names relative to the value parsed, e.g. `address.city`)
//! and goes on, so a service answers every fault at once under its own path.

/// The violations a parse records: the field (relative to the value parsed) and why.
pub type Violations = Vec<(String, String)>;

/// Records `field` with `reason`.
pub fn add(violations: &mut Violations, field: &str, reason: impl Into<String>) {
    violations.push((field.to_owned(), reason.into()));
}

/// `value` trimmed, recording a violation when it is longer than `max` characters (or
/// empty while `required`).
pub fn text(
    violations: &mut Violations,
    field: &str,
    value: &str,
    max: usize,
    required: bool,
) -> String {
    let value = value.trim();
    if value.chars().count() > max {
        add(
            violations,
            field,
            format!("must be at most {max} characters"),
        );
    }
    if required && value.is_empty() {
        add(violations, field, "is required");
    }
    value.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_is_trimmed_and_its_length_and_presence_checked() {
        let mut violations = Violations::new();
        assert_eq!(
            text(&mut violations, "name", "  Dupont ", 6, true),
            "Dupont"
        );
        assert!(violations.is_empty());
        text(&mut violations, "name", "Dupont SA", 6, false);
        text(&mut violations, "unit", " ", 6, false);
        text(&mut violations, "label", " ", 6, true);
        assert_eq!(
            violations,
            [
                ("name".to_owned(), "must be at most 6 characters".to_owned()),
                ("label".to_owned(), "is required".to_owned()),
            ]
        );
    }
}
