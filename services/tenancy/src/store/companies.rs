//! Companies: their legal identity and bank account, the row lock that serialises changes to one company,
//! and the companies a user may act on.

use chrono::{DateTime, Utc};
use comptoir_domain_types::fields::Violations;
use comptoir_domain_types::party::PostalAddress;
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::firms::Owner;
use crate::domain::{BankAccount, CompanyKind, LegalIdentity, NewCompany, OWNER_ROLE};
use crate::error::Error;

/// A stored company: its legal identity as written by the service (valid by construction).
#[derive(Debug, Clone)]
pub(crate) struct CompanyRow {
    pub(crate) company_id: Uuid,
    pub(crate) legal_name: String,
    pub(crate) legal_form: Option<String>,
    pub(crate) siren: String,
    pub(crate) nic: String,
    pub(crate) ape_code: Option<String>,
    pub(crate) vat_number: Option<String>,
    pub(crate) rcs_city: Option<String>,
    pub(crate) share_capital: Option<Decimal>,
    pub(crate) share_capital_currency: Option<String>,
    pub(crate) address_line1: String,
    pub(crate) address_line2: Option<String>,
    pub(crate) postal_code: String,
    pub(crate) city: String,
    pub(crate) country_code: String,
    pub(crate) director_name: Option<String>,
    pub(crate) director_email: Option<String>,
    pub(crate) director_phone: Option<String>,
    /// The IBAN, upper case without spaces (`None`: no bank account).
    pub(crate) iban: Option<String>,
    /// The BIC, only beside an IBAN.
    pub(crate) bic: Option<String>,
    pub(crate) kind: String,
    /// 1 at creation, one more at each identity change (see the company events).
    pub(crate) version: i64,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
}

impl CompanyRow {
    pub(crate) fn kind(&self) -> CompanyKind {
        CompanyKind::from_stored(&self.kind).unwrap_or(CompanyKind::Company)
    }

    /// The bank account as stored, parsed again (the service wrote it parsed, so this
    /// never drops one).
    pub(crate) fn bank_account(&self) -> Option<BankAccount> {
        let mut refused = Violations::new();
        BankAccount::parse(
            self.iban.as_deref()?,
            self.bic.as_deref().unwrap_or_default(),
            &mut refused,
        )
        .flatten()
    }

    /// The registered address as stored, an empty second line for none.
    pub(crate) fn address(&self) -> PostalAddress {
        PostalAddress {
            line1: self.address_line1.clone(),
            line2: self.address_line2.clone().unwrap_or_default(),
            postal_code: self.postal_code.clone(),
            city: self.city.clone(),
            country_code: self.country_code.clone(),
        }
    }
}

/// A company with the caller's role in it.
#[derive(Debug, Clone)]
pub(crate) struct MembershipRow {
    pub(crate) company: CompanyRow,
    pub(crate) role: String,
    pub(crate) joined_at: DateTime<Utc>,
}

/// The [`CompanyRow`] of a record `query!` read with a company's columns and more (the
/// macros build one struct per query, and `query_as!` cannot fill a nested struct).
macro_rules! company_row {
    ($row:expr) => {
        CompanyRow {
            company_id: $row.company_id,
            legal_name: $row.legal_name,
            legal_form: $row.legal_form,
            siren: $row.siren,
            nic: $row.nic,
            ape_code: $row.ape_code,
            vat_number: $row.vat_number,
            rcs_city: $row.rcs_city,
            share_capital: $row.share_capital,
            share_capital_currency: $row.share_capital_currency,
            address_line1: $row.address_line1,
            address_line2: $row.address_line2,
            postal_code: $row.postal_code,
            city: $row.city,
            country_code: $row.country_code,
            director_name: $row.director_name,
            director_email: $row.director_email,
            director_phone: $row.director_phone,
            iban: $row.iban,
            bic: $row.bic,
            kind: $row.kind,
            version: $row.version,
            created_at: $row.created_at,
            updated_at: $row.updated_at,
        }
    };
}

/// The SIRET is the platform-wide key of a company; its unique constraint is the one
/// source of truth, so two concurrent creations cannot both win.
fn siret_taken(identity: &LegalIdentity) -> impl FnOnce(sqlx::Error) -> Error + '_ {
    move |err| match &err {
        sqlx::Error::Database(db) if db.constraint() == Some("company_siret_key") => {
            Error::SiretTaken(identity.siret.to_string())
        }
        _ => Error::Db(err),
    }
}

/// The identity's columns, from `legal_name` on, as the insert and the update bind them.
struct IdentityColumns<'a> {
    legal_name: &'a str,
    legal_form: Option<&'a str>,
    nic: &'a str,
    ape_code: Option<&'a str>,
    vat_number: Option<&'a str>,
    rcs_city: Option<&'a str>,
    share_capital: Option<Decimal>,
    share_capital_currency: Option<&'a str>,
    address_line1: &'a str,
    address_line2: Option<&'a str>,
    postal_code: &'a str,
    city: &'a str,
    country_code: &'a str,
    director_name: Option<&'a str>,
    director_email: Option<&'a str>,
    director_phone: Option<&'a str>,
    iban: Option<&'a str>,
    bic: Option<&'a str>,
}

impl<'a> IdentityColumns<'a> {
    fn of(identity: &'a LegalIdentity) -> Self {
        let capital = identity.share_capital.as_ref();
        let address = &identity.address;
        let director = &identity.director;
        Self {
            legal_name: identity.legal_name.as_str(),
            legal_form: identity.legal_form.as_ref().map(|f| f.as_str()),
            nic: identity.siret.nic().as_str(),
            ape_code: identity.ape_code.as_ref().map(|c| c.as_str()),
            vat_number: identity.vat_number.as_ref().map(|v| v.as_str()),
            rcs_city: identity.rcs_city.as_ref().map(|c| c.as_str()),
            share_capital: capital.map(|c| c.amount),
            share_capital_currency: capital.map(|c| c.currency.as_str()),
            address_line1: address.line1.as_str(),
            address_line2: address.line2.as_ref().map(|l| l.as_str()),
            postal_code: address.postal_code.as_str(),
            city: address.city.as_str(),
            country_code: address.country.as_str(),
            director_name: director.name.as_ref().map(|n| n.as_str()),
            director_email: director.email.as_ref().map(|e| e.as_str()),
            director_phone: director.phone.as_ref().map(|p| p.as_str()),
            iban: identity.bank_account.as_ref().map(|a| a.iban.as_str()),
            bic: identity
                .bank_account
                .as_ref()
                .and_then(|a| a.bic.as_ref())
                .map(|b| b.as_str()),
        }
    }
}

/// `query_as!` of a [`CompanyRow`] with `$sql`, its leading arguments, then the
/// [`IdentityColumns`] `$c` in their order.
macro_rules! company_with_identity {
    ($sql:literal, $($arg:expr,)* ; $c:ident) => {
        sqlx::query_as!(
            CompanyRow,
            $sql,
            $($arg,)*
            $c.legal_name,
            $c.legal_form,
            $c.nic,
            $c.ape_code,
            $c.vat_number,
            $c.rcs_city,
            $c.share_capital,
            $c.share_capital_currency,
            $c.address_line1,
            $c.address_line2,
            $c.postal_code,
            $c.city,
            $c.country_code,
            $c.director_name,
            $c.director_email,
            $c.director_phone,
            $c.iban,
            $c.bic,
        )
    };
}

/// Inserts the company, created by `created_by`, and, when an account owns it, the
/// owner's membership (a firm owning its client is no member: it reaches the client through
/// its grant), in a transaction acting for `company_id`.
pub(crate) async fn insert_company(
    conn: &mut PgConnection,
    company_id: Uuid,
    owner: Owner,
    created_by: Uuid,
    new: &NewCompany,
) -> Result<CompanyRow, Error> {
    let identity = &new.identity;
    let c = IdentityColumns::of(identity);
    let company = company_with_identity!(
        "INSERT INTO company AS c (company_id, kind, owner_id, owner_firm_id, created_by, \
             siren, legal_name, legal_form, nic, ape_code, vat_number, rcs_city, share_capital, \
             share_capital_currency, address_line1, address_line2, postal_code, city, \
             country_code, director_name, director_email, director_phone, iban, bic) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
             $18, $19, $20, $21, $22, $23, $24) \
         RETURNING c.company_id, c.legal_name, c.legal_form, c.siren, c.nic, \
             c.ape_code, c.vat_number, c.rcs_city, c.share_capital, c.share_capital_currency, \
             c.address_line1, c.address_line2, c.postal_code, c.city, c.country_code, \
             c.director_name, c.director_email, c.director_phone, c.iban, c.bic, c.kind, c.version, \
             c.created_at, c.updated_at",
        company_id,
        new.kind.as_str(),
        owner.user(),
        owner.firm(),
        created_by.to_string(),
        identity.siret.siren().as_str(),
        ; c
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(siret_taken(identity))?;
    if let Owner::User(owner) = owner {
        sqlx::query!(
            "INSERT INTO membership (company_id, user_id, role) VALUES ($1, $2, $3)",
            company.company_id,
            owner,
            OWNER_ROLE,
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(company)
}

/// The company, if `user` may act on it: a member, or through an accounting firm's grant.
pub(crate) async fn company_visible_to(
    conn: &mut PgConnection,
    user: Uuid,
    company_id: Uuid,
) -> Result<Option<CompanyRow>, Error> {
    Ok(sqlx::query_as!(
        CompanyRow,
        "SELECT c.company_id, c.legal_name, c.legal_form, c.siren, c.nic, \
             c.ape_code, c.vat_number, c.rcs_city, c.share_capital, c.share_capital_currency, \
             c.address_line1, c.address_line2, c.postal_code, c.city, c.country_code, \
             c.director_name, c.director_email, c.director_phone, c.iban, c.bic, c.kind, c.version, \
             c.created_at, c.updated_at \
         FROM company c JOIN company_access a USING (company_id) \
         WHERE c.company_id = $1 AND a.user_id = $2 LIMIT 1",
        company_id,
        user,
    )
    .fetch_optional(conn)
    .await?)
}

/// A company locked for update, with the caller's way into it.
#[derive(Debug, Clone)]
pub(crate) struct LockedCompany {
    pub(crate) company: CompanyRow,
    /// The caller's role in the company.
    pub(crate) role: String,
    /// True when the role comes through a firm grant.
    pub(crate) through_firm: bool,
}

/// The company and `user`'s role in it, chosen as `app::access::check` chooses (their own
/// membership before a firm's grant), locked until the transaction ends so concurrent
/// updates apply one after the other; `None` if `user` may not act on it.
pub(crate) async fn company_for_update(
    conn: &mut PgConnection,
    user: Uuid,
    company_id: Uuid,
) -> Result<Option<LockedCompany>, Error> {
    // `!`: a view's columns are described as nullable; both sides of company_access's
    // UNION take them from NOT NULL columns or literals.
    let row = sqlx::query!(
        r#"SELECT c.company_id, c.legal_name, c.legal_form, c.siren, c.nic,
                  c.ape_code, c.vat_number, c.rcs_city, c.share_capital, c.share_capital_currency,
                  c.address_line1, c.address_line2, c.postal_code, c.city, c.country_code,
                  c.director_name, c.director_email, c.director_phone, c.iban, c.bic, c.kind, c.version,
                  c.created_at, c.updated_at,
                  a.role AS "role!", a.through_firm AS "through_firm!"
             FROM company c JOIN company_access a USING (company_id)
            WHERE c.company_id = $1 AND a.user_id = $2
            ORDER BY a.through_firm, a.role LIMIT 1
              FOR UPDATE OF c"#,
        company_id,
        user,
    )
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|row| LockedCompany {
        role: row.role,
        through_firm: row.through_firm,
        company: company_row!(row),
    }))
}

/// Replaces the company's legal identity (SIREN and kind never change).
pub(crate) async fn update_company(
    conn: &mut PgConnection,
    company_id: Uuid,
    identity: &LegalIdentity,
) -> Result<CompanyRow, Error> {
    let c = IdentityColumns::of(identity);
    company_with_identity!(
        "UPDATE company AS c SET legal_name = $2, legal_form = $3, nic = $4, ape_code = $5, \
             vat_number = $6, rcs_city = $7, share_capital = $8, share_capital_currency = $9, \
             address_line1 = $10, address_line2 = $11, postal_code = $12, city = $13, \
             country_code = $14, director_name = $15, director_email = $16, \
             director_phone = $17, iban = $18, bic = $19, version = c.version + 1, \
             updated_at = now() \
         WHERE c.company_id = $1 \
         RETURNING c.company_id, c.legal_name, c.legal_form, c.siren, c.nic, \
             c.ape_code, c.vat_number, c.rcs_city, c.share_capital, c.share_capital_currency, \
             c.address_line1, c.address_line2, c.postal_code, c.city, c.country_code, \
             c.director_name, c.director_email, c.director_phone, c.iban, c.bic, c.kind, c.version, \
             c.created_at, c.updated_at",
        company_id,
        ; c
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(siret_taken(identity))
}

/// Every company `user` may act on (directly, or through a firm grant when direct access
/// is missing), in joining order, after the `(joined_at, company_id)` cursor.
pub(crate) async fn memberships(
    conn: &mut PgConnection,
    user: Uuid,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<MembershipRow>, Error> {
    let (after_at, after_id) = after.unzip();
    // `!`: company_access's columns are described as nullable (see [`company_for_update`]).
    let rows = sqlx::query!(
        r#"SELECT c.company_id, c.legal_name, c.legal_form, c.siren, c.nic,
                  c.ape_code, c.vat_number, c.rcs_city, c.share_capital, c.share_capital_currency,
                  c.address_line1, c.address_line2, c.postal_code, c.city, c.country_code,
                  c.director_name, c.director_email, c.director_phone, c.iban, c.bic, c.kind, c.version,
                  c.created_at, c.updated_at,
                  a.role AS "role!", a.since AS "joined_at!"
             FROM (SELECT DISTINCT ON (company_id) company_id, role, since FROM company_access
                    WHERE user_id = $1 ORDER BY company_id, through_firm, role) a
             JOIN company c USING (company_id)
            WHERE ($2::timestamptz IS NULL OR (a.since, a.company_id) > ($2, $3))
            ORDER BY a.since, a.company_id LIMIT $4"#,
        user,
        after_at,
        after_id,
        limit,
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| MembershipRow {
            role: row.role,
            joined_at: row.joined_at,
            company: company_row!(row),
        })
        .collect())
}

/// The owner and kind of a company, read under a row lock.
pub(crate) struct Locked {
    /// An account or a firm (`None` only if the database broke `company_one_owner`).
    pub(crate) owner: Option<Owner>,
    pub(crate) kind: String,
}

impl Locked {
    /// True when the account `user` owns the company (never so for a firm-owned client).
    pub(crate) fn owned_by(&self, user: Uuid) -> bool {
        self.owner.and_then(Owner::user) == Some(user)
    }
}

/// Locks the company row for the rest of the transaction.
pub(crate) async fn lock_company(conn: &mut PgConnection, company: Uuid) -> Result<Locked, Error> {
    let row = sqlx::query!(
        "SELECT owner_id, owner_firm_id, kind FROM company WHERE company_id = $1 FOR UPDATE",
        company,
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| Error::CompanyNotFound(company.to_string()))?;
    Ok(Locked {
        owner: Owner::from_columns(row.owner_id, row.owner_firm_id),
        kind: row.kind,
    })
}

/// The director's e-mail as the company's identity records it, if any.
pub(crate) async fn director_email(
    conn: &mut PgConnection,
    company: Uuid,
) -> Result<Option<String>, sqlx::Error> {
    Ok(sqlx::query_scalar!(
        "SELECT director_email FROM company WHERE company_id = $1",
        company,
    )
    .fetch_optional(conn)
    .await?
    .flatten())
}
