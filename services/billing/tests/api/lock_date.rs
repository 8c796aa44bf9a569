//! The lock date: who may lower it (an Administrator of the company, not one reaching it
//! through an accounting firm, with a reason, audited and announced with both dates), and
//! issuing racing a change of it.

use chrono::{NaiveDate, TimeDelta};
use comptoir_domain_types::permissions::{ACCOUNTANT, Permission};
use comptoir_proto::billing::v1::{
    GetLockDateRequest, ListAuditEventsRequest, SetLockDateRequest, SetLockDateResponse,
};
use comptoir_proto::events::v1::LockDateChanged;
use comptoir_test_support::{bad_fields, bearer, reason};
use tonic::Code;
use uuid::Uuid;

use crate::Env;
use crate::invoices::{create, draft, issue, line};

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
    env.outbox(company, "comptoir.billing.lock_date.changed")
        .await
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
    let mighty_accountant = env
        .token_as(company, ACCOUNTANT.key, &Permission::ALL)
        .await;
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

#[tokio::test]
async fn a_firm_raises_a_clients_lock_date_but_only_the_clients_own_administrator_lowers_it() {
    let env = Env::start().await;
    let company = env.company().await;
    let firm = env.firm_admin_token(company).await;
    let admin = env.admin_token(company).await;

    // A firm's Administrator locks the client's periods, then locks further...
    set(&env, &firm, "2026-01-31", "").await.unwrap();
    let raised = set(&env, &firm, "2026-02-28", "").await.unwrap();
    assert_eq!(raised.previous_lock_date, "2026-01-31");

    // ...but never unlocks them, even with a reason, nor clears the lock date.
    for lock_date in ["2026-01-31", ""] {
        let refused = set(&env, &firm, lock_date, "Avoir oublié sur février")
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
        assert_eq!(reason(&refused), "FIRM_MAY_NOT_UNLOCK");
    }
    let held = env
        .client()
        .await
        .get_lock_date(bearer(GetLockDateRequest {}, &admin))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(held.lock_date, "2026-02-28");
    assert_eq!(announced(&env, company).await.len(), 2);

    // The company's own Administrator lowers it.
    let lowered = set(&env, &admin, "2026-01-31", "Avoir oublié sur février")
        .await
        .unwrap();
    assert_eq!(lowered.lock_date, "2026-01-31");
    assert_eq!(lowered.previous_lock_date, "2026-02-28");
}

#[tokio::test]
async fn issuing_racing_set_lock_date_never_dates_an_invoice_in_a_period_locked_before_it() {
    const ROUNDS: i64 = 120;
    let env = Env::start().await;
    let company = env.company().await;
    let admin = env.admin_token(company).await;
    let customer = env.customer(company, true, "FR").await;
    let first = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let mut drafts = Vec::new();
    for round in 0..ROUNDS {
        let mut input = draft(customer, vec![line("1", "10", "20")]);
        input.document_date = (first + TimeDelta::days(round)).to_string();
        drafts.push(create(&env, &admin, input).await.unwrap().document_id);
    }

    // Each round issues an invoice dated day d while the lock date moves to day d: the
    // invoice is either issued before the lock commits or refused.
    let mut issued = 0;
    for (round, id) in (0..ROUNDS).zip(&drafts) {
        let day = (first + TimeDelta::days(round)).to_string();
        let (invoice, lock) =
            tokio::join!(issue(&env, &admin, id, ""), set(&env, &admin, &day, ""));
        lock.unwrap();
        match invoice {
            Ok(_) => issued += 1,
            Err(refused) => assert_eq!(reason(&refused), "PERIOD_LOCKED", "{refused:?}"),
        }
    }

    // The audit trail is written in the order the changes were made: no invoice was
    // issued after the lock date covering its date had been set.
    let mut conn = env.harness.db.admin().await;
    let late: Vec<(String, String)> = sqlx::query_as(
        "SELECT i.after ->> 'number', l.after ->> 'lock_date' \
         FROM billing.audit_event i JOIN billing.audit_event l \
           ON l.company_id = i.company_id AND l.subject_type = 'book' \
          AND l.action = 'lock_date.changed' \
         WHERE i.company_id = $1 AND i.subject_type = 'document' \
           AND i.action = 'invoice.issued' \
           AND (i.after ->> 'document_date')::date <= (l.after ->> 'lock_date')::date \
           AND i.audit_event_id > l.audit_event_id",
    )
    .bind(company)
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert!(late.is_empty(), "issued inside a locked period: {late:?}");
    eprintln!("{issued} of {ROUNDS} invoices issued before the lock date caught them");
}
