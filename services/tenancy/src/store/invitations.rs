//! Invitations: stored with their token's hash only, and found again by it.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::members::{InvitationKind, InvitationState};
use crate::error::Error;

/// An invitation as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct InvitationRow {
    pub(crate) invitation_id: Uuid,
    pub(crate) company_id: Uuid,
    pub(crate) email: String,
    pub(crate) role: String,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) expires_at: DateTime<Utc>,
    pub(crate) accepted_at: Option<DateTime<Utc>>,
    pub(crate) revoked_at: Option<DateTime<Utc>>,
    /// True when any account may accept it, not only the invited address's.
    pub(crate) open_link: bool,
    /// What accepting it gives, as stored (see [`InvitationKind::key`]).
    pub(crate) kind: String,
}

impl InvitationRow {
    /// Where it stands at `now`.
    pub(crate) fn state(&self, now: DateTime<Utc>) -> InvitationState {
        InvitationState::at(self.accepted_at, self.revoked_at, self.expires_at, now)
    }

    /// True when it is of `kind`.
    pub(crate) fn is(&self, kind: InvitationKind) -> bool {
        InvitationKind::from_stored(&self.kind) == Some(kind)
    }
}

pub(crate) async fn insert_invitation(
    conn: &mut PgConnection,
    invitation: &InvitationRow,
    token_hash: &[u8],
    invited_by: Uuid,
) -> Result<(), Error> {
    sqlx::query!(
        "INSERT INTO invitation (invitation_id, company_id, email, role, token_hash, \
             invited_by, created_at, expires_at, open_link, kind) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        invitation.invitation_id,
        invitation.company_id,
        &invitation.email,
        &invitation.role,
        token_hash,
        invited_by,
        invitation.created_at,
        invitation.expires_at,
        invitation.open_link,
        &invitation.kind,
    )
    .execute(conn)
    .await
    .map_err(|err| match &err {
        sqlx::Error::Database(db) if db.constraint() == Some("invitation_pending_email") => {
            Error::InvitationPending(invitation.email.clone())
        }
        _ => Error::Db(err),
    })?;
    Ok(())
}

/// The company's pending invitations of `kind`, oldest first, after the
/// `(created_at, invitation_id)` cursor; at most `limit` of them, or all with `None`.
pub(crate) async fn pending_invitations(
    conn: &mut PgConnection,
    company: Uuid,
    kind: InvitationKind,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: Option<i64>,
) -> Result<Vec<InvitationRow>, sqlx::Error> {
    let (after_at, after_id) = after.unzip();
    // `LIMIT NULL` is no limit.
    sqlx::query_as!(
        InvitationRow,
        "SELECT invitation_id, company_id, email, role, created_at, expires_at, accepted_at, \
             revoked_at, open_link, kind \
         FROM invitation \
         WHERE company_id = $1 AND kind = $5 AND accepted_at IS NULL AND revoked_at IS NULL \
           AND expires_at > now() \
           AND ($2::timestamptz IS NULL OR (created_at, invitation_id) > ($2, $3)) \
         ORDER BY created_at, invitation_id LIMIT $4",
        company,
        after_at,
        after_id,
        limit,
        kind.key(),
    )
    .fetch_all(conn)
    .await
}

/// An invitation of the company, locked.
pub(crate) async fn invitation_of(
    conn: &mut PgConnection,
    company: Uuid,
    invitation: Uuid,
) -> Result<Option<InvitationRow>, sqlx::Error> {
    sqlx::query_as!(
        InvitationRow,
        "SELECT invitation_id, company_id, email, role, created_at, expires_at, accepted_at, \
             revoked_at, open_link, kind \
         FROM invitation WHERE company_id = $1 AND invitation_id = $2 FOR UPDATE",
        company,
        invitation,
    )
    .fetch_optional(conn)
    .await
}

/// The invitation a token opens, unlocked: the acceptor is no member of its company yet,
/// so the transaction names the token's hash for this one read (row-level security shows
/// it that invitation only) and forgets it at once. The caller then acts as the
/// invitation's company and locks it with [`invitation_of`].
pub(crate) async fn invitation_by_token(
    conn: &mut PgConnection,
    token_hash: &[u8],
) -> Result<Option<InvitationRow>, sqlx::Error> {
    sqlx::query!(
        "SELECT set_config('comptoir.invitation_token', encode($1, 'hex'), true)",
        token_hash,
    )
    .fetch_one(&mut *conn)
    .await?;
    let invitation = sqlx::query_as!(
        InvitationRow,
        "SELECT invitation_id, company_id, email, role, created_at, expires_at, accepted_at, \
             revoked_at, open_link, kind \
         FROM invitation WHERE token_hash = $1",
        token_hash,
    )
    .fetch_optional(&mut *conn)
    .await?;
    sqlx::query!("SELECT set_config('comptoir.invitation_token', '', true)")
        .fetch_one(conn)
        .await?;
    Ok(invitation)
}

pub(crate) async fn mark_invitation(
    conn: &mut PgConnection,
    invitation: Uuid,
    accepted_by: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    match accepted_by {
        Some(accepted_by) => {
            sqlx::query!(
                "UPDATE invitation SET accepted_at = now(), accepted_by = $2 \
             WHERE invitation_id = $1",
                invitation,
                accepted_by,
            )
            .execute(conn)
            .await?
        }
        None => {
            sqlx::query!(
                "UPDATE invitation SET revoked_at = now() WHERE invitation_id = $1",
                invitation,
            )
            .execute(conn)
            .await?
        }
    };
    Ok(())
}

/// Revokes the company's invitations of `kind` to `email` not accepted nor revoked yet
/// (pending or expired); returns their ids.
pub(crate) async fn revoke_open(
    conn: &mut PgConnection,
    company: Uuid,
    kind: InvitationKind,
    email: &str,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "UPDATE invitation SET revoked_at = now() \
         WHERE company_id = $1 AND kind = $3 AND email = $2 \
           AND accepted_at IS NULL AND revoked_at IS NULL \
         RETURNING invitation_id",
        company,
        email,
        kind.key(),
    )
    .fetch_all(conn)
    .await
}
