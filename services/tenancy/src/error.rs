//! Tenancy's errors and their one mapping to gRPC statuses.

use comptoir_runtime::caller::AuthError;
use comptoir_runtime::error::{self, FieldViolations};
use comptoir_runtime::idempotency::IdempotencyError;
use tonic::{Code, Status};

use crate::domain::Refusal;
use crate::domain::members::InvitationState;

const DOMAIN: &str = "tenancy";

/// Everything a tenancy call can fail with.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    /// The request has bad fields.
    #[error("invalid request")]
    InvalidArgument(FieldViolations),
    /// The caller's token was refused, or does not allow the call.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// Another company is registered with this SIRET (the same SIREN with another NIC is
    /// another establishment, and allowed).
    #[error("a company with SIRET {0} already exists")]
    SiretTaken(String),
    /// No such company, or the caller is not a member.
    #[error("company {0} not found")]
    CompanyNotFound(String),
    /// The call acts for a person and got a service token.
    #[error("this call needs a user's token")]
    UserRequired,
    /// The token has no active company: switch to one first.
    #[error("no active company: switch to a company first")]
    NoActiveCompany,
    /// The user may not act on the company (or it does not exist).
    #[error("no access to this company")]
    NoAccess,
    /// A custom role with this key exists.
    #[error("a role `{0}` already exists")]
    RoleExists(String),
    /// No custom role with this key.
    #[error("no custom role `{0}`")]
    RoleNotFound(String),
    /// A member or a pending invitation holds the role.
    #[error("role `{0}` is held by a member or a pending invitation")]
    RoleInUse(String),
    /// The user already belongs to the company.
    #[error("already a member of this company")]
    AlreadyMember,
    /// No such member.
    #[error("no such member")]
    MemberNotFound,
    /// A pending invitation for this address exists.
    #[error("{0} already has a pending invitation")]
    InvitationPending(String),
    /// No such invitation (or token).
    #[error("no such invitation")]
    InvitationNotFound,
    /// The plan's member limit is reached.
    #[error("the PRO plan allows {} members (the Administrator and {} collaborators), pending invitations included", .0, .0 - 1)]
    PlanLimit(i64),
    /// The invitation e-mail could not be sent; nothing was kept.
    #[error("the invitation e-mail could not be sent: {0}")]
    Mail(String),
    /// The owner must stay an Administrator until ownership is transferred.
    #[error("the owner stays Administrator: transfer ownership first")]
    OwnerMustStayAdministrator,
    /// The owner cannot be removed.
    #[error("the owner cannot be removed: transfer ownership first")]
    OwnerCannotBeRemoved,
    /// The company would have no Administrator left.
    #[error("the last Administrator cannot be removed or demoted")]
    LastAdministrator,
    /// Only the owner may transfer ownership.
    #[error("only the owner may transfer ownership")]
    OwnerOnly,
    /// Ownership goes to an Administrator only.
    #[error("the new owner must be an Administrator of the company")]
    NewOwnerMustBeAdministrator,
    /// The invitation names another address than the caller's account, and is no open
    /// link.
    #[error("this invitation is for {0}: sign in with that address's account to accept it")]
    InvitationEmailMismatch(String),
    /// The caller's account is not known to tenancy yet (identity's user.registered is on
    /// its way).
    #[error("your account is not known here yet: retry in a moment")]
    AccountUnknown,
    /// No such accounting firm.
    #[error("firm {0} not found")]
    FirmNotFound(String),
    /// The company named as a firm is not one.
    #[error("{0} is not an accounting firm")]
    NotAFirm(String),
    /// No such firm grant.
    #[error("no such firm grant")]
    GrantNotFound,
    /// An idempotency key reused for another request, or too long.
    #[error(transparent)]
    Idempotency(#[from] IdempotencyError),
    /// A rule of the domain refuses.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// Database fault.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

impl From<Error> for Status {
    fn from(err: Error) -> Self {
        match err {
            Error::InvalidArgument(violations) => violations.into_status(),
            Error::Auth(refusal) => refusal.into(),
            Error::SiretTaken(_) => {
                error::status(Code::AlreadyExists, "SIRET_TAKEN", DOMAIN, err.to_string())
            }
            Error::CompanyNotFound(_) => {
                error::status(Code::NotFound, "COMPANY_NOT_FOUND", DOMAIN, err.to_string())
            }
            Error::UserRequired => error::status(
                Code::PermissionDenied,
                "USER_TOKEN_REQUIRED",
                DOMAIN,
                err.to_string(),
            ),
            Error::NoActiveCompany => error::status(
                Code::FailedPrecondition,
                "NO_ACTIVE_COMPANY",
                DOMAIN,
                err.to_string(),
            ),
            Error::Refused(Refusal::PermissionDenied(_)) => error::status(
                Code::PermissionDenied,
                "PERMISSION_DENIED",
                DOMAIN,
                err.to_string(),
            ),
            Error::NoAccess => {
                error::status(Code::PermissionDenied, "NO_ACCESS", DOMAIN, err.to_string())
            }
            Error::RoleExists(_) => {
                error::status(Code::AlreadyExists, "ROLE_EXISTS", DOMAIN, err.to_string())
            }
            Error::RoleNotFound(_) => {
                error::status(Code::NotFound, "ROLE_NOT_FOUND", DOMAIN, err.to_string())
            }
            Error::Refused(Refusal::BuiltInRole(_)) => error::status(
                Code::FailedPrecondition,
                "BUILT_IN_ROLE",
                DOMAIN,
                err.to_string(),
            ),
            Error::RoleInUse(_) => error::status(
                Code::FailedPrecondition,
                "ROLE_IN_USE",
                DOMAIN,
                err.to_string(),
            ),
            Error::AlreadyMember => error::status(
                Code::FailedPrecondition,
                "ALREADY_MEMBER",
                DOMAIN,
                err.to_string(),
            ),
            Error::MemberNotFound => {
                error::status(Code::NotFound, "MEMBER_NOT_FOUND", DOMAIN, err.to_string())
            }
            Error::InvitationPending(_) => error::status(
                Code::AlreadyExists,
                "INVITATION_PENDING",
                DOMAIN,
                err.to_string(),
            ),
            Error::InvitationNotFound => error::status(
                Code::NotFound,
                "INVITATION_NOT_FOUND",
                DOMAIN,
                err.to_string(),
            ),
            Error::Refused(Refusal::InvitationClosed(state)) => {
                let reason = match state {
                    InvitationState::Accepted => "INVITATION_USED",
                    InvitationState::Revoked => "INVITATION_REVOKED",
                    InvitationState::Expired => "INVITATION_EXPIRED",
                    InvitationState::Pending => "INVITATION_CLOSED",
                };
                error::status(Code::FailedPrecondition, reason, DOMAIN, err.to_string())
            }
            Error::PlanLimit(_) => error::status(
                Code::FailedPrecondition,
                "PLAN_MEMBER_LIMIT",
                DOMAIN,
                err.to_string(),
            ),
            Error::Mail(_) => error::status(
                Code::Unavailable,
                "MAIL_UNAVAILABLE",
                DOMAIN,
                err.to_string(),
            ),
            Error::OwnerMustStayAdministrator => error::status(
                Code::FailedPrecondition,
                "OWNER_STAYS_ADMINISTRATOR",
                DOMAIN,
                err.to_string(),
            ),
            Error::OwnerCannotBeRemoved => error::status(
                Code::FailedPrecondition,
                "OWNER_CANNOT_BE_REMOVED",
                DOMAIN,
                err.to_string(),
            ),
            Error::LastAdministrator => error::status(
                Code::FailedPrecondition,
                "LAST_ADMINISTRATOR",
                DOMAIN,
                err.to_string(),
            ),
            Error::OwnerOnly => error::status(
                Code::PermissionDenied,
                "OWNER_ONLY",
                DOMAIN,
                err.to_string(),
            ),
            Error::NewOwnerMustBeAdministrator => error::status(
                Code::FailedPrecondition,
                "NEW_OWNER_NOT_ADMINISTRATOR",
                DOMAIN,
                err.to_string(),
            ),
            Error::Refused(Refusal::AdministratorGrantReserved) => error::status(
                Code::PermissionDenied,
                "ADMINISTRATOR_GRANT_RESERVED",
                DOMAIN,
                err.to_string(),
            ),
            Error::Refused(Refusal::PermissionNotHeld(_)) => error::status(
                Code::PermissionDenied,
                "PERMISSION_NOT_HELD",
                DOMAIN,
                err.to_string(),
            ),
            Error::Refused(Refusal::OwnRoleUnchangeable) => error::status(
                Code::PermissionDenied,
                "OWN_ROLE_UNCHANGEABLE",
                DOMAIN,
                err.to_string(),
            ),
            Error::Refused(Refusal::FirmNotOwner) => error::status(
                Code::FailedPrecondition,
                "FIRM_NOT_OWNER",
                DOMAIN,
                err.to_string(),
            ),
            Error::Refused(Refusal::NotAClientAdministrator) => error::status(
                Code::FailedPrecondition,
                "NOT_A_CLIENT_ADMINISTRATOR",
                DOMAIN,
                err.to_string(),
            ),
            Error::InvitationEmailMismatch(_) => {
                let mut violations = FieldViolations::new();
                violations.add("token", err.to_string());
                violations.into_precondition("INVITATION_EMAIL_MISMATCH", DOMAIN, &err.to_string())
            }
            Error::AccountUnknown => error::status(
                Code::Unavailable,
                "ACCOUNT_UNKNOWN",
                DOMAIN,
                err.to_string(),
            ),
            Error::FirmNotFound(_) => {
                error::status(Code::NotFound, "FIRM_NOT_FOUND", DOMAIN, err.to_string())
            }
            Error::NotAFirm(_) => error::status(
                Code::FailedPrecondition,
                "NOT_A_FIRM",
                DOMAIN,
                err.to_string(),
            ),
            Error::GrantNotFound => error::status(
                Code::NotFound,
                "FIRM_GRANT_NOT_FOUND",
                DOMAIN,
                err.to_string(),
            ),
            Error::Idempotency(IdempotencyError::Db(db)) => Error::Db(db).into(),
            Error::Idempotency(
                inner @ (IdempotencyError::Mismatch | IdempotencyError::TooLong),
            ) => {
                let mut violations = FieldViolations::new();
                violations.add("idempotency_key", inner.to_string());
                violations.into_status()
            }
            Error::Db(db) => error::database(DOMAIN, &db),
        }
    }
}

impl From<FieldViolations> for Error {
    fn from(violations: FieldViolations) -> Self {
        Error::InvalidArgument(violations)
    }
}
