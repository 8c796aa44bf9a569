//! The PostgreSQL every command needs: the server named by `DATABASE_URL` when it
//! answers, otherwise a private cluster initialised under `target/comptoir-dev/` from the
//! system's binaries (installed with apt-get when missing and possible) and stopped again
//! when the command ends.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use sqlx::{Connection, Row};

use crate::sys;

/// Unix socket paths are limited to 107 bytes; keep well below with `/.s.PGSQL.NNNNN`.
const MAX_SOCKET_DIR_LEN: usize = 80;

/// What happens to a private cluster's data between runs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keep {
    /// `cargo xtask up`: keep the data, so the demo survives a restart.
    Data,
    /// `cargo xtask test`: start from an empty cluster every time.
    Nothing,
}

/// A PostgreSQL server we can reach as a superuser.
pub(crate) struct Postgres {
    /// Superuser URL, e.g. `postgres://postgres@127.0.0.1:5432/postgres`.
    pub(crate) admin_url: String,
    private: Option<PrivateCluster>,
}

struct PrivateCluster {
    pg_ctl: PathBuf,
    data_dir: PathBuf,
}

impl Postgres {
    /// Uses `DATABASE_URL` if it answers, else starts a private cluster in `dir`.
    pub(crate) async fn ensure(dir: &Path, keep: Keep) -> Result<Self> {
        match std::env::var("DATABASE_URL") {
            Ok(url) if !url.trim().is_empty() => match check(&url).await {
                Ok(()) => {
                    println!("xtask: using PostgreSQL at {} (DATABASE_URL)", redact(&url));
                    return Ok(Self {
                        admin_url: url,
                        private: None,
                    });
                }
                Err(error) => println!(
                    "xtask: DATABASE_URL ({}) does not answer: {error:#}; starting a private PostgreSQL",
                    redact(&url)
                ),
            },
            _ => println!("xtask: DATABASE_URL is not set; starting a private PostgreSQL"),
        }
        Self::start_private(dir, keep).await
    }

    /// Whether this server was started by us (and will be stopped by us).
    pub(crate) fn is_private(&self) -> bool {
        self.private.is_some()
    }

    async fn start_private(dir: &Path, keep: Keep) -> Result<Self> {
        let bin_dir = match find_bin_dir() {
            Some(found) => found,
            None => {
                sys::install_package(
                    "postgresql",
                    "PostgreSQL (initdb, pg_ctl)",
                    "or set DATABASE_URL to a running server's superuser URL",
                )?;
                find_bin_dir()
                    .context("PostgreSQL was installed but initdb/pg_ctl are still not found")?
            }
        };
        let pg_ctl = bin_dir.join("pg_ctl");
        let dir = reachable_dir(dir)?;
        let data_dir = dir.join("data");

        // A cluster still running from a run that was killed too hard to clean up.
        if data_dir.join("postmaster.pid").exists() {
            let _ = sys::as_postgres_user(&pg_ctl)
                .arg("-D")
                .arg(&data_dir)
                .args(["-m", "immediate", "-w", "stop"])
                .output();
        }
        if keep == Keep::Nothing && dir.exists() {
            fs::remove_dir_all(&dir)
                .with_context(|| format!("could not empty {}", dir.display()))?;
        }
        create_owned_dir(&dir)?;

        if !data_dir.join("PG_VERSION").exists() {
            let _ = fs::remove_dir_all(&data_dir);
            sys::run_quiet(
                sys::as_postgres_user(&bin_dir.join("initdb"))
                    .arg("-D")
                    .arg(&data_dir)
                    .args([
                        "--auth=trust",
                        "-U",
                        "postgres",
                        "-E",
                        "UTF8",
                        "--locale=C",
                        "--no-sync",
                    ]),
                "initdb",
            )?;
        }

        let socket_dir = if dir.as_os_str().len() <= MAX_SOCKET_DIR_LEN {
            dir.clone()
        } else {
            PathBuf::from("/tmp")
        };
        let port = sys::free_port()?;
        // Each end-to-end test runs five services with their own pools, beside its
        // neighbours: the default 100 connections is too few.
        let mut options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c max_connections=300",
            socket_dir.display()
        );
        if keep == Keep::Nothing {
            // Throwaway data: durability only costs time.
            options.push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
        }
        let log = dir.join("postgres.log");
        sys::run_quiet(
            sys::as_postgres_user(&pg_ctl)
                .arg("-D")
                .arg(&data_dir)
                .arg("-l")
                .arg(&log)
                .args(["-o", &options, "-w", "-t", "60", "start"]),
            "pg_ctl start",
        )
        .with_context(|| format!("PostgreSQL did not start; see {}", log.display()))?;

        let cluster = PrivateCluster { pg_ctl, data_dir };
        let admin_url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
        // Dropping `this` on error stops the cluster.
        let this = Self {
            admin_url,
            private: Some(cluster),
        };
        check(&this.admin_url)
            .await
            .context("the private PostgreSQL started but does not answer")?;
        println!(
            "xtask: private PostgreSQL on 127.0.0.1:{port} (data and log in {})",
            dir.display()
        );
        Ok(this)
    }

    /// Stops the private cluster, if any. Also done on drop.
    pub(crate) fn stop(&mut self) {
        if let Some(cluster) = self.private.take() {
            let stopped = sys::as_postgres_user(&cluster.pg_ctl)
                .arg("-D")
                .arg(&cluster.data_dir)
                .args(["-m", "fast", "-w", "-t", "30", "stop"])
                .output();
            match stopped {
                Ok(output) if output.status.success() => {
                    println!("xtask: stopped the private PostgreSQL")
                }
                _ => eprintln!(
                    "xtask: could not stop the private PostgreSQL in {}; stop it with `pg_ctl -D {0} stop`",
                    cluster.data_dir.display()
                ),
            }
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Connects and runs a query, so a port that merely accepts TCP does not count.
pub(crate) async fn check(url: &str) -> Result<()> {
    let attempt = async {
        let mut connection = sqlx::PgConnection::connect(url).await?;
        let superuser: bool =
            sqlx::query("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
                .fetch_one(&mut connection)
                .await?
                .try_get(0)?;
        connection.close().await?;
        if !superuser {
            println!(
                "xtask: warning: {} is not a superuser URL; provisioning may fail",
                redact(url)
            );
        }
        anyhow::Ok(())
    };
    tokio::time::timeout(Duration::from_secs(5), attempt)
        .await
        .context("no answer within 5 s")?
}

/// The URL with any password replaced, for messages.
pub(crate) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rsplit_once('@') {
        Some((userinfo, host)) if userinfo.contains(':') => {
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}{}", &rest[authority_end..])
        }
        _ => url.to_owned(),
    }
}

/// `url` (a superuser URL) pointed at `database`: its user replaced by `user` when given
/// (without a password: local clusters trust), its query kept and `parameters` appended,
/// e.g. `postgres://postgres@h:5432/postgres?sslmode=x` with user `comptoir_billing` and
/// database `comptoir` → `postgres://comptoir_billing@h:5432/comptoir?sslmode=x`.
pub(crate) fn database_url(
    url: &str,
    user: Option<&str>,
    database: &str,
    parameters: &[&str],
) -> Result<String> {
    let (scheme, rest) = url
        .split_once("://")
        .with_context(|| format!("DATABASE_URL is not a URL: {}", redact(url)))?;
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let authority = match user {
        Some(user) => format!("{user}@{host}"),
        None => authority.to_owned(),
    };
    let query: Vec<&str> = tail
        .split_once('?')
        .map(|(_, query)| query)
        .into_iter()
        .filter(|query| !query.is_empty())
        .chain(parameters.iter().copied())
        .collect();
    let query = if query.is_empty() {
        String::new()
    } else {
        format!("?{}", query.join("&"))
    };
    Ok(format!("{scheme}://{authority}/{database}{query}"))
}

/// The directory holding `initdb` and `pg_ctl`: next to an `initdb` on `PATH` (often a
/// symlink into the versioned directory), else the newest `/usr/lib/postgresql/*/bin`.
fn find_bin_dir() -> Option<PathBuf> {
    let complete = |dir: &Path| {
        ["initdb", "pg_ctl", "postgres"]
            .iter()
            .all(|b| sys::is_executable(&dir.join(b)))
    };
    if let Some(initdb) = sys::find_binary("initdb") {
        let resolved = fs::canonicalize(&initdb).unwrap_or(initdb);
        if let Some(dir) = resolved.parent().filter(|dir| complete(dir)) {
            return Some(dir.to_path_buf());
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_str()?.parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .filter(|(_, dir)| complete(dir))
        .collect();
    versions.sort();
    versions.pop().map(|(_, dir)| dir)
}

/// As root, the cluster runs as `postgres`, which must be able to reach `dir`; a checkout
/// under a private home (e.g. `/root`) is not, so fall back to a directory under `/tmp`.
fn reachable_dir(dir: &Path) -> Result<PathBuf> {
    if !sys::is_root() {
        return Ok(dir.to_path_buf());
    }
    let user = Command::new("id").args(["-u", "postgres"]).output();
    if !user.is_ok_and(|o| o.status.success()) {
        bail!(
            "running as root, PostgreSQL must run as the `postgres` user, which does not exist; \
             create it with `useradd --system postgres` or set DATABASE_URL"
        );
    }
    let parent = dir.parent().unwrap_or(dir);
    fs::create_dir_all(parent).with_context(|| format!("could not create {}", parent.display()))?;
    let reachable = Command::new("runuser")
        .args(["-u", "postgres", "--", "test", "-x"])
        .arg(parent)
        .status()
        .is_ok_and(|s| s.success());
    if reachable {
        return Ok(dir.to_path_buf());
    }
    let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("pg");
    let fallback = PathBuf::from(format!("/tmp/comptoir-dev-{}-{name}", stable_hash(dir)));
    println!(
        "xtask: the postgres user cannot reach {}; keeping the private cluster in {}",
        parent.display(),
        fallback.display()
    );
    Ok(fallback)
}

/// Creates `dir`, owned by `postgres` when we are root.
fn create_owned_dir(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).with_context(|| format!("could not create {}", dir.display()))?;
    if sys::is_root() {
        sys::run_quiet(
            Command::new("chown")
                .arg("-R")
                .arg("postgres:postgres")
                .arg(dir),
            "chown",
        )?;
    }
    Ok(())
}

/// A short name derived from a path (FNV-1a), so two checkouts never share a fallback.
fn stable_hash(path: &Path) -> String {
    let hash = path
        .as_os_str()
        .as_encoded_bytes()
        .iter()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
        });
    format!("{:08x}", hash as u32)
}

#[cfg(test)]
mod tests {
    use super::{database_url, redact};

    #[test]
    fn database_url_swaps_user_and_database_and_keeps_the_rest() {
        assert_eq!(
            database_url(
                "postgres://postgres@127.0.0.1:5432/postgres",
                Some("comptoir_billing"),
                "comptoir",
                &[]
            )
            .unwrap(),
            "postgres://comptoir_billing@127.0.0.1:5432/comptoir"
        );
        assert_eq!(
            database_url(
                "postgresql://admin:pw@db:6543/postgres?sslmode=disable",
                Some("comptoir_export"),
                "comptoir",
                &[]
            )
            .unwrap(),
            "postgresql://comptoir_export@db:6543/comptoir?sslmode=disable"
        );
        assert_eq!(
            database_url("postgres://db", Some("r"), "comptoir", &[]).unwrap(),
            "postgres://r@db/comptoir"
        );
    }

    #[test]
    fn database_url_keeps_the_user_unless_told_and_appends_parameters() {
        assert_eq!(
            database_url(
                "postgres://u:p@h/db?sslmode=disable",
                None,
                "scratch",
                &["options=-c%20search_path%3Dbilling"]
            )
            .unwrap(),
            "postgres://u:p@h/scratch?sslmode=disable&options=-c%20search_path%3Dbilling"
        );
        assert_eq!(
            database_url("postgres://h:5432", None, "scratch", &["a=b"]).unwrap(),
            "postgres://h:5432/scratch?a=b"
        );
    }

    #[test]
    fn redact_hides_the_password_only() {
        assert_eq!(
            redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact("postgres://u@h:5432/db"), "postgres://u@h:5432/db");
    }
}
