//! Reading the `google.rpc` details of an error status, for assertions.

use tonic_types::StatusExt;

/// The fields a `google.rpc.BadRequest` detail names, in order.
pub fn bad_fields(status: &tonic::Status) -> Vec<String> {
    status
        .get_error_details()
        .bad_request()
        .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default()
}

/// The `(field, description)` pairs a `google.rpc.BadRequest` detail holds, in order.
pub fn violations(status: &tonic::Status) -> Vec<(String, String)> {
    status
        .get_error_details()
        .bad_request()
        .map(|b| {
            b.field_violations
                .iter()
                .map(|v| (v.field.clone(), v.description.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// The reason of the `google.rpc.ErrorInfo` detail, or an empty string.
pub fn reason(status: &tonic::Status) -> String {
    status
        .get_error_details()
        .error_info()
        .map(|info| info.reason.clone())
        .unwrap_or_default()
}
