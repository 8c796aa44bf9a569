//! What was revoked before access tokens expire, so every service stops honouring them at
//! once instead of up to [`ACCESS_TOKEN_TTL`] later. Each process keeps its own list, fed
//! by [`Revocations::listen`]: identity's `session.revoked`, tenancy's
//! `membership.revoked`, `membership.changed` and `firm_grant.revoked`. The auth layer asks
//! [`Revocations::check`] about every token, on verified-cache hits too.
//!
//! The list is in-memory state every replica needs, so it is fed by ephemeral ordered
//! JetStream consumers (one per event type, since nats-server 2.9 takes one filter
//! subject), never a shared durable one: each process reads every revocation. A process
//! starts reading [`REMEMBERED_FOR`] back, so a restarted replica relearns what still
//! matters, and entries expire that long after their revocation, when every token they
//! could refuse has expired anyway.
//!
//! # Comparing times
//!
//! A token's `iat` counts whole seconds, so "issued at or before the revocation" cannot
//! be told apart within the second; and the revocation's time comes from another host's
//! clock, stamped before its transaction commits. Each kind of entry decides differently:
//!
//! - A revoked session never mints a token again, so every token naming it is refused,
//!   whatever its `iat`.
//! - "Every session of the account" (password reset) compares the *session's* start, read
//!   from its UUIDv7 id (milliseconds, identity's clock on both sides), with the revocation
//!   time: a login right after a reset starts a new session and is never refused.
//! - A (user, company) entry (membership revoked or changed, firm grant revoked) refuses
//!   or narrows tokens whose `iat` is at most [`MARGIN`] after the revocation. The margin
//!   covers the second `iat` rounds away, clock skew between hosts and the commit delay
//!   (a SwitchCompany that read the membership just before the removal committed).
//!   Its cost: a token minted within about two seconds after a member is added back is
//!   refused too; the client gets a good one by switching again a moment later. Tokens
//!   minted later than that are never affected, so nothing is refused for good.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer::DeliverPolicy, consumer::pull};
use comptoir_proto::events::v1 as events;
use futures::StreamExt;
use prost::Message as _;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::caller::{ACCESS_TOKEN_TTL, Caller, LEEWAY};
use crate::events::names::{
    EventType, FIRM_GRANT_REVOKED, MEMBERSHIP_CHANGED, MEMBERSHIP_REVOKED, Names, SESSION_REVOKED,
};
use crate::retry::Backoff;
use comptoir_domain_types::permissions;

/// How long an entry matters: the longest a token lives, with the verifier's leeway and
/// some clock skew on top.
pub const REMEMBERED_FOR: Duration = ACCESS_TOKEN_TTL
    .saturating_add(LEEWAY)
    .saturating_add(Duration::from_secs(30));

/// How long after a (user, company) revocation a token's `iat` still counts as before it
/// (see the module documentation).
pub const MARGIN: Duration = Duration::from_secs(1);

/// How many entries of each kind a process keeps (a few dozen bytes each).
const CAPACITY: u64 = 1_000_000;

/// How long a pull request of the listener waits: its idle heartbeat is half of it, so a
/// listener that lost its consumer notices within about this long.
const PULL_EXPIRY: Duration = Duration::from_secs(2);

/// Longest pause before the listener tries again after a failure.
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// What changed about a user's access to a company, and when (Unix milliseconds).
#[derive(Debug, Clone, PartialEq, Eq)]
enum AccessChange {
    /// The membership or the firm grant giving access ended.
    Revoked { at_ms: i64 },
    /// The role changed: tokens keep only what the new role allows.
    Narrowed {
        at_ms: i64,
        role: Arc<str>,
        permissions: Arc<[String]>,
    },
}

/// The time (Unix milliseconds) of the revocation an entry records.
trait RevokedAt {
    fn at_ms(&self) -> i64;
}

impl RevokedAt for i64 {
    fn at_ms(&self) -> i64 {
        *self
    }
}

impl RevokedAt for AccessChange {
    fn at_ms(&self) -> i64 {
        match self {
            AccessChange::Revoked { at_ms } | AccessChange::Narrowed { at_ms, .. } => *at_ms,
        }
    }
}

/// What the list says about a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing revoked: the token stands as it is.
    Allowed,
    /// Its session ended: UNAUTHENTICATED.
    SessionRevoked,
    /// Its access to its company ended: PERMISSION_DENIED.
    AccessRevoked,
    /// Its role changed since: the caller keeps only these permissions.
    Narrowed {
        /// The new role's key.
        role: Arc<str>,
        /// The new role's permissions.
        permissions: Arc<[String]>,
    },
}

/// Entries expire [`REMEMBERED_FOR`] after the revocation they record, however late the
/// listener learnt it.
struct UntilForgotten;

impl UntilForgotten {
    /// How long an entry of a revocation at `at_ms` has left; zero once forgotten.
    fn left(at_ms: i64) -> Duration {
        let forget_at = at_ms.saturating_add(REMEMBERED_FOR.as_millis() as i64);
        let left = forget_at.saturating_sub(now_ms()).max(0);
        Duration::from_millis(left as u64)
    }
}

impl<K, V: RevokedAt> moka::Expiry<K, V> for UntilForgotten {
    fn expire_after_create(&self, _: &K, value: &V, _: Instant) -> Option<Duration> {
        Some(Self::left(value.at_ms()))
    }
    fn expire_after_update(
        &self,
        _: &K,
        value: &V,
        _: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        Some(Self::left(value.at_ms()))
    }
}

fn cache<K, V>() -> moka::sync::Cache<K, V>
where
    K: std::hash::Hash + Eq + Send + Sync + 'static,
    V: RevokedAt + Clone + Send + Sync + 'static,
{
    moka::sync::Cache::builder()
        .max_capacity(CAPACITY)
        .expire_after(UntilForgotten)
        .build()
}

/// The revocation list of one process. Cheap to clone; clones share the list.
#[derive(Clone)]
pub struct Revocations {
    inner: Arc<Inner>,
}

struct Inner {
    /// Sessions ended, with when.
    sessions: moka::sync::Cache<Uuid, i64>,
    /// Accounts whose every session started at or before the time was ended.
    accounts: moka::sync::Cache<Uuid, i64>,
    /// (user, company) whose access ended or changed.
    access: moka::sync::Cache<(Uuid, Uuid), AccessChange>,
    /// False until the first entry: a process that never saw a revocation skips the
    /// lookups altogether.
    any: AtomicBool,
}

impl Default for Revocations {
    fn default() -> Self {
        Self {
            inner: Arc::new(Inner {
                sessions: cache(),
                accounts: cache(),
                access: cache(),
                any: AtomicBool::new(false),
            }),
        }
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// When a session started, from its UUIDv7 id; None for ids of other versions.
fn session_start_ms(session_id: Uuid) -> Option<i64> {
    let (secs, nanos) = session_id.get_timestamp()?.to_unix();
    Some(secs as i64 * 1000 + i64::from(nanos / 1_000_000))
}

impl Revocations {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `session_id` ended at `at_ms`.
    pub fn revoke_session(&self, session_id: Uuid, at_ms: i64) {
        self.record(&self.inner.sessions, session_id, at_ms);
    }

    /// Records that every session of `user_id` started at or before `at_ms` ended.
    pub fn revoke_sessions_of(&self, user_id: Uuid, at_ms: i64) {
        self.record(&self.inner.accounts, user_id, at_ms);
    }

    /// Records that `user_id` lost access to `company_id` at `at_ms`.
    pub fn revoke_access(&self, user_id: Uuid, company_id: Uuid, at_ms: i64) {
        let change = AccessChange::Revoked { at_ms };
        self.record(&self.inner.access, (user_id, company_id), change);
    }

    /// Records that `user_id`'s role in `company_id` became `role`, allowing `permissions`,
    /// at `at_ms`.
    pub fn change_role(
        &self,
        user_id: Uuid,
        company_id: Uuid,
        role: &str,
        permissions: Vec<String>,
        at_ms: i64,
    ) {
        let change = AccessChange::Narrowed {
            at_ms,
            role: role.into(),
            permissions: permissions.into(),
        };
        self.record(&self.inner.access, (user_id, company_id), change);
    }

    /// Records `entry` under `key` unless already forgotten. The later revocation of a key
    /// wins: a replay or a late event must not move it back, while a role change after a
    /// removal (the member came back) replaces it, and the reverse too.
    fn record<K, V>(&self, cache: &moka::sync::Cache<K, V>, key: K, entry: V)
    where
        K: std::hash::Hash + Eq + Send + Sync + 'static,
        V: RevokedAt + Clone + Send + Sync + 'static,
    {
        if UntilForgotten::left(entry.at_ms()) == Duration::ZERO {
            return;
        }
        cache.entry(key).and_upsert_with(|old| match old {
            Some(old) if old.value().at_ms() > entry.at_ms() => old.into_value(),
            _ => entry,
        });
        self.inner.any.store(true, Ordering::Release);
    }

    /// What the list says about a token of `caller` issued at `iat` (Unix seconds). A few
    /// lock-free cache lookups; none at all while nothing was ever revoked.
    pub fn check(&self, caller: &Caller, iat: i64) -> Verdict {
        if !self.inner.any.load(Ordering::Acquire) {
            return Verdict::Allowed;
        }
        let Caller::User {
            user_id,
            session_id,
            company_id,
            ..
        } = caller
        else {
            return Verdict::Allowed;
        };
        let iat_ms = iat.saturating_mul(1000);
        if let Some(session_id) = session_id
            && self.inner.sessions.contains_key(session_id)
        {
            return Verdict::SessionRevoked;
        }
        if let Some(at_ms) = self.inner.accounts.get(user_id) {
            let started = match session_id.and_then(session_start_ms) {
                Some(started) => started <= at_ms,
                None => iat_ms <= at_ms + MARGIN.as_millis() as i64,
            };
            if started {
                return Verdict::SessionRevoked;
            }
        }
        if let Some(company_id) = company_id
            && let Some(change) = self.inner.access.get(&(*user_id, *company_id))
            && iat_ms <= change.at_ms() + MARGIN.as_millis() as i64
        {
            return match change {
                AccessChange::Revoked { .. } => Verdict::AccessRevoked,
                AccessChange::Narrowed {
                    role, permissions, ..
                } => Verdict::Narrowed { role, permissions },
            };
        }
        Verdict::Allowed
    }

    /// Feeds the list from NATS until `stop` is cancelled: one ordered consumer per event
    /// type, each resuming where it stopped after a failure or a reconnection.
    pub async fn listen(self, js: jetstream::Context, names: Names, stop: CancellationToken) {
        let mut followers = tokio::task::JoinSet::new();
        for event in [
            SESSION_REVOKED,
            MEMBERSHIP_REVOKED,
            MEMBERSHIP_CHANGED,
            FIRM_GRANT_REVOKED,
        ] {
            followers.spawn(
                self.clone()
                    .follow(event, js.clone(), names.clone(), stop.clone()),
            );
        }
        while followers.join_next().await.is_some() {}
    }

    async fn follow(
        self,
        event: EventType,
        js: jetstream::Context,
        names: Names,
        stop: CancellationToken,
    ) {
        let client = js.client();
        let mut next = None;
        let mut backoff = Backoff::new(Duration::from_millis(50), MAX_BACKOFF);
        loop {
            let outcome = self.follow_once(event, &js, &names, &mut next, &stop).await;
            match outcome {
                Ok(()) => return,
                Err(err) => {
                    tracing::warn!(event = %event.subject(), error = %format!("{err:#}"), retry_in_ms = backoff.delay().as_millis() as u64, "revocation listener interrupted, following again");
                }
            }
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(backoff.next_delay()) => {}
                _ = crate::events::reconnected(&client) => {}
            }
        }
    }

    /// Follows one event type from stream sequence `next` (or [`REMEMBERED_FOR`] back)
    /// until stopped, until the consumer fails, or until the client reconnects (the
    /// server may have restarted and forgotten the ephemeral consumer).
    async fn follow_once(
        &self,
        event: EventType,
        js: &jetstream::Context,
        names: &Names,
        next: &mut Option<u64>,
        stop: &CancellationToken,
    ) -> anyhow::Result<()> {
        let stream = js
            .get_or_create_stream(names.stream_config(event.service))
            .await?;
        let deliver_policy = match *next {
            Some(start_sequence) => DeliverPolicy::ByStartSequence { start_sequence },
            None => DeliverPolicy::ByStartTime {
                start_time: async_nats::datetime::from_nanos(
                    i128::from(now_ms() - REMEMBERED_FOR.as_millis() as i64) * 1_000_000,
                )
                .map_err(|err| anyhow::anyhow!("start time: {err}"))?,
            },
        };
        let consumer = stream
            .create_consumer(pull::OrderedConfig {
                filter_subject: names.subject(&event.subject()),
                deliver_policy,
                max_expires: PULL_EXPIRY,
                ..Default::default()
            })
            .await?;
        let mut messages = consumer.messages().await?;
        let client = js.client();
        let reconnected = crate::events::reconnected(&client);
        tokio::pin!(reconnected);
        loop {
            let message = tokio::select! {
                _ = stop.cancelled() => return Ok(()),
                () = &mut reconnected => anyhow::bail!("reconnected to NATS"),
                message = messages.next() => match message {
                    Some(message) => message?,
                    None => anyhow::bail!("message stream ended"),
                },
            };
            let sequence = message.info().map(|info| info.stream_sequence).ok();
            if let Err(reason) = self.apply(event, &message.payload) {
                tracing::error!(event = %event.subject(), %reason, "revocation not understood; skipped");
            }
            if let Some(sequence) = sequence {
                *next = Some(sequence + 1);
            }
        }
    }

    /// Records one event.
    fn apply(&self, event: EventType, payload: &[u8]) -> Result<(), String> {
        let uuid = |field: &str, value: &str| {
            Uuid::parse_str(value).map_err(|_| format!("{field} `{value}` is not a UUID"))
        };
        let decode_error = |err: prost::DecodeError| format!("undecodable: {err}");
        let at_ms = |meta: &Option<events::EventMeta>| {
            meta.as_ref()
                .and_then(|meta| meta.occur_time)
                .map(timestamp_ms)
                .ok_or_else(|| "no meta.occur_time".to_owned())
        };
        let company = |meta: &Option<events::EventMeta>| {
            uuid(
                "meta.company_id",
                meta.as_ref().map_or("", |meta| &meta.company_id),
            )
        };
        if event == SESSION_REVOKED {
            let revoked = events::SessionRevoked::decode(payload).map_err(decode_error)?;
            let user = uuid("user_id", &revoked.user_id)?;
            let at_ms = match revoked.revoke_time {
                Some(time) => timestamp_ms(time),
                None => at_ms(&revoked.meta)?,
            };
            if revoked.all_sessions {
                self.revoke_sessions_of(user, at_ms);
            } else {
                self.revoke_session(uuid("session_id", &revoked.session_id)?, at_ms);
            }
            tracing::info!(user_id = %user, session_id = %revoked.session_id, all = revoked.all_sessions, "session revoked");
        } else if event == MEMBERSHIP_REVOKED {
            let revoked = events::MembershipRevoked::decode(payload).map_err(decode_error)?;
            let (user, company) = (uuid("user_id", &revoked.user_id)?, company(&revoked.meta)?);
            self.revoke_access(user, company, at_ms(&revoked.meta)?);
            tracing::info!(user_id = %user, company_id = %company, "membership revoked");
        } else if event == MEMBERSHIP_CHANGED {
            let changed = events::MembershipChanged::decode(payload).map_err(decode_error)?;
            let (user, company) = (uuid("user_id", &changed.user_id)?, company(&changed.meta)?);
            // Events published before they carried the permissions: a built-in role's are
            // known here; a custom role's are not, so its holder keeps none.
            let granted = if changed.permissions.is_empty() {
                permissions::built_in(&changed.role)
                    .map(|role| permissions::names(role.permissions))
                    .unwrap_or_default()
            } else {
                changed.permissions
            };
            self.change_role(user, company, &changed.role, granted, at_ms(&changed.meta)?);
            tracing::info!(user_id = %user, company_id = %company, role = %changed.role, "role changed");
        } else if event == FIRM_GRANT_REVOKED {
            let revoked = events::FirmGrantRevoked::decode(payload).map_err(decode_error)?;
            let (company, at_ms) = (company(&revoked.meta)?, at_ms(&revoked.meta)?);
            for user in &revoked.user_ids {
                self.revoke_access(uuid("user_ids", user)?, company, at_ms);
            }
            tracing::info!(company_id = %company, firm_id = %revoked.firm_id, users = revoked.user_ids.len(), "firm grant revoked");
        }
        Ok(())
    }
}

fn timestamp_ms(time: prost_types::Timestamp) -> i64 {
    time.seconds
        .saturating_mul(1000)
        .saturating_add(i64::from(time.nanos / 1_000_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(session_id: Option<Uuid>, company_id: Option<Uuid>, permissions: &[&str]) -> Caller {
        Caller::User {
            user_id: Uuid::now_v7(),
            session_id,
            company_id,
            role: Some("administrator".to_owned()),
            permissions: permissions.iter().map(|p| (*p).to_owned()).collect(),
            through_firm: false,
        }
    }

    fn user_id(caller: &Caller) -> Uuid {
        match caller {
            Caller::User { user_id, .. } => *user_id,
            Caller::Service { .. } => unreachable!("a user"),
        }
    }

    #[test]
    fn a_revoked_session_refuses_every_token_of_it_whatever_its_issue_time() {
        let list = Revocations::new();
        let session = Uuid::now_v7();
        let caller = user(Some(session), None, &[]);
        let now = now_ms();
        assert_eq!(list.check(&caller, now / 1000), Verdict::Allowed);
        list.revoke_session(session, now);
        assert_eq!(
            list.check(&caller, now / 1000 - 60),
            Verdict::SessionRevoked
        );
        assert_eq!(
            list.check(&caller, now / 1000 + 60),
            Verdict::SessionRevoked
        );
        let other = user(Some(Uuid::now_v7()), None, &[]);
        assert_eq!(list.check(&other, now / 1000), Verdict::Allowed);
        let service = Caller::Service {
            name: "billing".to_owned(),
        };
        assert_eq!(list.check(&service, now / 1000), Verdict::Allowed);
    }

    #[test]
    fn every_session_of_an_account_means_those_started_before_not_a_login_just_after() {
        let list = Revocations::new();
        let before = user(Some(Uuid::now_v7()), None, &[]);
        std::thread::sleep(Duration::from_millis(5));
        let reset_at = now_ms();
        std::thread::sleep(Duration::from_millis(5));
        let account = user_id(&before);
        list.revoke_sessions_of(account, reset_at);
        let after = Caller::User {
            user_id: account,
            session_id: Some(Uuid::now_v7()),
            company_id: None,
            role: None,
            permissions: Vec::new(),
            through_firm: false,
        };
        // Both tokens carry the same second: only the session tells them apart.
        let iat = reset_at / 1000;
        assert_eq!(list.check(&before, iat), Verdict::SessionRevoked);
        assert_eq!(list.check(&after, iat), Verdict::Allowed);
    }

    #[test]
    fn access_is_refused_to_tokens_issued_up_to_the_margin_after_and_allowed_later() {
        let list = Revocations::new();
        let company = Uuid::now_v7();
        let caller = user(Some(Uuid::now_v7()), Some(company), &["invoices.read"]);
        // Half a second into a second, a few seconds ago.
        let at_ms = (now_ms() / 1000 - 5) * 1000 + 500;
        list.revoke_access(user_id(&caller), company, at_ms);
        let at_s = at_ms / 1000;
        // Before, in the same second, and within the margin: refused.
        for iat in [at_s - 300, at_s, at_s + 1] {
            assert_eq!(
                list.check(&caller, iat),
                Verdict::AccessRevoked,
                "iat {iat}"
            );
        }
        // Two seconds later: a token minted after the member came back.
        assert_eq!(list.check(&caller, at_s + 2), Verdict::Allowed);
        // Another company of the same user is untouched.
        let elsewhere = Caller::User {
            user_id: user_id(&caller),
            session_id: None,
            company_id: Some(Uuid::now_v7()),
            role: None,
            permissions: Vec::new(),
            through_firm: false,
        };
        assert_eq!(list.check(&elsewhere, at_s), Verdict::Allowed);
    }

    #[test]
    fn a_role_change_narrows_and_the_latest_change_of_a_membership_wins() {
        let list = Revocations::new();
        let company = Uuid::now_v7();
        let caller = user(None, Some(company), &["invoices.read", "settings.write"]);
        let member = user_id(&caller);
        let t = now_ms();
        list.change_role(member, company, "sales", vec!["quotes.write".to_owned()], t);
        let Verdict::Narrowed { role, permissions } = list.check(&caller, t / 1000) else {
            panic!("narrowed");
        };
        assert_eq!(
            (&*role, &*permissions),
            ("sales", &["quotes.write".to_owned()][..])
        );
        // An older event arriving late does not move the entry back.
        list.revoke_access(member, company, t - 5_000);
        assert!(matches!(
            list.check(&caller, t / 1000),
            Verdict::Narrowed { .. }
        ));
        // A later removal replaces the role change.
        list.revoke_access(member, company, t + 10);
        assert_eq!(list.check(&caller, t / 1000), Verdict::AccessRevoked);
    }

    #[test]
    fn entries_are_forgotten_once_no_token_they_could_refuse_is_alive() {
        let list = Revocations::new();
        let session = Uuid::now_v7();
        let caller = user(Some(session), None, &[]);
        let long_ago = now_ms() - REMEMBERED_FOR.as_millis() as i64 - 1;
        list.revoke_session(session, long_ago);
        assert_eq!(list.check(&caller, long_ago / 1000), Verdict::Allowed);
        assert_eq!(UntilForgotten::left(long_ago), Duration::ZERO);
        let recent = now_ms() - 1_000;
        let left = UntilForgotten::left(recent);
        assert!(left <= REMEMBERED_FOR && left > REMEMBERED_FOR - Duration::from_secs(2));
    }
}
