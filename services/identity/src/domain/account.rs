//! An account's own facts: the e-mail that keys it and the name it shows.

/// An e-mail address, trimmed and lower-cased: the account's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Parses an address: one `@`, a non-empty local part, a dotted domain, at most 254
    /// characters, no spaces.
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        let email = input.trim().to_lowercase();
        if email.is_empty() {
            return Err("is required");
        }
        if email.len() > 254 || email.chars().any(char::is_whitespace) {
            return Err("is not a valid e-mail address");
        }
        match email.split_once('@') {
            Some((local, domain))
                if !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@') =>
            {
                Ok(Self(email))
            }
            _ => Err("is not a valid e-mail address"),
        }
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks a display name: trimmed, 1 to 200 characters.
pub fn check_name(name: &str) -> Result<String, &'static str> {
    let name = name.trim();
    match name.chars().count() {
        0 => Err("is required"),
        1..=200 => Ok(name.to_owned()),
        _ => Err("must be at most 200 characters"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(
            Email::parse("  Jeanne.Dupont@Example.FR ")
                .unwrap()
                .as_str(),
            "jeanne.dupont@example.fr"
        );
    }

    #[test]
    fn malformed_emails_are_refused() {
        for bad in [
            "",
            "jeanne",
            "@example.fr",
            "jeanne@fr",
            "jeanne@.fr",
            "a b@example.fr",
            "a@b@example.fr",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }
}
