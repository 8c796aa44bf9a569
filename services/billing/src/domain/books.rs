//! A company's books: its numbering series (one per numbered document type, with the
//! prefix a company may choose) and the rule for moving its lock date.

use chrono::NaiveDate;

use super::DocumentType;

/// A numbering series as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Series {
    pub(crate) document_type: DocumentType,
    pub(crate) prefix: String,
    /// The number the next document of the series takes.
    pub(crate) next_number: i64,
    /// Whether numbers carry the year (F-2026-000001) or not (F-000001).
    pub(crate) include_year: bool,
}

/// Whether `prefix` may start a series' numbers: 1 to 10 letters, digits or `-`.
pub(crate) fn valid_prefix(prefix: &str) -> bool {
    (1..=10).contains(&prefix.len())
        && prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Who moves a lock date, as far as the rule cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Mover {
    /// Whether an Administrator of the company.
    pub(crate) administrator: bool,
    /// Whether reaching the company only through an accounting firm's grant.
    pub(crate) through_firm: bool,
}

/// Why a lock date may not move as asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LockDateRefusal {
    /// Backwards (or cleared) by someone other than an Administrator.
    NotAdministrator,
    /// Backwards (or cleared) through an accounting firm's grant: a firm locks its
    /// client's periods, and only the company itself unlocks them.
    ThroughFirm,
    /// Backwards (or cleared) without a reason.
    NoReason,
}

/// Whether moving the lock date from `previous` to `next` goes backwards: an earlier
/// date, or clearing one.
pub(crate) fn moves_backwards(previous: Option<NaiveDate>, next: Option<NaiveDate>) -> bool {
    match (previous, next) {
        (Some(before), Some(after)) => after < before,
        (Some(_), None) => true,
        (None, _) => false,
    }
}

/// The lock date moves forward for whoever may lock periods; it moves backwards (or is
/// cleared) only for an Administrator of the company itself, with a reason. A firm's
/// grant may make its member an Administrator of the client; the owner and the
/// company's own Administrators hold a membership, which wins over a grant.
pub(crate) fn check_lock_date_move(
    previous: Option<NaiveDate>,
    next: Option<NaiveDate>,
    mover: Mover,
    reason: &str,
) -> Result<(), LockDateRefusal> {
    if !moves_backwards(previous, next) {
        return Ok(());
    }
    if !mover.administrator {
        return Err(LockDateRefusal::NotAdministrator);
    }
    if mover.through_firm {
        return Err(LockDateRefusal::ThroughFirm);
    }
    if reason.is_empty() {
        return Err(LockDateRefusal::NoReason);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(2026, 3, d)
    }

    const ADMIN: Mover = Mover {
        administrator: true,
        through_firm: false,
    };
    const ACCOUNTANT: Mover = Mover {
        administrator: false,
        through_firm: false,
    };
    const FIRM_ADMIN: Mover = Mover {
        administrator: true,
        through_firm: true,
    };

    #[test]
    fn a_prefix_is_1_to_10_letters_digits_or_dashes() {
        assert!(valid_prefix("F"));
        assert!(valid_prefix("FA-2026"));
        assert!(!valid_prefix(""));
        assert!(!valid_prefix("ABCDEFGHIJK"));
        assert!(!valid_prefix("F_1"));
        assert!(!valid_prefix("FÉ"));
    }

    #[test]
    fn an_earlier_date_or_clearing_moves_backwards_and_a_first_date_never_does() {
        assert!(moves_backwards(day(10), day(9)));
        assert!(moves_backwards(day(10), None));
        assert!(!moves_backwards(day(10), day(10)));
        assert!(!moves_backwards(day(10), day(11)));
        assert!(!moves_backwards(None, day(1)));
        assert!(!moves_backwards(None, None));
    }

    #[test]
    fn anyone_moves_the_lock_date_forwards_without_a_reason() {
        for mover in [ADMIN, ACCOUNTANT, FIRM_ADMIN] {
            assert_eq!(check_lock_date_move(day(1), day(2), mover, ""), Ok(()));
        }
    }

    #[test]
    fn only_the_company_s_own_administrator_moves_it_backwards_and_with_a_reason() {
        assert_eq!(
            check_lock_date_move(day(2), day(1), ACCOUNTANT, "typo"),
            Err(LockDateRefusal::NotAdministrator)
        );
        assert_eq!(
            check_lock_date_move(day(2), None, FIRM_ADMIN, "typo"),
            Err(LockDateRefusal::ThroughFirm)
        );
        assert_eq!(
            check_lock_date_move(day(2), day(1), ADMIN, ""),
            Err(LockDateRefusal::NoReason)
        );
        assert_eq!(check_lock_date_move(day(2), None, ADMIN, "typo"), Ok(()));
    }
}
