//! Outgoing e-mail: password resets today, invitations tomorrow. With an SMTP URL the
//! mail goes through `lettre`'s async SMTP transport (tokio, rustls); without one, each
//! mail is written as a JSON file into a mailbox folder, which is what local runs and the
//! tests read. Mails carry secrets (reset and invitation links), so neither their bodies
//! nor the SMTP URL are ever logged.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};

use crate::config::Secret;

/// Sender used when `COMPTOIR_MAIL_FROM` is not set.
pub const DEFAULT_MAIL_FROM: &str = "Comptoir <no-reply@comptoir.example>";
/// Base of the links in mails when `COMPTOIR_PUBLIC_URL` is not set.
pub const DEFAULT_PUBLIC_URL: &str = "http://localhost:8080";

/// How a service sends mail.
#[derive(Debug, Clone, Args)]
pub struct MailConfig {
    /// SMTP server, e.g. `smtp://user:pass@host:587?tls=required` (STARTTLS) or
    /// `smtps://user:pass@host:465` (implicit TLS). Unset: mails are written to
    /// COMPTOIR_MAILBOX_DIR instead of being sent.
    #[arg(long, env = "COMPTOIR_SMTP_URL", value_name = "COMPTOIR_SMTP_URL")]
    pub smtp_url: Option<Secret>,

    /// Folder that receives one JSON file per mail when no SMTP URL is set; default: a
    /// `mailbox` folder under the system's temporary directory.
    #[arg(
        long,
        env = "COMPTOIR_MAILBOX_DIR",
        value_name = "COMPTOIR_MAILBOX_DIR"
    )]
    pub mailbox_dir: Option<PathBuf>,

    /// The `From` of every mail.
    #[arg(
        long,
        env = "COMPTOIR_MAIL_FROM",
        value_name = "COMPTOIR_MAIL_FROM",
        default_value = DEFAULT_MAIL_FROM
    )]
    pub mail_from: String,

    /// Public base URL of the web front end, which the links in mails point to.
    #[arg(
        long,
        env = "COMPTOIR_PUBLIC_URL",
        value_name = "COMPTOIR_PUBLIC_URL",
        default_value = DEFAULT_PUBLIC_URL
    )]
    pub public_url: String,
}

impl Default for MailConfig {
    /// What an empty environment gives: the default mailbox folder, no SMTP.
    fn default() -> Self {
        Self {
            smtp_url: None,
            mailbox_dir: None,
            mail_from: DEFAULT_MAIL_FROM.to_owned(),
            public_url: DEFAULT_PUBLIC_URL.to_owned(),
        }
    }
}

/// One plain-text mail, as sent and as stored in a mailbox folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mail {
    /// Recipient address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
}

/// Why a mail could not be set up or sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// A setting is unusable.
    #[error("{0}")]
    Config(String),
    /// The recipient is not a valid address.
    #[error("invalid recipient address")]
    Recipient(#[source] lettre::address::AddressError),
    /// Building the message failed.
    #[error("building the message: {0}")]
    Build(#[from] lettre::error::Error),
    /// The SMTP server refused or could not be reached.
    #[error("smtp: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    /// Writing into the mailbox folder failed.
    #[error("writing to the mailbox folder: {0}")]
    Folder(#[from] std::io::Error),
}

/// Sends mail; cheap to clone.
#[derive(Clone)]
pub struct Mailer {
    inner: Arc<Inner>,
}

struct Inner {
    transport: Transport,
    from: Mailbox,
    public_url: String,
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Folder(PathBuf),
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let transport = match &self.inner.transport {
            // The URL may hold a password: never print it.
            Transport::Smtp(_) => "smtp".to_owned(),
            Transport::Folder(dir) => format!("folder {}", dir.display()),
        };
        f.debug_struct("Mailer")
            .field("transport", &transport)
            .field("from", &self.inner.from.to_string())
            .finish()
    }
}

impl Mailer {
    /// A mailer for `config`: checks the sender and the SMTP URL, or creates the mailbox
    /// folder. Connecting to SMTP is lazy, so a server that is down fails sends, not
    /// start-up. Call it inside the tokio runtime: the SMTP connection pool lives there.
    pub fn new(config: &MailConfig) -> Result<Self, MailError> {
        let from: Mailbox = config.mail_from.parse().map_err(|err| {
            MailError::Config(format!(
                "COMPTOIR_MAIL_FROM `{}` is not a mailbox: {err}",
                config.mail_from
            ))
        })?;
        let transport = match &config.smtp_url {
            Some(url) => {
                let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
                    // lettre's message would echo the URL, password included.
                    .map_err(|_| {
                        MailError::Config("COMPTOIR_SMTP_URL is not a usable SMTP URL".to_owned())
                    })?;
                tracing::info!("mail goes out through SMTP");
                Transport::Smtp(builder.build())
            }
            None => {
                let dir = config
                    .mailbox_dir
                    .clone()
                    .unwrap_or_else(|| std::env::temp_dir().join("mailbox"));
                std::fs::create_dir_all(&dir)?;
                tracing::info!(dir = %dir.display(), "no COMPTOIR_SMTP_URL: mail is written to a mailbox folder");
                Transport::Folder(dir)
            }
        };
        Ok(Self {
            inner: Arc::new(Inner {
                transport,
                from,
                public_url: config.public_url.trim_end_matches('/').to_owned(),
            }),
        })
    }

    /// An absolute link into the web front end: `path` (starting with `/`) under
    /// `COMPTOIR_PUBLIC_URL`.
    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.inner.public_url)
    }

    /// Sends `mail` (or files it). The body is never logged.
    pub async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        match &self.inner.transport {
            Transport::Smtp(smtp) => {
                let message = Message::builder()
                    .from(self.inner.from.clone())
                    .to(Mailbox::new(
                        None,
                        mail.to.parse().map_err(MailError::Recipient)?,
                    ))
                    .subject(&mail.subject)
                    .header(ContentType::TEXT_PLAIN)
                    .body(mail.body.clone())?;
                smtp.send(message).await?;
            }
            Transport::Folder(dir) => write_to_folder(dir, mail).await?,
        }
        tracing::info!(subject = %mail.subject, "mail sent");
        Ok(())
    }
}

/// Writes `mail` as `<time>-<uuid>.json`, through a temporary name and a rename so a
/// reader never sees half a file; names sort by time.
async fn write_to_folder(dir: &Path, mail: &Mail) -> std::io::Result<()> {
    let name = format!(
        "{}-{}",
        chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ"),
        uuid::Uuid::now_v7().simple()
    );
    let json = serde_json::to_vec_pretty(mail).map_err(std::io::Error::other)?;
    let partial = dir.join(format!(".{name}.partial"));
    tokio::fs::write(&partial, json).await?;
    tokio::fs::rename(&partial, dir.join(format!("{name}.json"))).await
}

/// Every mail in a mailbox folder, oldest first (for tests and local tools).
pub fn read_folder(dir: &Path) -> std::io::Result<Vec<Mail>> {
    let mut names: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
            .collect(),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(err),
    };
    names.sort();
    names
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path)?;
            serde_json::from_slice(&bytes).map_err(std::io::Error::other)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn without_smtp_mails_land_in_the_folder_in_order() {
        let dir = std::env::temp_dir().join(format!("comptoir-mail-{}", uuid::Uuid::now_v7()));
        let mailer = Mailer::new(&MailConfig {
            mailbox_dir: Some(dir.clone()),
            ..MailConfig::default()
        })
        .unwrap();
        for subject in ["first", "second"] {
            mailer
                .send(&Mail {
                    to: "ada@example.com".to_owned(),
                    subject: subject.to_owned(),
                    body: mailer.link("/x?token=abc"),
                })
                .await
                .unwrap();
        }
        let mails = read_folder(&dir).unwrap();
        let subjects: Vec<_> = mails.iter().map(|m| m.subject.as_str()).collect();
        assert_eq!(subjects, ["first", "second"]);
        assert_eq!(mails[0].body, "http://localhost:8080/x?token=abc");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn a_bad_smtp_url_never_echoes_its_password() {
        let err = Mailer::new(&MailConfig {
            smtp_url: Some(Secret::from("ftp://u:hunter2@host".to_owned())),
            ..MailConfig::default()
        })
        .unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
        let ok = Mailer::new(&MailConfig {
            smtp_url: Some(Secret::from("smtp://u:hunter2@host:587".to_owned())),
            ..MailConfig::default()
        })
        .unwrap();
        assert!(!format!("{ok:?}").contains("hunter2"));
    }
}
