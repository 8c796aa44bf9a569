//! Passwords: change, reset by mail, and the throttling of failed logins.

use std::time::Duration;

use comptoir_identity::Settings;
use comptoir_identity::domain::TrustedProxies;
use comptoir_proto::identity::v1::{
    ChangePasswordRequest, LoginRequest, RefreshRequest, RequestPasswordResetRequest,
    ResetPasswordRequest,
};
use comptoir_test_support::{Mailbox, PASSWORD, Running, TestDb, bearer, reason};
use tonic::Code;
use tonic_types::StatusExt;

use crate::{client, login, sign_up, start, start_on, start_with_mailbox};

const NEW_PASSWORD: &str = "a brand new passphrase";

async fn refresh_fails(identity: &Running, token: &str) -> bool {
    client(identity)
        .await
        .refresh(RefreshRequest {
            refresh_token: token.to_owned(),
        })
        .await
        .is_err()
}

/// The token in the reset link of the newest mail to `email`.
async fn reset_token(mailbox: &Mailbox, email: &str) -> String {
    let mail = mailbox.newest_to(email).await;
    assert!(mail.subject.contains("password"), "{}", mail.subject);
    let link = mail
        .body
        .split_whitespace()
        .find(|word| word.starts_with("http://localhost:8080/reset-password?token="))
        .unwrap_or_else(|| panic!("a reset link in {:?}", mail.body));
    link.rsplit_once("token=").unwrap().1.to_owned()
}

#[tokio::test]
async fn changing_the_password_ends_every_other_session_but_the_callers() {
    let (_db, identity) = start().await;
    sign_up(&identity, "jeanne@example.fr").await;
    let mine = login(&identity, "jeanne@example.fr", PASSWORD)
        .await
        .unwrap();
    let elsewhere = login(&identity, "jeanne@example.fr", PASSWORD)
        .await
        .unwrap();

    client(&identity)
        .await
        .change_password(bearer(
            ChangePasswordRequest {
                current_password: PASSWORD.to_owned(),
                new_password: NEW_PASSWORD.to_owned(),
            },
            &mine.access_token,
        ))
        .await
        .expect("password changed");

    assert!(refresh_fails(&identity, &elsewhere.refresh_token).await);
    assert!(!refresh_fails(&identity, &mine.refresh_token).await);
    let old = login(&identity, "jeanne@example.fr", PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(old.code(), Code::Unauthenticated);
    login(&identity, "jeanne@example.fr", NEW_PASSWORD)
        .await
        .expect("the new password works");
}

#[tokio::test]
async fn changing_the_password_needs_the_right_current_password() {
    let (_db, identity) = start().await;
    sign_up(&identity, "paul@example.fr").await;
    let session = login(&identity, "paul@example.fr", PASSWORD).await.unwrap();
    let elsewhere = login(&identity, "paul@example.fr", PASSWORD).await.unwrap();
    let mut client = client(&identity).await;

    let wrong = client
        .change_password(bearer(
            ChangePasswordRequest {
                current_password: "not the password at all".to_owned(),
                new_password: NEW_PASSWORD.to_owned(),
            },
            &session.access_token,
        ))
        .await
        .unwrap_err();
    assert_eq!(wrong.code(), Code::PermissionDenied);
    assert_eq!(reason(&wrong), "CURRENT_PASSWORD_INCORRECT");
    let short = client
        .change_password(bearer(
            ChangePasswordRequest {
                current_password: PASSWORD.to_owned(),
                new_password: "short".to_owned(),
            },
            &session.access_token,
        ))
        .await
        .unwrap_err();
    assert_eq!(short.code(), Code::InvalidArgument);
    assert_eq!(comptoir_test_support::bad_fields(&short), ["new_password"]);

    // Nothing changed.
    login(&identity, "paul@example.fr", PASSWORD)
        .await
        .expect("the old password still works");
    assert!(!refresh_fails(&identity, &elsewhere.refresh_token).await);
}

#[tokio::test]
async fn a_reset_link_from_the_mailbox_sets_a_new_password_and_ends_every_session() {
    let (_db, identity, mailbox) = start_with_mailbox().await;
    sign_up(&identity, "marie@example.fr").await;
    let session = login(&identity, "marie@example.fr", PASSWORD)
        .await
        .unwrap();
    let mut client = client(&identity).await;

    client
        .request_password_reset(RequestPasswordResetRequest {
            email: " Marie@Example.fr".to_owned(),
        })
        .await
        .expect("reset requested");
    let token = reset_token(&mailbox, "marie@example.fr").await;
    client
        .reset_password(ResetPasswordRequest {
            token: token.clone(),
            new_password: NEW_PASSWORD.to_owned(),
        })
        .await
        .expect("password reset");

    assert!(refresh_fails(&identity, &session.refresh_token).await);
    login(&identity, "marie@example.fr", NEW_PASSWORD)
        .await
        .expect("the new password works");
    let again = client
        .reset_password(ResetPasswordRequest {
            token,
            new_password: "yet another passphrase".to_owned(),
        })
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition);
    assert_eq!(reason(&again), "RESET_TOKEN_USED");
}

#[tokio::test]
async fn a_reset_request_answers_the_same_for_an_unknown_email_and_mails_nobody() {
    let (_db, identity, mailbox) = start_with_mailbox().await;
    sign_up(&identity, "known@example.fr").await;
    let mut client = client(&identity).await;
    for email in ["nobody@example.fr", "known@example.fr"] {
        client
            .request_password_reset(RequestPasswordResetRequest {
                email: email.to_owned(),
            })
            .await
            .expect("always OK");
    }
    mailbox.newest_to("known@example.fr").await;
    assert_eq!(mailbox.count_to("nobody@example.fr"), 0);
}

#[tokio::test]
async fn an_expired_or_unknown_reset_token_fails_with_its_reason() {
    let (db, identity, mailbox) = start_with_mailbox().await;
    sign_up(&identity, "luc@example.fr").await;
    let mut client = client(&identity).await;
    client
        .request_password_reset(RequestPasswordResetRequest {
            email: "luc@example.fr".to_owned(),
        })
        .await
        .unwrap();
    let token = reset_token(&mailbox, "luc@example.fr").await;
    let mut conn = db.admin().await;
    sqlx::query("UPDATE identity.password_reset SET expires_at = now() - interval '1 second'")
        .execute(&mut conn)
        .await
        .unwrap();

    for (token, expected) in [
        (token, "RESET_TOKEN_EXPIRED"),
        ("made-up".to_owned(), "RESET_TOKEN_UNKNOWN"),
    ] {
        let status = client
            .reset_password(ResetPasswordRequest {
                token,
                new_password: NEW_PASSWORD.to_owned(),
            })
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert_eq!(reason(&status), expected);
    }
    login(&identity, "luc@example.fr", PASSWORD)
        .await
        .expect("the password is unchanged");
}

/// The delay a throttled answer carries, checked against its message.
fn retry_delay(status: &tonic::Status) -> Duration {
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert_eq!(reason(status), "LOGIN_THROTTLED");
    let delay = status
        .get_error_details()
        .retry_info()
        .and_then(|info| info.retry_delay)
        .expect("a RetryInfo detail");
    let secs = delay.as_secs() + u64::from(delay.subsec_nanos() > 0);
    assert!(
        status
            .message()
            .contains(&format!("retry in {secs} seconds")),
        "{}",
        status.message()
    );
    delay
}

#[tokio::test]
async fn five_failed_logins_lock_an_account_for_the_rest_of_the_window_alike_known_or_not() {
    let (_db, identity) = start().await;
    sign_up(&identity, "anne@example.fr").await;
    sign_up(&identity, "bob@example.fr").await;
    for email in ["anne@example.fr", "ghost@example.fr"] {
        for _ in 0..5 {
            let status = login(&identity, email, "not the password at all")
                .await
                .unwrap_err();
            assert_eq!(status.code(), Code::Unauthenticated);
        }
    }
    let known = login(&identity, "anne@example.fr", PASSWORD)
        .await
        .unwrap_err();
    let unknown = login(&identity, "ghost@example.fr", PASSWORD)
        .await
        .unwrap_err();
    let delay = retry_delay(&known);
    assert!(
        delay > Duration::from_secs(14 * 60) && delay <= Duration::from_secs(15 * 60),
        "{delay:?}"
    );
    retry_delay(&unknown);
    assert_eq!(
        (known.code(), reason(&known)),
        (unknown.code(), reason(&unknown))
    );
    // Another account from the same address is not affected.
    login(&identity, "bob@example.fr", PASSWORD)
        .await
        .expect("bob logs in");
}

#[tokio::test]
async fn a_successful_login_resets_the_accounts_failure_count() {
    let (_db, identity) = start().await;
    sign_up(&identity, "carla@example.fr").await;
    for _ in 0..2 {
        for _ in 0..4 {
            login(&identity, "carla@example.fr", "not the password at all")
                .await
                .unwrap_err();
        }
        login(&identity, "carla@example.fr", PASSWORD)
            .await
            .expect("four failures are not five");
    }
}

/// A login whose `x-forwarded-for` says `address`.
fn login_from(address: &str, email: &str, password: &str) -> tonic::Request<LoginRequest> {
    let mut request = tonic::Request::new(LoginRequest {
        email: email.to_owned(),
        password: password.to_owned(),
    });
    request
        .metadata_mut()
        .insert("x-forwarded-for", address.parse().unwrap());
    request
}

#[tokio::test]
async fn twenty_failures_from_one_address_block_it_whatever_the_email() {
    // The test's own calls come from a trusted proxy, which forwards what 10.0.0.1 saw.
    let db = TestDb::new(&[comptoir_identity::SPEC]).await;
    let identity = start_on(
        &db,
        Settings {
            trusted_proxies: TrustedProxies::parse("127.0.0.1, 10.0.0.0/8").unwrap(),
            ..Settings::default()
        },
    )
    .await;
    sign_up(&identity, "dina@example.fr").await;
    let mut client = client(&identity).await;
    for n in 0..20 {
        let status = client
            .login(login_from(
                "203.0.113.7, 10.0.0.1",
                &format!("guess{n}@example.fr"),
                "not the password at all",
            ))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated);
    }
    let blocked = client
        .login(login_from("203.0.113.7", "dina@example.fr", PASSWORD))
        .await
        .unwrap_err();
    retry_delay(&blocked);
    client
        .login(login_from("198.51.100.4", "dina@example.fr", PASSWORD))
        .await
        .expect("another address logs in");
}

#[tokio::test]
async fn a_client_rotating_x_forwarded_for_is_still_throttled_by_its_own_address() {
    // No trusted proxy is configured (the default): the header is the client's word.
    let (_db, identity) = start().await;
    sign_up(&identity, "eloise@example.fr").await;
    let mut client = client(&identity).await;
    let spoofed = |n: usize, email: &str, password: &str| {
        login_from(&format!("198.51.100.{n}"), email, password)
    };
    for n in 0..20 {
        let status = client
            .login(spoofed(
                n,
                &format!("guess{n}@example.fr"),
                "not the password at all",
            ))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated);
    }
    let blocked = client
        .login(spoofed(99, "eloise@example.fr", PASSWORD))
        .await
        .unwrap_err();
    retry_delay(&blocked);
}
