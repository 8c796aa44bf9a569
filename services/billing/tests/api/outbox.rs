//! Billing's outbox relay publishes an event as soon as any connection commits it (another
//! replica, an operator), woken by the outbox's notification, not by its slow poll.

use std::time::{Duration, Instant};

use comptoir_test_support::eventually;
use uuid::Uuid;

use crate::Env;

#[tokio::test]
async fn an_event_committed_by_another_connection_is_published_within_two_seconds() {
    let env = Env::start().await;
    let db = &env.harness.db;
    let admin = sqlx::PgPool::connect_lazy_with(db.admin_options());
    // Once the relay listens, nothing but the notification can wake it within its poll.
    let channel = comptoir_runtime::events::outbox::channel("billing");
    eventually("billing's relay listening for outbox notifications", || {
        let (admin, listen) = (admin.clone(), format!("LISTEN \"{channel}\""));
        async move {
            let listening: bool = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM pg_stat_activity \
                 WHERE datname = current_database() AND usename = 'comptoir_billing' \
                 AND query = $1)",
            )
            .bind(listen)
            .fetch_one(&admin)
            .await
            .expect("reading pg_stat_activity");
            listening.then_some(())
        }
    })
    .await;

    // Written by a connection of the runtime role, not by the service: no Outbox::wake.
    let mut other = db.as_role(&comptoir_billing::SPEC).await;
    let event_id = Uuid::now_v7();
    let committed = Instant::now();
    sqlx::query(
        "INSERT INTO billing.outbox (event_id, subject, payload) \
         VALUES ($1, 'comptoir.billing.invoice.issued', $2)",
    )
    .bind(event_id)
    .bind(vec![0u8])
    .execute(&mut other)
    .await
    .expect("the runtime role writes to the outbox");

    loop {
        let sent: bool = sqlx::query_scalar(
            "SELECT sent_at IS NOT NULL FROM billing.outbox WHERE event_id = $1",
        )
        .bind(event_id)
        .fetch_one(&admin)
        .await
        .expect("reading the outbox");
        if sent {
            break;
        }
        assert!(
            committed.elapsed() < Duration::from_secs(2),
            "the event was not published within 2 s of its commit"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!("published {:?} after its commit", committed.elapsed());
}
