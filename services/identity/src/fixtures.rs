//! Fixtures for the tests of every service, compiled only with the `fixtures` feature
//! (which the test harness turns on, so no release build carries it): identity's current
//! signing key, read through identity's store as identity's runtime role, so a test can
//! mint exactly the tokens identity would sign without another crate reading identity's
//! tables.

use sqlx::PgConnection;

/// The id and the clear private half (PKCS#8 DER) of the newest key not retired. A
/// schema whose keys are all sealed answers `RowNotFound`.
pub async fn current_signing_key(
    conn: &mut PgConnection,
) -> Result<(String, Vec<u8>), sqlx::Error> {
    crate::store::keys::current_clear_key(conn).await
}
