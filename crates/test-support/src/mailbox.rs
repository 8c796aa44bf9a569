//! The mailbox folder a service writes mail to when no SMTP server is configured: one per
//! test, so a test reads only the mail its own services sent.

use std::path::{Path, PathBuf};
use std::time::Duration;

use comptoir_runtime::mail::{self, Mail, MailConfig};

/// A fresh folder under the system's temporary directory, removed when dropped.
#[derive(Debug)]
pub struct Mailbox {
    /// The folder.
    pub dir: PathBuf,
}

impl Mailbox {
    /// A new, empty mailbox folder.
    pub fn new() -> Self {
        let dir = std::env::temp_dir().join(format!(
            "comptoir-test-mailbox-{}",
            uuid::Uuid::now_v7().simple()
        ));
        std::fs::create_dir_all(&dir).expect("creating a mailbox folder");
        Self { dir }
    }

    /// Mail settings that file mail into this folder.
    pub fn config(&self) -> MailConfig {
        MailConfig {
            mailbox_dir: Some(self.dir.clone()),
            ..MailConfig::default()
        }
    }

    /// The newest mail to `to`, waiting for it (see [`newest_mail`]).
    pub async fn newest_to(&self, to: &str) -> Mail {
        newest_mail(&self.dir, to).await
    }

    /// The token the link of the newest mail to `to` carries (see [`link_token`]).
    pub async fn newest_link_token(&self, to: &str) -> String {
        link_token(&self.newest_to(to).await.body)
    }

    /// How many mails were sent to `to` so far.
    pub fn count_to(&self, to: &str) -> usize {
        mail::read_folder(&self.dir)
            .expect("reading the mailbox folder")
            .iter()
            .filter(|m| m.to == to)
            .count()
    }
}

impl Default for Mailbox {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Mailbox {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The token a mailed link carries: what follows `token=` up to the next white space.
///
/// # Panics
/// When `body` has no such link.
#[must_use]
pub fn link_token(body: &str) -> String {
    body.split("token=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("a link with a token in {body:?}"))
        .to_owned()
}

/// The newest mail to `to` in the mailbox folder `dir`, polling for up to 10 s since
/// services may send in the background; panics if none arrives.
pub async fn newest_mail(dir: &Path, to: &str) -> Mail {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let mails = mail::read_folder(dir).expect("reading the mailbox folder");
        if let Some(found) = mails.into_iter().rev().find(|m| m.to == to) {
            return found;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("no mail to {to} in {} within 10 s", dir.display());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
