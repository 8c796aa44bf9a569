//! Session rules: when a presented refresh token may be traded, what a refreshed token is
//! scoped to, and when a password reset link may be used or sent.

use uuid::Uuid;

use super::claims::Rights;
use super::tokens::MAX_RESETS_PER_WINDOW;

/// Why a presented refresh token is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefreshRefusal {
    /// Unknown, expired, or its session has ended.
    Invalid,
    /// Already traded once: whoever presents it may have stolen it, so the session ends.
    Reused,
}

/// Whether a stored refresh token may be traded: an ended session or an expired token is
/// merely invalid, checked before the reuse, so an old token never ends a session twice.
pub(crate) fn check_refresh(
    used: bool,
    expired: bool,
    revoked: bool,
) -> Result<(), RefreshRefusal> {
    if revoked || expired {
        Err(RefreshRefusal::Invalid)
    } else if used {
        Err(RefreshRefusal::Reused)
    } else {
        Ok(())
    }
}

/// What a refreshed access token is scoped to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RefreshedScope {
    /// No company: the session acts on none, or switched to another one while the
    /// refresh asked tenancy about the former.
    Unscoped,
    /// The session's company, with the rights tenancy just gave.
    Company(Rights),
    /// The user may no longer act on the session's company: the session drops it and the
    /// token is unscoped.
    DropCompany,
}

/// The scope of a refreshed token. `checked` is the company the session acted on before
/// the token was traded and tenancy's answer about it (None: no company);
/// `active_company` the session's company when the token was traded. The session keeps
/// its company while the user may still act on it; a switch committed between the check
/// and the trade leaves this one token unscoped, and the next refresh asks about the new
/// company.
pub(crate) fn refreshed_scope(
    checked: Option<(Uuid, Option<Rights>)>,
    active_company: Option<Uuid>,
) -> RefreshedScope {
    match checked {
        Some((company, rights)) if active_company == Some(company) => match rights {
            Some(rights) => RefreshedScope::Company(rights),
            None => RefreshedScope::DropCompany,
        },
        _ => RefreshedScope::Unscoped,
    }
}

/// Why a password reset token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResetTokenProblem {
    /// No such token (never issued, or mistyped).
    Unknown,
    /// Already used once.
    Used,
    /// Older than an hour.
    Expired,
}

impl ResetTokenProblem {
    /// The `ErrorInfo` reason.
    pub(crate) fn reason(self) -> &'static str {
        match self {
            ResetTokenProblem::Unknown => "RESET_TOKEN_UNKNOWN",
            ResetTokenProblem::Used => "RESET_TOKEN_USED",
            ResetTokenProblem::Expired => "RESET_TOKEN_EXPIRED",
        }
    }

    /// What the person is told.
    pub(crate) fn message(self) -> &'static str {
        match self {
            ResetTokenProblem::Unknown => "this password reset link is not valid",
            ResetTokenProblem::Used => "this password reset link was already used",
            ResetTokenProblem::Expired => "this password reset link has expired; ask for a new one",
        }
    }
}

/// Whether a stored reset token may be used: a used one says so even once expired.
pub(crate) fn check_reset(used: bool, expired: bool) -> Result<(), ResetTokenProblem> {
    if used {
        Err(ResetTokenProblem::Used)
    } else if expired {
        Err(ResetTokenProblem::Expired)
    } else {
        Ok(())
    }
}

/// Whether another reset mail may go out after `recent` within the window.
pub(crate) fn may_send_reset(recent: i64) -> bool {
    recent < MAX_RESETS_PER_WINDOW
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rights(company_id: Uuid) -> Rights {
        Rights {
            company_id,
            role: "Accountant".to_owned(),
            permissions: vec!["invoices.read".to_owned()],
            through_firm: false,
        }
    }

    #[test]
    fn a_refresh_token_is_invalid_once_expired_or_revoked_and_reused_only_when_otherwise_good() {
        assert_eq!(check_refresh(false, false, false), Ok(()));
        assert_eq!(
            check_refresh(true, false, false),
            Err(RefreshRefusal::Reused)
        );
        assert_eq!(
            check_refresh(true, true, false),
            Err(RefreshRefusal::Invalid)
        );
        assert_eq!(
            check_refresh(true, false, true),
            Err(RefreshRefusal::Invalid)
        );
        assert_eq!(
            check_refresh(false, true, false),
            Err(RefreshRefusal::Invalid)
        );
        assert_eq!(
            check_refresh(false, false, true),
            Err(RefreshRefusal::Invalid)
        );
    }

    #[test]
    fn a_refreshed_token_keeps_the_company_while_allowed_and_drops_it_when_not() {
        let company = Uuid::now_v7();
        let other = Uuid::now_v7();
        assert_eq!(
            refreshed_scope(Some((company, Some(rights(company)))), Some(company)),
            RefreshedScope::Company(rights(company))
        );
        assert_eq!(
            refreshed_scope(Some((company, None)), Some(company)),
            RefreshedScope::DropCompany
        );
        assert_eq!(
            refreshed_scope(Some((company, Some(rights(company)))), Some(other)),
            RefreshedScope::Unscoped,
            "a switch in between leaves this token unscoped"
        );
        assert_eq!(
            refreshed_scope(Some((company, None)), Some(other)),
            RefreshedScope::Unscoped,
            "a switch in between is not undone by tenancy's no about the former company"
        );
        assert_eq!(refreshed_scope(None, None), RefreshedScope::Unscoped);
        assert_eq!(
            refreshed_scope(None, Some(company)),
            RefreshedScope::Unscoped
        );
    }

    #[test]
    fn a_reset_token_is_refused_used_before_expired() {
        assert_eq!(check_reset(false, false), Ok(()));
        assert_eq!(check_reset(true, true), Err(ResetTokenProblem::Used));
        assert_eq!(check_reset(false, true), Err(ResetTokenProblem::Expired));
    }

    #[test]
    fn three_reset_mails_go_out_per_window_and_no_more() {
        assert!(may_send_reset(0));
        assert!(may_send_reset(2));
        assert!(!may_send_reset(3));
    }
}
