//! Rules of membership, free of I/O: role keys, invited addresses and the plan's limit.

/// Members the PRO plan allows: the Administrator plus 4 collaborators. Pending
/// invitations count, so the limit cannot be overrun by inviting first.
pub(crate) const PLAN_MEMBER_LIMIT: i64 = 5;

/// Checks a custom role key: 2 to 40 lower-case ASCII letters, digits or `_`, starting
/// with a letter.
pub(crate) fn role_key(key: &str) -> Result<(), &'static str> {
    let ok = (2..=40).contains(&key.len())
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err("must be 2 to 40 lower-case letters, digits or `_`, starting with a letter")
    }
}

/// An invited address, trimmed and lower-cased the way identity keys accounts.
pub(crate) fn normalise_email(input: &str) -> Result<String, &'static str> {
    let email = input.trim().to_lowercase();
    let valid = email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
        });
    if valid {
        Ok(email)
    } else {
        Err("is not a valid e-mail address")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_keys_are_plain_identifiers() {
        assert!(role_key("cashier_2").is_ok());
        for bad in ["", "x", "2nd", "Cashier", "café", &"a".repeat(41)] {
            assert!(role_key(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn invited_addresses_are_normalised() {
        assert_eq!(
            normalise_email("  Paul@Example.FR ").unwrap(),
            "paul@example.fr"
        );
        assert!(normalise_email("paul@fr").is_err());
    }
}
