//! The database guards tenancy's schema against tenancy's own runtime role: whatever a
//! bug in the service runs, the schema, its tables, triggers and row-level security stay
//! as the migrations made them, and the audit trail only grows.

use comptoir_test_support::{TestDb, assert_refused, assert_schema_guarded, attempt};

#[tokio::test]
async fn the_runtime_role_can_neither_become_the_owner_nor_change_the_schema() {
    let db = TestDb::new(&[comptoir_tenancy::SPEC]).await;
    assert_schema_guarded(&db, &comptoir_tenancy::SPEC).await;
}

#[tokio::test]
async fn the_audit_trail_is_append_only_even_for_the_runtime_role() {
    let db = TestDb::new(&[comptoir_tenancy::SPEC]).await;
    let company = uuid::Uuid::new_v4().to_string();
    sqlx::query(
        "INSERT INTO tenancy.audit_event (company_id, actor, action) \
         VALUES ($1::uuid, 'user:1', 'company.created')",
    )
    .bind(&company)
    .execute(&mut db.admin().await)
    .await
    .expect("an audit entry written as superuser");

    let mut conn = db
        .runtime_tx(
            &comptoir_tenancy::SPEC,
            &[("comptoir.company_id", &company), ("comptoir.user_id", "")],
        )
        .await;
    for sql in [
        "DELETE FROM audit_event".to_owned(),
        format!("DELETE FROM audit_event WHERE company_id = '{company}'"),
        "UPDATE audit_event SET actor = 'user:2'".to_owned(),
    ] {
        assert_refused(&mut conn, &sql).await;
    }

    // The runtime role lacks the grants, so the trigger is what stops everyone else:
    // even a superuser's change is refused by it.
    let mut admin = db.admin().await;
    sqlx::query("BEGIN")
        .execute(&mut admin)
        .await
        .expect("BEGIN");
    for sql in [
        format!("DELETE FROM tenancy.audit_event WHERE company_id = '{company}'"),
        format!("UPDATE tenancy.audit_event SET actor = 'user:2' WHERE company_id = '{company}'"),
    ] {
        let refusal = attempt(&mut admin, &sql).await;
        assert_eq!(
            refusal.map(|r| r.code).as_deref(),
            Some("CT002"),
            "{sql} as superuser"
        );
    }
}

/// Two companies, A and B, written as superuser: each with a member, a custom role, an
/// invitation (token hash 0x00 for A, 0x01 for B) and an audit entry; firm F (alike, hash
/// 0x02) holds a grant on B, where F's Administrator is portfolio manager.
struct TwoTenants {
    a: String,
    user_a: String,
    b: String,
    firm: String,
    user_f: String,
}

async fn two_tenants(db: &TestDb) -> TwoTenants {
    let [a, b, firm] = [(); 3].map(|_| uuid::Uuid::now_v7().to_string());
    let [user_a, user_b, user_f] = [(); 3].map(|_| uuid::Uuid::now_v7().to_string());
    let mut admin = db.admin().await;
    let mut rows = Vec::new();
    for (i, (company, user, kind)) in [
        (&a, &user_a, "company"),
        (&b, &user_b, "company"),
        (&firm, &user_f, "firm"),
    ]
    .into_iter()
    .enumerate()
    {
        rows.push(format!(
            "INSERT INTO tenancy.company (company_id, legal_name, siren, nic, address_line1, \
                 postal_code, city, country_code, kind, owner_id, created_by) \
             VALUES ('{company}', 'Tenant {i}', '73282932{i}', '00074', '1 rue', '75001', \
                 'Paris', 'FR', '{kind}', '{user}', '{user}');
             INSERT INTO tenancy.membership (company_id, user_id, role) \
             VALUES ('{company}', '{user}', 'administrator');
             INSERT INTO tenancy.custom_role (company_id, role_key, name, permissions) \
             VALUES ('{company}', 'clerk', 'Clerk', '{{documents.read}}');
             INSERT INTO tenancy.invitation (invitation_id, company_id, email, role, \
                 token_hash, invited_by, expires_at) \
             VALUES ('{}', '{company}', 'x@example.com', 'user', '\\x0{i}', '{user}', \
                 now() + interval '1 day');
             INSERT INTO tenancy.audit_event (company_id, actor, action) \
             VALUES ('{company}', '{user}', 'company.created');",
            uuid::Uuid::now_v7()
        ));
    }
    rows.push(format!(
        "INSERT INTO tenancy.firm_grant (firm_id, company_id, role) \
         VALUES ('{firm}', '{b}', 'accountant');
         INSERT INTO tenancy.portfolio_manager (firm_id, company_id, user_id) \
         VALUES ('{firm}', '{b}', '{user_f}');"
    ));
    sqlx::raw_sql(sqlx::AssertSqlSafe(rows.join("\n")))
        .execute(&mut admin)
        .await
        .expect("two tenants and a firm written as superuser");
    TwoTenants {
        a,
        user_a,
        b,
        firm,
        user_f,
    }
}

/// The tenant tables, each with the condition that picks a row of `company`.
fn tenant_rows(company: &str) -> [(&'static str, String); 6] {
    let own = format!("company_id = '{company}'");
    [
        ("membership", own.clone()),
        ("custom_role", own.clone()),
        ("invitation", own.clone()),
        (
            "firm_grant",
            format!("(firm_id = '{company}' OR company_id = '{company}')"),
        ),
        (
            "portfolio_manager",
            format!("(firm_id = '{company}' OR company_id = '{company}')"),
        ),
        ("audit_event", own),
    ]
}

async fn count(conn: &mut sqlx::PgConnection, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(conn)
        .await
        .unwrap_or_else(|err| panic!("{sql}: {err}"))
}

#[tokio::test]
async fn the_runtime_role_sees_and_writes_only_the_acting_companys_rows() {
    let db = TestDb::new(&[comptoir_tenancy::SPEC]).await;
    let tenants = two_tenants(&db).await;
    let (a, b) = (&tenants.a, &tenants.b);
    let mut conn = db
        .runtime_tx(
            &comptoir_tenancy::SPEC,
            &[
                ("comptoir.company_id", a.as_str()),
                ("comptoir.user_id", tenants.user_a.as_str()),
            ],
        )
        .await;

    // A's own rows are there, so an empty answer below is the policy, not a typo.
    for table in ["membership", "custom_role", "invitation", "audit_event"] {
        let sql = format!("SELECT count(*) FROM {table} WHERE company_id = '{a}'");
        assert_eq!(count(&mut conn, &sql).await, 1, "{sql} acting for A");
    }
    for (table, of_b) in tenant_rows(b) {
        let sql = format!("SELECT count(*) FROM {table} WHERE {of_b}");
        assert_eq!(count(&mut conn, &sql).await, 0, "{sql} acting for A");
        let sql = format!("SELECT count(*) FROM {table}");
        assert!(count(&mut conn, &sql).await <= 1, "{sql} acting for A");
    }
    let sql = format!("SELECT count(*) FROM company_access WHERE company_id = '{b}'");
    assert_eq!(count(&mut conn, &sql).await, 0, "{sql} acting for A");

    // Writing a row of B, or moving one of A's rows to B, is refused; B's rows are out of
    // reach of an update or a delete.
    let invitation = uuid::Uuid::now_v7();
    for sql in [
        format!(
            "INSERT INTO membership (company_id, user_id, role) VALUES ('{b}', gen_random_uuid(), 'user')"
        ),
        format!(
            "INSERT INTO custom_role (company_id, role_key, name, permissions) VALUES ('{b}', 'spy', 'Spy', '{{documents.read}}')"
        ),
        format!(
            "INSERT INTO invitation (invitation_id, company_id, email, role, token_hash, invited_by, expires_at) VALUES ('{invitation}', '{b}', 'spy@example.com', 'user', '\\xff', gen_random_uuid(), now())"
        ),
        format!(
            "INSERT INTO firm_grant (firm_id, company_id, role) VALUES ('{a}', '{b}', 'administrator')"
        ),
        format!(
            "INSERT INTO audit_event (company_id, actor, action) VALUES ('{b}', 'user:1', 'forged')"
        ),
        format!("UPDATE membership SET company_id = '{b}' WHERE company_id = '{a}'"),
        format!("UPDATE custom_role SET company_id = '{b}' WHERE company_id = '{a}'"),
        format!("UPDATE invitation SET company_id = '{b}' WHERE company_id = '{a}'"),
    ] {
        assert_refused(&mut conn, &sql).await;
    }
    let [grant_of_b, manager_of_b] = [3, 4].map(|i| tenant_rows(b)[i].1.clone());
    for sql in [
        format!("UPDATE membership SET role = 'user' WHERE company_id = '{b}' RETURNING 1"),
        format!("DELETE FROM membership WHERE company_id = '{b}' RETURNING 1"),
        format!("UPDATE custom_role SET name = 'Spy' WHERE company_id = '{b}' RETURNING 1"),
        format!("DELETE FROM custom_role WHERE company_id = '{b}' RETURNING 1"),
        format!("UPDATE invitation SET revoked_at = now() WHERE company_id = '{b}' RETURNING 1"),
        format!("UPDATE firm_grant SET role = 'administrator' WHERE {grant_of_b} RETURNING 1"),
        format!("DELETE FROM firm_grant WHERE {grant_of_b} RETURNING 1"),
        format!("DELETE FROM portfolio_manager WHERE {manager_of_b} RETURNING 1"),
    ] {
        assert_eq!(changed(&mut conn, &sql).await, 0, "{sql} acting for A");
    }
}

/// How many rows `sql` (with `RETURNING 1`) changes, rolled back afterwards.
async fn changed(conn: &mut sqlx::PgConnection, sql: &str) -> usize {
    sqlx::raw_sql("SAVEPOINT changed")
        .execute(&mut *conn)
        .await
        .expect("SAVEPOINT");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_all(&mut *conn)
        .await
        .unwrap_or_else(|err| panic!("{sql}: {err}"))
        .len();
    sqlx::raw_sql("ROLLBACK TO SAVEPOINT changed")
        .execute(&mut *conn)
        .await
        .expect("ROLLBACK TO SAVEPOINT");
    rows
}

#[tokio::test]
async fn without_an_acting_company_or_user_the_runtime_role_sees_no_tenant_row() {
    let db = TestDb::new(&[comptoir_tenancy::SPEC]).await;
    let tenants = two_tenants(&db).await;
    let mut conn = db.runtime_tx(&comptoir_tenancy::SPEC, &[]).await;
    for (table, _) in tenant_rows(&tenants.a) {
        let sql = format!("SELECT count(*) FROM {table}");
        assert_eq!(count(&mut conn, &sql).await, 0, "{sql} with no settings");
    }
    let sql = "SELECT count(*) FROM company_access";
    assert_eq!(count(&mut conn, sql).await, 0, "{sql} with no settings");
    // Set and emptied again (as a pooled connection is after a transaction) is unset.
    let mut conn = db
        .runtime_tx(
            &comptoir_tenancy::SPEC,
            &[("comptoir.company_id", ""), ("comptoir.user_id", "")],
        )
        .await;
    for (table, _) in tenant_rows(&tenants.b) {
        let sql = format!("SELECT count(*) FROM {table}");
        assert_eq!(count(&mut conn, &sql).await, 0, "{sql} with empty settings");
    }
}

#[tokio::test]
async fn row_level_security_is_enabled_and_forced_on_every_tenant_table() {
    let db = TestDb::new(&[comptoir_tenancy::SPEC]).await;
    let mut conn = db.runtime_tx(&comptoir_tenancy::SPEC, &[]).await;
    let unguarded: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
          WHERE n.nspname = 'tenancy' AND c.relname = ANY($1) \
            AND NOT (c.relrowsecurity AND c.relforcerowsecurity) ORDER BY 1",
    )
    .bind(tenant_rows("").map(|(table, _)| table.to_owned()).to_vec())
    .fetch_all(&mut conn)
    .await
    .expect("reading pg_class");
    assert!(
        unguarded.is_empty(),
        "RLS not enabled and forced on {unguarded:?}"
    );
    let policies: Vec<(String, String)> = sqlx::query_as(
        "SELECT tablename::text, policyname::text FROM pg_policies WHERE schemaname = 'tenancy'",
    )
    .fetch_all(&mut conn)
    .await
    .expect("reading pg_policies");
    for (table, policy) in &policies {
        assert_refused(&mut conn, &format!("DROP POLICY {policy} ON {table}")).await;
        assert_refused(
            &mut conn,
            &format!("ALTER POLICY {policy} ON {table} USING (true)"),
        )
        .await;
    }
    for (table, _) in tenant_rows("") {
        assert!(
            policies.iter().any(|(t, _)| t == table),
            "{table} has a policy: {policies:?}"
        );
        for sql in [
            format!("ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY"),
            format!("ALTER TABLE {table} DISABLE ROW LEVEL SECURITY"),
            format!("CREATE POLICY open ON {table} USING (true)"),
            format!(
                "SET ROLE comptoir_tenancy_owner; ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY"
            ),
        ] {
            assert_refused(&mut conn, &sql).await;
        }
    }
}

#[tokio::test]
async fn the_acting_user_reads_their_own_rows_elsewhere_but_writes_none_of_them() {
    let db = TestDb::new(&[comptoir_tenancy::SPEC]).await;
    let tenants = two_tenants(&db).await;
    let (b, firm, user_f) = (&tenants.b, &tenants.firm, &tenants.user_f);
    // The firm's Administrator, with no acting company (their list of companies).
    let mut conn = db
        .runtime_tx(&comptoir_tenancy::SPEC, &[("comptoir.user_id", user_f)])
        .await;
    for (sql, expected) in [
        (
            format!("SELECT count(*) FROM membership WHERE user_id = '{user_f}'"),
            1,
        ),
        (
            format!("SELECT count(*) FROM firm_grant WHERE firm_id = '{firm}'"),
            1,
        ),
        (
            format!("SELECT count(*) FROM portfolio_manager WHERE user_id = '{user_f}'"),
            1,
        ),
        (
            format!("SELECT count(*) FROM company_access WHERE user_id = '{user_f}'"),
            2,
        ),
        ("SELECT count(*) FROM membership".to_owned(), 1),
        ("SELECT count(*) FROM custom_role".to_owned(), 0),
        ("SELECT count(*) FROM invitation".to_owned(), 0),
        ("SELECT count(*) FROM audit_event".to_owned(), 0),
    ] {
        assert_eq!(
            count(&mut conn, &sql).await,
            expected,
            "{sql} as the firm's user"
        );
    }
    // Reading is not writing: they cannot join B, nor assign themselves to it, nor change
    // their own membership of the firm.
    for sql in [
        format!(
            "INSERT INTO membership (company_id, user_id, role) VALUES ('{b}', '{user_f}', 'administrator')"
        ),
        format!(
            "INSERT INTO portfolio_manager (firm_id, company_id, user_id) VALUES ('{firm}', '{b}', gen_random_uuid())"
        ),
        format!(
            "INSERT INTO audit_event (company_id, actor, action) VALUES ('{firm}', 'user:1', 'forged')"
        ),
    ] {
        assert_refused(&mut conn, &sql).await;
    }
    for sql in [
        format!("UPDATE membership SET role = 'user' WHERE user_id = '{user_f}' RETURNING 1"),
        format!("DELETE FROM firm_grant WHERE firm_id = '{firm}' RETURNING 1"),
        format!("DELETE FROM portfolio_manager WHERE user_id = '{user_f}' RETURNING 1"),
    ] {
        assert_eq!(
            changed(&mut conn, &sql).await,
            0,
            "{sql} as the firm's user"
        );
    }
}

#[tokio::test]
async fn an_invitation_token_opens_that_invitation_for_reading_only() {
    let db = TestDb::new(&[comptoir_tenancy::SPEC]).await;
    let tenants = two_tenants(&db).await;
    let b = &tenants.b;
    let mut conn = db
        .runtime_tx(
            &comptoir_tenancy::SPEC,
            &[
                ("comptoir.user_id", tenants.user_a.as_str()),
                ("comptoir.invitation_token", "01"),
            ],
        )
        .await;
    let sql = format!("SELECT count(*) FROM invitation WHERE company_id = '{b}'");
    assert_eq!(count(&mut conn, &sql).await, 1, "{sql} naming B's token");
    let sql = "SELECT count(*) FROM invitation";
    assert_eq!(count(&mut conn, sql).await, 1, "{sql} naming B's token");
    for table in ["membership", "custom_role", "audit_event"] {
        let sql = format!("SELECT count(*) FROM {table} WHERE company_id = '{b}'");
        assert_eq!(count(&mut conn, &sql).await, 0, "{sql} naming B's token");
    }
    let sql = "UPDATE invitation SET accepted_at = now() RETURNING 1";
    assert_eq!(changed(&mut conn, sql).await, 0, "{sql} naming B's token");
}
