//! Identity's rules, free of I/O: what a valid e-mail, password and name are and how a
//! password is hashed, what an opaque token looks like, how long secrets live, when
//! logins are throttled, when a refresh or reset token may be used, and what an access
//! token claims.

mod account;
mod claims;
mod keys;
mod password;
mod session;
mod throttle;
mod tokens;

pub use account::{Email, check_name};
pub(crate) use claims::{Rights, access_claims, service_claims};
pub use keys::KeyEncryptionKey;
pub(crate) use password::{DUMMY_HASH, hash_password, verify_password};
pub use password::{MAX_PASSWORD_LEN, MIN_PASSWORD_LEN, check_password};
pub(crate) use session::{
    RefreshRefusal, RefreshedScope, ResetTokenProblem, check_refresh, check_reset, may_send_reset,
    refreshed_scope,
};
pub use throttle::{LOGIN_THROTTLE, Throttle, TrustedProxies, client_addr, retry_message};
pub use tokens::{
    MAX_RESETS_PER_WINDOW, OpaqueToken, REFRESH_TOKEN_TTL, RESET_TOKEN_TTL, hash_token,
};
