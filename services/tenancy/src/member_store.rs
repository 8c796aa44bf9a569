//! Queries behind members, roles, invitations and firm grants. With `store`, the only
//! modules that see SQL. Mutations take the caller's transaction and lock the company row
//! first, so concurrent changes to one company's members are serialised (the last
//! Administrator cannot be removed twice at once).

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::error::Error;

/// The owner and plan of a company, read under a row lock.
pub(crate) struct Locked {
    pub(crate) owner_id: Uuid,
    pub(crate) kind: String,
}

/// Locks the company row for the rest of the transaction.
pub(crate) async fn lock_company(conn: &mut PgConnection, company: Uuid) -> Result<Locked, Error> {
    let row: Option<(Uuid, String)> =
        sqlx::query_as("SELECT owner_id, kind FROM company WHERE company_id = $1 FOR UPDATE")
            .bind(company)
            .fetch_optional(&mut *conn)
            .await?;
    let (owner_id, kind) = row.ok_or_else(|| Error::CompanyNotFound(company.to_string()))?;
    Ok(Locked { owner_id, kind })
}

/// A custom role.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct RoleRow {
    pub(crate) role_key: String,
    pub(crate) name: String,
    pub(crate) permissions: Vec<String>,
}

pub(crate) async fn custom_roles(
    conn: &mut PgConnection,
    company: Uuid,
) -> Result<Vec<RoleRow>, sqlx::Error> {
    sqlx::query_as("SELECT role_key, name, permissions FROM custom_role WHERE company_id = $1 ORDER BY role_key")
        .bind(company)
        .fetch_all(conn)
        .await
}

pub(crate) async fn insert_role(
    conn: &mut PgConnection,
    company: Uuid,
    role: &RoleRow,
) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO custom_role (company_id, role_key, name, permissions) VALUES ($1, $2, $3, $4)",
    )
    .bind(company)
    .bind(&role.role_key)
    .bind(&role.name)
    .bind(&role.permissions)
    .execute(conn)
    .await
    .map_err(|err| match &err {
        sqlx::Error::Database(db) if db.constraint() == Some("custom_role_pkey") => {
            Error::RoleExists(role.role_key.clone())
        }
        _ => Error::Db(err),
    })?;
    Ok(())
}

/// Updates a custom role; false if it does not exist.
pub(crate) async fn update_role(
    conn: &mut PgConnection,
    company: Uuid,
    role: &RoleRow,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE custom_role SET name = $3, permissions = $4, updated_at = now() \
         WHERE company_id = $1 AND role_key = $2",
    )
    .bind(company)
    .bind(&role.role_key)
    .bind(&role.name)
    .bind(&role.permissions)
    .execute(conn)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// Whether a member or a pending invitation holds the role.
pub(crate) async fn role_in_use(
    conn: &mut PgConnection,
    company: Uuid,
    role: &str,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM membership WHERE company_id = $1 AND role = $2) \
             OR EXISTS (SELECT 1 FROM invitation WHERE company_id = $1 AND role = $2 \
                         AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now())",
    )
    .bind(company)
    .bind(role)
    .fetch_one(conn)
    .await
}

/// Deletes a custom role; false if it does not exist.
pub(crate) async fn delete_role(
    conn: &mut PgConnection,
    company: Uuid,
    role: &str,
) -> Result<bool, sqlx::Error> {
    let deleted = sqlx::query("DELETE FROM custom_role WHERE company_id = $1 AND role_key = $2")
        .bind(company)
        .bind(role)
        .execute(conn)
        .await?;
    Ok(deleted.rows_affected() == 1)
}

/// A member.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct MemberRow {
    pub(crate) user_id: Uuid,
    pub(crate) role: String,
    pub(crate) owner: bool,
    pub(crate) created_at: DateTime<Utc>,
}

pub(crate) async fn members(
    conn: &mut PgConnection,
    company: Uuid,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<MemberRow>, sqlx::Error> {
    let (after_at, after_id) = after.unzip();
    sqlx::query_as(
        "SELECT m.user_id, m.role, m.user_id = c.owner_id AS owner, m.created_at \
         FROM membership m JOIN company c USING (company_id) \
         WHERE m.company_id = $1 AND ($2::timestamptz IS NULL OR (m.created_at, m.user_id) > ($2, $3)) \
         ORDER BY m.created_at, m.user_id LIMIT $4",
    )
    .bind(company)
    .bind(after_at)
    .bind(after_id)
    .bind(limit)
    .fetch_all(conn)
    .await
}

pub(crate) async fn member(
    conn: &mut PgConnection,
    company: Uuid,
    user: Uuid,
) -> Result<Option<MemberRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT m.user_id, m.role, m.user_id = c.owner_id AS owner, m.created_at \
         FROM membership m JOIN company c USING (company_id) WHERE m.company_id = $1 AND m.user_id = $2",
    )
    .bind(company)
    .bind(user)
    .fetch_optional(conn)
    .await
}

pub(crate) async fn administrators(
    conn: &mut PgConnection,
    company: Uuid,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT count(*) FROM membership WHERE company_id = $1 AND role = 'administrator'",
    )
    .bind(company)
    .fetch_one(conn)
    .await
}

/// Members plus pending, unexpired invitations: what the plan limit counts.
pub(crate) async fn seats_taken(
    conn: &mut PgConnection,
    company: Uuid,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM membership WHERE company_id = $1) \
              + (SELECT count(*) FROM invitation WHERE company_id = $1 \
                  AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now())",
    )
    .bind(company)
    .fetch_one(conn)
    .await
}

pub(crate) async fn add_member(
    conn: &mut PgConnection,
    company: Uuid,
    user: Uuid,
    role: &str,
) -> Result<(), Error> {
    sqlx::query("INSERT INTO membership (company_id, user_id, role) VALUES ($1, $2, $3)")
        .bind(company)
        .bind(user)
        .bind(role)
        .execute(conn)
        .await
        .map_err(|err| match &err {
            sqlx::Error::Database(db) if db.constraint() == Some("membership_pkey") => {
                Error::AlreadyMember
            }
            _ => Error::Db(err),
        })?;
    Ok(())
}

pub(crate) async fn set_member_role(
    conn: &mut PgConnection,
    company: Uuid,
    user: Uuid,
    role: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE membership SET role = $3, updated_at = now() WHERE company_id = $1 AND user_id = $2")
        .bind(company)
        .bind(user)
        .bind(role)
        .execute(conn)
        .await?;
    Ok(())
}

/// Removes a member, and their portfolio assignments when the company is a firm.
pub(crate) async fn remove_member(
    conn: &mut PgConnection,
    company: Uuid,
    user: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM portfolio_manager WHERE firm_id = $1 AND user_id = $2")
        .bind(company)
        .bind(user)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM membership WHERE company_id = $1 AND user_id = $2")
        .bind(company)
        .bind(user)
        .execute(conn)
        .await?;
    Ok(())
}

pub(crate) async fn set_owner(
    conn: &mut PgConnection,
    company: Uuid,
    user: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE company SET owner_id = $2, updated_at = now() WHERE company_id = $1")
        .bind(company)
        .bind(user)
        .execute(conn)
        .await?;
    Ok(())
}

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
}

const INVITATION_COLUMNS: &str = "invitation_id, company_id, email, role, created_at, \
     expires_at, accepted_at, revoked_at, open_link";

pub(crate) async fn insert_invitation(
    conn: &mut PgConnection,
    invitation: &InvitationRow,
    token_hash: &[u8],
    invited_by: Uuid,
) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO invitation (invitation_id, company_id, email, role, token_hash, invited_by, created_at, expires_at, open_link) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(invitation.invitation_id)
    .bind(invitation.company_id)
    .bind(&invitation.email)
    .bind(&invitation.role)
    .bind(token_hash)
    .bind(invited_by)
    .bind(invitation.created_at)
    .bind(invitation.expires_at)
    .bind(invitation.open_link)
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

pub(crate) async fn pending_invitations(
    conn: &mut PgConnection,
    company: Uuid,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<InvitationRow>, sqlx::Error> {
    let (after_at, after_id) = after.unzip();
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {INVITATION_COLUMNS} FROM invitation \
         WHERE company_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now() \
           AND ($2::timestamptz IS NULL OR (created_at, invitation_id) > ($2, $3)) \
         ORDER BY created_at, invitation_id LIMIT $4"
    )))
    .bind(company)
    .bind(after_at)
    .bind(after_id)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// An invitation of the company, locked.
pub(crate) async fn invitation_of(
    conn: &mut PgConnection,
    company: Uuid,
    invitation: Uuid,
) -> Result<Option<InvitationRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {INVITATION_COLUMNS} FROM invitation WHERE company_id = $1 AND invitation_id = $2 FOR UPDATE"
    )))
    .bind(company)
    .bind(invitation)
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
    sqlx::query("SELECT set_config('comptoir.invitation_token', encode($1, 'hex'), true)")
        .bind(token_hash)
        .execute(&mut *conn)
        .await?;
    let invitation = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {INVITATION_COLUMNS} FROM invitation WHERE token_hash = $1"
    )))
    .bind(token_hash)
    .fetch_optional(&mut *conn)
    .await?;
    sqlx::query("SELECT set_config('comptoir.invitation_token', '', true)")
        .execute(conn)
        .await?;
    Ok(invitation)
}

pub(crate) async fn mark_invitation(
    conn: &mut PgConnection,
    invitation: Uuid,
    accepted_by: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    let sql = if accepted_by.is_some() {
        "UPDATE invitation SET accepted_at = now(), accepted_by = $2 WHERE invitation_id = $1"
    } else {
        "UPDATE invitation SET revoked_at = now() WHERE invitation_id = $1 AND $2::uuid IS NULL"
    };
    sqlx::query(sql)
        .bind(invitation)
        .bind(accepted_by)
        .execute(conn)
        .await?;
    Ok(())
}

/// The e-mail of an account, as identity announced it; `None` until tenancy hears of it.
pub(crate) async fn account_email(
    conn: &mut PgConnection,
    user: Uuid,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT email FROM account WHERE user_id = $1")
        .bind(user)
        .fetch_optional(conn)
        .await
}

/// Records an account's e-mail as of the event `event_id` (a UUIDv7); an older event
/// than the one held changes nothing.
pub(crate) async fn keep_account(
    conn: &mut PgConnection,
    user: Uuid,
    email: &str,
    event_id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO account AS a (user_id, email, event_id) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id) DO UPDATE SET email = EXCLUDED.email, \
             event_id = EXCLUDED.event_id, updated_at = now() \
         WHERE a.event_id < EXCLUDED.event_id",
    )
    .bind(user)
    .bind(email)
    .bind(event_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Creates or re-roles a firm grant.
pub(crate) async fn upsert_grant(
    conn: &mut PgConnection,
    firm: Uuid,
    company: Uuid,
    role: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO firm_grant (firm_id, company_id, role) VALUES ($1, $2, $3) \
         ON CONFLICT (firm_id, company_id) DO UPDATE SET role = EXCLUDED.role, updated_at = now()",
    )
    .bind(firm)
    .bind(company)
    .bind(role)
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes a grant (and its portfolio managers) in a transaction acting for the client
/// `company` and `user`; None if there was none, else the firm's people who could act on
/// the client through it. The firm's members are read acting as the firm, the only
/// company whose members they are.
pub(crate) async fn delete_grant(
    conn: &mut PgConnection,
    firm: Uuid,
    company: Uuid,
    user: Uuid,
) -> Result<Option<Vec<Uuid>>, sqlx::Error> {
    crate::store::act_as(conn, Some(firm), Some(user)).await?;
    let reached: Vec<Uuid> = sqlx::query_scalar(
        "SELECT fm.user_id FROM membership fm \
          WHERE fm.company_id = $1 \
            AND (fm.role = 'administrator' \
                 OR EXISTS (SELECT 1 FROM portfolio_manager p \
                             WHERE p.firm_id = $1 AND p.company_id = $2 \
                               AND p.user_id = fm.user_id))",
    )
    .bind(firm)
    .bind(company)
    .fetch_all(&mut *conn)
    .await?;
    crate::store::act_as(conn, Some(company), Some(user)).await?;
    let deleted = sqlx::query("DELETE FROM firm_grant WHERE firm_id = $1 AND company_id = $2")
        .bind(firm)
        .bind(company)
        .execute(&mut *conn)
        .await?;
    Ok((deleted.rows_affected() == 1).then_some(reached))
}

pub(crate) async fn grant_exists(
    conn: &mut PgConnection,
    firm: Uuid,
    company: Uuid,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM firm_grant WHERE firm_id = $1 AND company_id = $2 FOR UPDATE)")
        .bind(firm)
        .bind(company)
        .fetch_one(conn)
        .await
}

/// Which of `users` are not members of the firm.
pub(crate) async fn non_members(
    conn: &mut PgConnection,
    firm: Uuid,
    users: &[Uuid],
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT u FROM unnest($2::uuid[]) AS u \
         WHERE NOT EXISTS (SELECT 1 FROM membership WHERE company_id = $1 AND user_id = u)",
    )
    .bind(firm)
    .bind(users)
    .fetch_all(conn)
    .await
}

pub(crate) async fn set_portfolio_managers(
    conn: &mut PgConnection,
    firm: Uuid,
    company: Uuid,
    users: &[Uuid],
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM portfolio_manager WHERE firm_id = $1 AND company_id = $2")
        .bind(firm)
        .bind(company)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO portfolio_manager (firm_id, company_id, user_id) \
         SELECT $1, $2, u FROM unnest($3::uuid[]) AS u ON CONFLICT DO NOTHING",
    )
    .bind(firm)
    .bind(company)
    .bind(users)
    .execute(conn)
    .await?;
    Ok(())
}

/// Appends to the audit trail.
pub(crate) async fn audit(
    conn: &mut PgConnection,
    company: Uuid,
    actor: &str,
    action: &str,
    details: serde_json::Value,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_event (company_id, actor, action, details) VALUES ($1, $2, $3, $4)",
    )
    .bind(company)
    .bind(actor)
    .bind(action)
    .bind(details)
    .execute(conn)
    .await?;
    Ok(())
}

/// The company's audit events, newest first, older than `before` when given.
pub(crate) async fn audit_events(
    conn: &mut PgConnection,
    company: Uuid,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<crate::audit::AuditRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT audit_event_id, actor, action, details, created_at FROM audit_event \
         WHERE company_id = $1 AND ($2::bigint IS NULL OR audit_event_id < $2) \
         ORDER BY audit_event_id DESC LIMIT $3",
    )
    .bind(company)
    .bind(before)
    .bind(limit)
    .fetch_all(conn)
    .await
}
