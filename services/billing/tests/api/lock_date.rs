//! The lock date: who may lower it (an Administrator, with a reason, audited and
//! announced with both dates), and issuing racing a change of it.

use comptoir_proto::billing::v1::{
    ListAuditEventsRequest, SetLockDateRequest, SetLockDateResponse,
};
use comptoir_proto::events::v1::LockDateChanged;
use comptoir_runtime::permissions::{ACCOUNTANT, ALL};
use comptoir_test_support::{bad_fields, bearer, reason};
use prost::Message;
use tonic::Code;
use uuid::Uuid;

use crate::Env;

async fn set(
    env: &Env,
    token: &str,
    lock_date: &str,
    why: &str,
) -> Result<SetLockDateResponse, tonic::Status> {
    env.client()
        .await
        .set_lock_date(bearer(
            SetLockDateRequest {
                lock_date: lock_date.to_owned(),
                reason: why.to_owned(),
            },
            token,
        ))
        .await
        .map(|r| r.into_inner())
}

/// The `lock_date.changed` events of `company` in the outbox, oldest first.
async fn announced(env: &Env, company: Uuid) -> Vec<LockDateChanged> {
    let mut conn = env.harness.db.admin().await;
    let payloads: Vec<Vec<u8>> = sqlx::query_scalar(
        "SELECT payload FROM billing.outbox \
         WHERE company_id = $1 AND subject = 'comptoir.billing.lock_date.changed' \
         ORDER BY outbox_id",
    )
    .bind(company)
    .fetch_all(&mut conn)
    .await
    .unwrap();
    payloads
        .iter()
        .map(|p| LockDateChanged::decode(p.as_slice()).unwrap())
        .collect()
}

#[tokio::test]
async fn lowering_the_lock_date_needs_an_administrator_and_a_reason_and_is_audited_and_announced() {
    let env = Env::start().await;
    let company = env.company().await;
    let admin = env.admin_token(company).await;
    let accountant = env
        .token_as(company, ACCOUNTANT.key, ACCOUNTANT.permissions)
        .await;
    // An Accountant locks periods...
    set(&env, &accountant, "2026-01-31", "").await.unwrap();

    // ...but never unlocks them, whatever permissions their role was given.
    let mighty_accountant = env.token_as(company, ACCOUNTANT.key, &ALL).await;
    for token in [&accountant, &mighty_accountant] {
        let refused = set(&env, token, "2025-12-31", "Erreur de saisie")
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
        assert_eq!(reason(&refused), "LOCK_DATE_LOWERING_DENIED");
        let cleared = set(&env, token, "", "Erreur de saisie").await.unwrap_err();
        assert_eq!(cleared.code(), Code::PermissionDenied);
    }

    // An Administrator lowers it, giving a reason.
    let silent = set(&env, &admin, "2025-12-31", "  ").await.unwrap_err();
    assert_eq!(silent.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&silent), ["reason"]);
    let lowered = set(&env, &admin, "2025-12-31", "Avoir oublié sur janvier")
        .await
        .unwrap();
    assert_eq!(lowered.lock_date, "2025-12-31");
    assert_eq!(lowered.previous_lock_date, "2026-01-31");

    let events = announced(&env, company).await;
    assert_eq!(events.len(), 2);
    assert_eq!(events[1].lock_date, "2025-12-31");
    assert_eq!(events[1].previous_lock_date, "2026-01-31");
    assert_eq!(events[1].reason, "Avoir oublié sur janvier");

    let trail = env
        .client()
        .await
        .list_audit_events(bearer(
            ListAuditEventsRequest {
                subject_id: company.to_string(),
                ..Default::default()
            },
            &admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .audit_events;
    let newest = trail.first().expect("the change is audited");
    assert_eq!(newest.action, "lock_date.changed");
    let before: serde_json::Value = serde_json::from_str(&newest.before_json).unwrap();
    let after: serde_json::Value = serde_json::from_str(&newest.after_json).unwrap();
    assert_eq!(before["lock_date"], "2026-01-31");
    assert_eq!(after["lock_date"], "2025-12-31");
    assert_eq!(after["lock_date_reason"], "Avoir oublié sur janvier");
}
