//! The firm's clients: the projection of tenancy's companies, memberships and firm grants
//! and of billing's lock dates and issued documents (kept by the consumers in
//! `events.rs`), the firm's own facts about its clients (code dossier, ownership,
//! portfolio managers), and the queries of the client list. Every projection write is
//! order-safe by itself (see each function); the runtime's inbox keeps a redelivered
//! event from being applied twice.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::{PgConnection, Postgres, QueryBuilder, Row};
use uuid::Uuid;

use crate::domain::clients::{ClientOrder, ClientStatus, Listing, Reach, search_key};

/// A company as `company.created` or `company.updated` announce it (both carry the whole
/// identity the directory keeps).
#[derive(Debug, Clone)]
pub(crate) struct Announced<'a> {
    pub(crate) company_id: Uuid,
    pub(crate) legal_name: &'a str,
    pub(crate) siren: &'a str,
    pub(crate) is_firm: bool,
    /// The company's version after the announced change.
    pub(crate) version: i64,
}

/// Keeps a company in the directory at its announced version, adding it when unknown
/// (an update may come first). An announcement older than the version held changes
/// nothing; the same version again rewrites the same values (the inbox keeps
/// redeliveries out). False when an older announcement was set aside.
pub(crate) async fn keep_company(
    conn: &mut PgConnection,
    company: &Announced<'_>,
) -> Result<bool, sqlx::Error> {
    // The search key is derived from the name where the name is stored, so that the two
    // never disagree.
    let search_name = search_key(company.legal_name);
    let kept = sqlx::query!(
        "INSERT INTO directory_company AS d \
             (company_id, legal_name, siren, is_firm, version, search_name) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (company_id) DO UPDATE SET legal_name = EXCLUDED.legal_name, \
             siren = EXCLUDED.siren, is_firm = EXCLUDED.is_firm, version = EXCLUDED.version, \
             search_name = EXCLUDED.search_name, updated_at = now() \
         WHERE d.version <= EXCLUDED.version",
        company.company_id,
        company.legal_name,
        company.siren,
        company.is_firm,
        company.version,
        search_name,
    )
    .execute(conn)
    .await?;
    Ok(kept.rows_affected() == 1)
}

/// Records when `company` was created and the firm that owns it, as `company.created`
/// tells, whatever its version: a creation coming after an update is set aside by
/// [`keep_company`] but still says when the company was born. Only the first creation
/// time is kept, and the owning firm only while no ownership transfer is recorded (the
/// new owner of a transfer is an account, see [`note_transfer`]).
pub(crate) async fn note_creation(
    conn: &mut PgConnection,
    company: Uuid,
    create_time: DateTime<Utc>,
    owner_firm: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE directory_company SET create_time = $2, \
             owner_firm_id = CASE WHEN ownership_event_id IS NULL THEN $3::uuid END \
         WHERE company_id = $1 AND create_time IS NULL",
        company,
        create_time,
        owner_firm,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Records that `company` changed owner by the event `event_id`: the new owner is an
/// account, so no firm owns it any more, whatever `company.created` said or will say
/// (see [`note_creation`]). A company not yet announced is added at version 0 with an
/// empty name, which its announcement fills in ([`keep_company`]). An event older than
/// the transfer recorded changes nothing. False when it was set aside.
pub(crate) async fn note_transfer(
    conn: &mut PgConnection,
    company: Uuid,
    event_id: Uuid,
) -> Result<bool, sqlx::Error> {
    let kept = sqlx::query!(
        "INSERT INTO directory_company AS d \
             (company_id, legal_name, siren, is_firm, version, ownership_event_id) \
         VALUES ($1, '', '', false, 0, $2) \
         ON CONFLICT (company_id) DO UPDATE SET owner_firm_id = NULL, \
             ownership_event_id = EXCLUDED.ownership_event_id, updated_at = now() \
         WHERE d.ownership_event_id IS NULL OR d.ownership_event_id < EXCLUDED.ownership_event_id",
        company,
        event_id,
    )
    .execute(conn)
    .await?;
    Ok(kept.rows_affected() == 1)
}

/// Records that `firm` no longer owns its client `company` (it handed it over). The
/// transaction acts for `firm` (row-level security); a client the firm has no row for
/// changes nothing.
pub(crate) async fn disown(
    conn: &mut PgConnection,
    firm: Uuid,
    company: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE firm_client SET owned_by_firm = false, updated_at = now() \
         WHERE firm_id = $1 AND company_id = $2 AND owned_by_firm",
        firm,
        company,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Records that `firm` holds (or no longer holds) a grant on `company`, as of the event
/// `event_id` (a UUIDv7: later events sort after). An event older than the one last
/// applied to the pair changes nothing, so a late grant cannot undo a revocation. False
/// when it was set aside. The transaction acts for `firm` (row-level security).
pub(crate) async fn keep_grant(
    conn: &mut PgConnection,
    firm: Uuid,
    company: Uuid,
    granted: bool,
    event_id: Uuid,
) -> Result<bool, sqlx::Error> {
    let kept = sqlx::query!(
        "INSERT INTO firm_client AS f (firm_id, company_id, granted, event_id) \
         VALUES ($1, $2, $3, $4) \
         ON CONFLICT (firm_id, company_id) DO UPDATE SET granted = EXCLUDED.granted, \
             event_id = EXCLUDED.event_id, updated_at = now() \
         WHERE f.event_id < EXCLUDED.event_id",
        firm,
        company,
        granted,
        event_id,
    )
    .execute(conn)
    .await?;
    Ok(kept.rows_affected() == 1)
}

/// Records the firm's own facts about a client it has just created (or taken on): its
/// code dossier and whether the firm owns it. A client not yet known from its grant
/// event is added as connected, as of no event (the nil id sorts before every event, so
/// the grant's own events, whichever way they go, still apply). A code dossier another
/// client of the firm holds breaks `firm_client_file_code`.
#[allow(
    dead_code,
    reason = "client creation (app::firm) calls it; it lands apart from the list"
)]
pub(crate) async fn record_client(
    conn: &mut PgConnection,
    firm: Uuid,
    company: Uuid,
    file_code: &str,
    owned_by_firm: bool,
) -> Result<(), sqlx::Error> {
    let search_code = search_key(file_code);
    sqlx::query!(
        "INSERT INTO firm_client AS f \
             (firm_id, company_id, granted, event_id, file_code, search_code, owned_by_firm) \
         VALUES ($1, $2, true, $3, $4, $5, $6) \
         ON CONFLICT (firm_id, company_id) DO UPDATE SET file_code = EXCLUDED.file_code, \
             search_code = EXCLUDED.search_code, owned_by_firm = EXCLUDED.owned_by_firm, \
             updated_at = now()",
        firm,
        company,
        Uuid::nil(),
        file_code,
        search_code,
        owned_by_firm,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Replaces the portfolio managers of the firm's client `company` with `managers`
/// (none unassigns everyone). The client must be one of the firm's (a foreign key to
/// `firm_client`).
#[allow(
    dead_code,
    reason = "client creation (app::firm) calls it; it lands apart from the list"
)]
pub(crate) async fn set_managers(
    conn: &mut PgConnection,
    firm: Uuid,
    company: Uuid,
    managers: &[Uuid],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "DELETE FROM client_manager WHERE firm_id = $1 AND company_id = $2 \
             AND NOT user_id = ANY($3)",
        firm,
        company,
        managers,
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "INSERT INTO client_manager (firm_id, company_id, user_id) \
         SELECT $1, $2, u FROM unnest($3::uuid[]) AS u \
         ON CONFLICT DO NOTHING",
        firm,
        company,
        managers,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Records that `user` is (or is no longer) a member of `company`, as of the event
/// `event_id`, then counts the company's users again. An event older than the one last
/// applied to the pair changes nothing. False when it was set aside.
pub(crate) async fn keep_membership(
    conn: &mut PgConnection,
    company: Uuid,
    user: Uuid,
    active: bool,
    event_id: Uuid,
) -> Result<bool, sqlx::Error> {
    let kept = sqlx::query!(
        "INSERT INTO client_member AS m (company_id, user_id, active, event_id) \
         VALUES ($1, $2, $3, $4) \
         ON CONFLICT (company_id, user_id) DO UPDATE SET active = EXCLUDED.active, \
             event_id = EXCLUDED.event_id, updated_at = now() \
         WHERE m.event_id < EXCLUDED.event_id",
        company,
        user,
        active,
        event_id,
    )
    .execute(&mut *conn)
    .await?;
    // Counted, not incremented: the count is right whatever order the events came in.
    sqlx::query!(
        "INSERT INTO client_activity AS a (company_id, user_count) \
         SELECT $1, count(*) FROM client_member WHERE company_id = $1 AND active \
         ON CONFLICT (company_id) DO UPDATE SET user_count = EXCLUDED.user_count, \
             updated_at = now()",
        company,
    )
    .execute(conn)
    .await?;
    Ok(kept.rows_affected() == 1)
}

/// Records `company`'s lock date (None: cleared) as of the event `event_id`; an event
/// older than the one that set the date held changes nothing. False when set aside.
pub(crate) async fn keep_lock_date(
    conn: &mut PgConnection,
    company: Uuid,
    lock_date: Option<NaiveDate>,
    event_id: Uuid,
) -> Result<bool, sqlx::Error> {
    let kept = sqlx::query!(
        "INSERT INTO client_activity AS a (company_id, lock_date, lock_event_id) \
         VALUES ($1, $2, $3) \
         ON CONFLICT (company_id) DO UPDATE SET lock_date = EXCLUDED.lock_date, \
             lock_event_id = EXCLUDED.lock_event_id, updated_at = now() \
         WHERE a.lock_event_id IS NULL OR a.lock_event_id < EXCLUDED.lock_event_id",
        company,
        lock_date,
        event_id,
    )
    .execute(conn)
    .await?;
    Ok(kept.rows_affected() == 1)
}

/// Records that `company` issued an invoice dated `issue_date`: the last invoice date
/// only moves forward, so invoices may come in any order.
pub(crate) async fn note_invoice(
    conn: &mut PgConnection,
    company: Uuid,
    issue_date: NaiveDate,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO client_activity AS a (company_id, last_invoice_date) VALUES ($1, $2) \
         ON CONFLICT (company_id) DO UPDATE \
             SET last_invoice_date = greatest(a.last_invoice_date, EXCLUDED.last_invoice_date), \
                 updated_at = now()",
        company,
        issue_date,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Adds `amount` (negative for a credit note) to `company`'s turnover of `year`. A sum:
/// the inbox applies each event once, which is what keeps a redelivery from adding
/// twice.
pub(crate) async fn add_turnover(
    conn: &mut PgConnection,
    company: Uuid,
    year: i32,
    amount: Decimal,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO client_turnover AS t (company_id, year, net_amount) VALUES ($1, $2, $3) \
         ON CONFLICT (company_id, year) DO UPDATE \
             SET net_amount = t.net_amount + EXCLUDED.net_amount, updated_at = now()",
        company,
        year,
        amount,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A client as the firm's list shows it.
#[derive(Debug, Clone)]
pub(crate) struct ClientRow {
    pub(crate) company_id: Uuid,
    pub(crate) legal_name: String,
    pub(crate) file_code: String,
    pub(crate) siren: String,
    pub(crate) create_time: DateTime<Utc>,
    pub(crate) lock_date: Option<NaiveDate>,
    pub(crate) user_count: i32,
    pub(crate) managers: Vec<Uuid>,
    pub(crate) status: ClientStatus,
    pub(crate) last_invoice_date: Option<NaiveDate>,
    pub(crate) turnover: Decimal,
    pub(crate) owned_by_firm: bool,
    /// The row's value of the listing's order, as the database writes it: with the
    /// company id, the position a page token carries.
    pub(crate) sort_key: String,
}

/// What a listing reads: the firm, who is reaching, which listing, and the year whose
/// turnover is shown.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ListScope<'a> {
    pub(crate) firm: Uuid,
    pub(crate) reach: Reach,
    pub(crate) listing: &'a Listing,
    pub(crate) year: i32,
}

/// The SQL expression a listing is ordered by, and its type (a cursor's text is cast
/// back to it). Never NULL: clients without a date sort first in ascending order.
fn order_expression(order: ClientOrder) -> (&'static str, &'static str) {
    match order {
        ClientOrder::LegalName => ("d.search_name", "text"),
        ClientOrder::FileCode => ("f.search_code", "text"),
        ClientOrder::Siren => ("d.siren", "text"),
        ClientOrder::CreateTime => ("coalesce(d.create_time, d.created_at)", "timestamptz"),
        ClientOrder::LockDate => ("coalesce(a.lock_date, '-infinity'::date)", "date"),
        ClientOrder::UserCount => ("coalesce(a.user_count, 0)", "integer"),
        ClientOrder::Status => ("(NOT f.granted)", "boolean"),
        ClientOrder::LastInvoiceDate => {
            ("coalesce(a.last_invoice_date, '-infinity'::date)", "date")
        }
        ClientOrder::Turnover => ("coalesce(t.net_amount, 0)", "numeric"),
    }
}

/// Appends the tables and conditions of a listing: the firm's clients it reaches, with
/// the listing's filters.
fn push_clients(query: &mut QueryBuilder<Postgres>, scope: &ListScope<'_>) {
    query.push(
        " FROM firm_client f \
          JOIN directory_company d ON d.company_id = f.company_id \
          LEFT JOIN client_activity a ON a.company_id = f.company_id \
          LEFT JOIN client_turnover t ON t.company_id = f.company_id AND t.year = ",
    );
    query.push_bind(scope.year);
    query.push(" WHERE f.firm_id = ");
    query.push_bind(scope.firm);
    if let Reach::AssignedTo(member) = scope.reach {
        query.push(
            " AND EXISTS (SELECT 1 FROM client_manager m WHERE m.firm_id = f.firm_id \
              AND m.company_id = f.company_id AND m.user_id = ",
        );
        query.push_bind(member);
        query.push(")");
    }
    let filter = &scope.listing.filter;
    if let Some(manager) = filter.manager {
        query.push(
            " AND EXISTS (SELECT 1 FROM client_manager m WHERE m.firm_id = f.firm_id \
              AND m.company_id = f.company_id AND m.user_id = ",
        );
        query.push_bind(manager);
        query.push(")");
    }
    if let Some(status) = filter.status {
        query.push(" AND f.granted = ");
        query.push_bind(status.granted());
    }
    if let Some(text) = &filter.text {
        // `strpos`, not LIKE: the searched text needs no escaping of `%` and `_`.
        query.push(" AND (strpos(d.search_name, ");
        query.push_bind(text.clone());
        query.push(") > 0 OR strpos(f.search_code, ");
        query.push_bind(text.clone());
        query.push(") > 0 OR strpos(d.siren, ");
        query.push_bind(text.replace(' ', ""));
        query.push(") > 0)");
    }
}

/// The clients a listing shows, in its order (ties broken by company id, in the same
/// direction), after the `(sort key, company id)` position `after`, at most `limit` of
/// them (None: all).
pub(crate) async fn list(
    conn: &mut PgConnection,
    scope: &ListScope<'_>,
    after: Option<(&str, Uuid)>,
    limit: Option<i64>,
) -> Result<Vec<ClientRow>, sqlx::Error> {
    let (expression, sql_type) = order_expression(scope.listing.order);
    let (direction, beyond) = if scope.listing.descending {
        ("DESC", "<")
    } else {
        ("ASC", ">")
    };
    let mut query = QueryBuilder::new(
        "SELECT d.company_id, d.legal_name, f.file_code, d.siren, \
             coalesce(d.create_time, d.created_at) AS create_time, a.lock_date, \
             coalesce(a.user_count, 0) AS user_count, \
             ARRAY(SELECT m.user_id FROM client_manager m WHERE m.firm_id = f.firm_id \
                   AND m.company_id = f.company_id ORDER BY m.user_id) AS managers, \
             f.granted, a.last_invoice_date, \
             coalesce(t.net_amount, 0)::numeric AS turnover, \
             (f.owned_by_firm OR coalesce(d.owner_firm_id = f.firm_id, false)) AS owned, ",
    );
    query.push(format_args!("({expression})::text AS sort_key"));
    push_clients(&mut query, scope);
    if let Some((key, company)) = after {
        query.push(format_args!(" AND ({expression}, f.company_id) {beyond} ("));
        query.push_bind(key.to_owned());
        query.push(format_args!("::{sql_type}, "));
        query.push_bind(company);
        query.push(")");
    }
    query.push(format_args!(
        " ORDER BY {expression} {direction}, f.company_id {direction}"
    ));
    if let Some(limit) = limit {
        query.push(" LIMIT ");
        query.push_bind(limit);
    }
    // Assembled at run time (the order column and the filters vary), so not a
    // compile-checked `query!`: every value is bound, only the fixed expressions of
    // `order_expression` are written in.
    let rows = query.build().fetch_all(conn).await?;
    rows.iter().map(client_row).collect()
}

/// How many clients a listing shows, over all its pages.
pub(crate) async fn count(
    conn: &mut PgConnection,
    scope: &ListScope<'_>,
) -> Result<i64, sqlx::Error> {
    let mut query = QueryBuilder::new("SELECT count(*)");
    push_clients(&mut query, scope);
    // Assembled at run time, as `list` is.
    query.build_query_scalar().fetch_one(conn).await
}

fn client_row(row: &sqlx::postgres::PgRow) -> Result<ClientRow, sqlx::Error> {
    Ok(ClientRow {
        company_id: row.try_get("company_id")?,
        legal_name: row.try_get("legal_name")?,
        file_code: row.try_get("file_code")?,
        siren: row.try_get("siren")?,
        create_time: row.try_get("create_time")?,
        lock_date: row.try_get("lock_date")?,
        user_count: row.try_get("user_count")?,
        managers: row.try_get("managers")?,
        status: ClientStatus::of_grant(row.try_get("granted")?),
        last_invoice_date: row.try_get("last_invoice_date")?,
        turnover: row.try_get("turnover")?,
        owned_by_firm: row.try_get("owned")?,
        sort_key: row.try_get("sort_key")?,
    })
}
