//! Signing up.

use comptoir_runtime::mail::Mail;

use super::{Ctx, hash_password};
use crate::domain::Email;
use crate::error::Error;
use crate::{events, store};

/// A sign-up, its fields valid.
pub(crate) struct SignUp {
    pub(crate) email: Email,
    pub(crate) name: String,
    pub(crate) password: String,
}

/// Creates an account and announces it (`user.registered`, in the same transaction). An
/// e-mail that already has an account gets the same answer, and its owner a mail saying
/// someone tried.
pub(crate) async fn sign_up(ctx: &Ctx, sign_up: SignUp) -> Result<(), Error> {
    let SignUp {
        email,
        name,
        password,
    } = sign_up;
    // Hashed whether or not the e-mail is taken, so both answers take the same time.
    let hash = hash_password(password).await?;
    let mut tx = ctx.pool().begin().await?;
    match store::insert_account(&mut tx, &email, &name, &hash).await? {
        Some(user_id) => {
            events::user_registered(&mut tx, user_id, &email).await?;
            tx.commit().await?;
            ctx.outbox().wake();
            tracing::info!(%user_id, "account created");
        }
        None => {
            // The same answer as for a new account: only the address's owner learns
            // that someone tried.
            let mail = registered_mail(email.as_str(), &ctx.mailer.link("/login"));
            ctx.send_later(mail, "an already registered mail");
            tracing::info!("sign-up with a registered e-mail; its owner was told");
        }
    }
    Ok(())
}

/// The mail to the owner of an address someone tried to sign up with again.
fn registered_mail(to: &str, login_link: &str) -> Mail {
    Mail {
        to: to.to_owned(),
        subject: "Your Comptoir account already exists".to_owned(),
        body: format!(
            "Hello,\n\nSomeone, hopefully you, tried to create a Comptoir account for {to}, \
             which already has one. No new account was created and yours is unchanged.\n\n\
             To sign in, open {login_link}; if you forgot your password, ask for a reset \
             link there.\n\nIf it was not you, you can ignore this mail.\n"
        ),
    }
}
