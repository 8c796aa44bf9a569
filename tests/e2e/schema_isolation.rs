//! Each service's role reads and writes its own schema only.

use comptoir_runtime::db::schema_of;

use crate::platform::{ALL, Platform};

#[tokio::test]
async fn a_service_role_cannot_read_or_write_another_services_schema() {
    let platform = Platform::start().await;
    let token = platform.user_token("iso@example.fr").await;
    platform
        .create_company(&token, "Cloisons SARL", "732829320")
        .await;

    for spec in &ALL {
        let mut conn = platform.db.as_role(spec).await;
        let own = schema_of(spec.name);
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM {own}.outbox"
        )))
        .fetch_one(&mut conn)
        .await
        .unwrap_or_else(|err| panic!("{} reads its own schema: {err}", spec.name));
        for other in ALL.iter().filter(|o| o.name != spec.name) {
            let schema = schema_of(other.name);
            for sql in [
                format!("SELECT count(*) FROM {schema}.outbox"),
                format!(
                    "INSERT INTO {schema}.inbox (consumer, event_id, subject) VALUES ('x', gen_random_uuid(), 'x')"
                ),
                format!("CREATE TABLE {schema}.intruder (x int)"),
            ] {
                let err = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                    .execute(&mut conn)
                    .await
                    .expect_err(&format!("{} must not run `{sql}`", spec.name));
                let code = err
                    .as_database_error()
                    .and_then(|e| e.code())
                    .map(|c| c.into_owned());
                assert_eq!(
                    code.as_deref(),
                    Some("42501"),
                    "{}: `{sql}` → {err}",
                    spec.name
                );
            }
        }
    }

    // And concretely: billing cannot see the company tenancy wrote.
    let mut billing = platform.db.as_role(&comptoir_billing::SPEC).await;
    let err = sqlx::query("SELECT legal_name FROM tenancy.company")
        .fetch_all(&mut billing)
        .await
        .expect_err("billing must not read tenancy.company");
    assert!(err.to_string().contains("permission denied"), "{err}");
    platform.stop().await;
}
