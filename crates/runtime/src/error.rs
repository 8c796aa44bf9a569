//! The shapes of gRPC errors every service returns (AIP-193): `INVALID_ARGUMENT` with a
//! `google.rpc.BadRequest` naming each bad field, and one `google.rpc.ErrorInfo` with an
//! UPPER_SNAKE reason on the other codes. Each service keeps its own `Error` enum and maps
//! it to `Status` exhaustively with these builders. Decoding helpers answer
//! [`FieldViolations`] itself, which a service's `Error` takes in and which becomes the
//! `INVALID_ARGUMENT` status at the edge.

use std::collections::HashMap;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// Collects field violations while a request is decoded, so one answer names every bad
/// field instead of only the first.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldViolations(Vec<(String, String)>);

impl FieldViolations {
    /// No violation yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `field` (a path such as `lines[2].unit_price`) is bad, and why.
    pub fn add(&mut self, field: impl Into<String>, reason: impl Into<String>) {
        self.0.push((field.into(), reason.into()));
    }

    /// Keeps the value of `result`, or records its error against `field`.
    pub fn check<T, E: std::fmt::Display>(
        &mut self,
        field: &str,
        result: Result<T, E>,
    ) -> Option<T> {
        result.map_err(|err| self.add(field, err.to_string())).ok()
    }

    /// Parses a UUID field, recording a violation if it is empty or malformed.
    pub fn uuid(&mut self, field: &str, value: &str) -> Option<uuid::Uuid> {
        if value.is_empty() {
            self.add(field, "is required");
            return None;
        }
        self.check(
            field,
            uuid::Uuid::parse_str(value).map_err(|_| "is not a valid UUID"),
        )
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The recorded `(field, reason)` pairs.
    pub fn iter(&self) -> impl Iterator<Item = &(String, String)> {
        self.0.iter()
    }

    /// `Ok(())` when nothing was recorded, else the violations themselves (the
    /// `INVALID_ARGUMENT` answer, once converted into a [`Status`]).
    pub fn into_result(self) -> Result<(), Self> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }

    /// The `INVALID_ARGUMENT` status carrying every violation.
    pub fn into_status(self) -> Status {
        let message = self
            .0
            .iter()
            .map(|(field, reason)| format!("{field}: {reason}"))
            .collect::<Vec<_>>()
            .join("; ");
        let mut details = ErrorDetails::new();
        for (field, reason) in self.0 {
            details.add_bad_request_violation(field, reason);
        }
        Status::with_error_details(Code::InvalidArgument, message, details)
    }
}

impl From<FieldViolations> for Status {
    fn from(violations: FieldViolations) -> Self {
        violations.into_status()
    }
}

impl FieldViolations {
    /// A `FAILED_PRECONDITION` status naming each unmet condition as a field violation
    /// (e.g. the mandatory mentions an invoice lacks), with one `ErrorInfo` `reason`.
    pub fn into_precondition(self, reason: &str, domain: &str, message: &str) -> Status {
        let listed = self
            .0
            .iter()
            .map(|(field, why)| format!("{field}: {why}"))
            .collect::<Vec<_>>()
            .join("; ");
        let mut details = ErrorDetails::with_error_info(
            reason,
            format!("{domain}.comptoir"),
            HashMap::<String, String>::new(),
        );
        for (field, why) in self.0 {
            details.add_bad_request_violation(field, why);
        }
        Status::with_error_details(
            Code::FailedPrecondition,
            format!("{message}: {listed}"),
            details,
        )
    }
}

/// Parses one required UUID field, or answers INVALID_ARGUMENT naming it.
pub fn required_uuid(field: &str, value: &str) -> Result<uuid::Uuid, FieldViolations> {
    let mut violations = FieldViolations::new();
    let id = violations.uuid(field, value);
    violations.into_result()?;
    Ok(id.unwrap_or_default())
}

/// A status with one `ErrorInfo` detail: `reason` is UPPER_SNAKE, `domain` the service.
pub fn status(code: Code, reason: &str, domain: &str, message: impl Into<String>) -> Status {
    let details = ErrorDetails::with_error_info(
        reason,
        format!("{domain}.comptoir"),
        HashMap::<String, String>::new(),
    );
    Status::with_error_details(code, message, details)
}

/// The status for a fault that is not the client's: the whole error chain is logged, the
/// client gets a generic message (internals never leak).
pub fn internal(domain: &str, err: &(dyn std::error::Error + 'static)) -> Status {
    let mut chain = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        chain.push_str(": ");
        chain.push_str(&cause.to_string());
        source = cause.source();
    }
    tracing::error!(error = %chain, "internal error");
    status(Code::Internal, "INTERNAL", domain, "internal error")
}

/// The status for a database fault: UNAVAILABLE (retryable) when Postgres cannot be
/// reached, INTERNAL otherwise.
pub fn database(domain: &str, err: &sqlx::Error) -> Status {
    if crate::db::is_connection_error(err) {
        unavailable(domain, err)
    } else {
        internal(domain, err)
    }
}

/// The status for a dependency that is down (database, NATS): retryable.
pub fn unavailable(domain: &str, err: &(dyn std::error::Error + 'static)) -> Status {
    tracing::warn!(error = %err, "dependency unavailable");
    status(
        Code::Unavailable,
        "DEPENDENCY_UNAVAILABLE",
        domain,
        "a dependency is unavailable; retry later",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_violation_is_named_in_the_bad_request_details() {
        let mut violations = FieldViolations::new();
        violations.add("siren", "fails the Luhn check");
        violations.add("kind", "must be set");
        let status = violations.into_status();
        assert_eq!(status.code(), Code::InvalidArgument);
        let details = status.get_error_details();
        let bad = details.bad_request().expect("bad request details");
        let fields: Vec<_> = bad
            .field_violations
            .iter()
            .map(|v| v.field.as_str())
            .collect();
        assert_eq!(fields, ["siren", "kind"]);
        assert!(status.message().contains("siren: fails the Luhn check"));
    }
}
