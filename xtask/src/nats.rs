//! The NATS JetStream server every command needs: the one named by `NATS_URL` when it
//! answers with JetStream enabled, otherwise a private `nats-server` (installed with
//! apt-get when missing and possible) storing under `target/comptoir-dev/`, stopped when
//! the command ends.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::postgres::Keep;
use crate::sys;

/// A NATS server with JetStream that we can reach.
pub(crate) struct Nats {
    /// Client URL, e.g. `nats://127.0.0.1:4222`.
    pub(crate) url: String,
    private: Option<PrivateServer>,
}

struct PrivateServer {
    child: Child,
    pid_file: PathBuf,
}

impl Nats {
    /// Uses `NATS_URL` if it answers with JetStream, else starts a private server with
    /// its store in `dir` and its log at `log`.
    pub(crate) async fn ensure(dir: &Path, log: &Path, keep: Keep) -> Result<Self> {
        match std::env::var("NATS_URL") {
            Ok(url) if !url.trim().is_empty() => match check(&url).await {
                Ok(()) => {
                    println!("xtask: using NATS at {url} (NATS_URL)");
                    return Ok(Self { url, private: None });
                }
                Err(error) => println!(
                    "xtask: NATS_URL ({url}) is not usable: {error:#}; starting a private nats-server"
                ),
            },
            _ => println!("xtask: NATS_URL is not set; starting a private nats-server"),
        }
        Self::start_private(dir, log, keep).await
    }

    /// Whether this server was started by us (and will be stopped by us).
    pub(crate) fn is_private(&self) -> bool {
        self.private.is_some()
    }

    async fn start_private(dir: &Path, log: &Path, keep: Keep) -> Result<Self> {
        let binary = server_binary()?;
        let pid_file = dir.join("nats-server.pid");
        sys::stop_leftover(&pid_file, "nats-server");
        if keep == Keep::Nothing && dir.exists() {
            fs::remove_dir_all(dir)
                .with_context(|| format!("could not empty {}", dir.display()))?;
        }
        for needed in [dir, log.parent().unwrap_or(dir)] {
            fs::create_dir_all(needed)
                .with_context(|| format!("could not create {}", needed.display()))?;
        }
        let log_file =
            File::create(log).with_context(|| format!("could not create {}", log.display()))?;

        let port = sys::free_port()?;
        let monitor_port = sys::free_port()?;
        let child = Command::new(&binary)
            .args([
                "-a",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-m",
                &monitor_port.to_string(),
                "-js",
                "-sd",
            ])
            .arg(dir.join("store"))
            .arg("-P")
            .arg(&pid_file)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file)
            .spawn()
            .with_context(|| format!("could not start {}", binary.display()))?;
        // From here on, dropping `this` stops the server.
        let mut this = Self {
            url: format!("nats://127.0.0.1:{port}"),
            private: Some(PrivateServer { child, pid_file }),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if healthz(monitor_port).await {
                break;
            }
            if let Some(server) = this.private.as_mut()
                && let Some(status) = server.child.try_wait()?
            {
                bail!("nats-server exited ({status}):\n{}", sys::tail(log, 20));
            }
            if Instant::now() > deadline {
                bail!(
                    "nats-server was not ready within 30 s; see {}",
                    log.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        println!(
            "xtask: private nats-server on 127.0.0.1:{port} (log in {})",
            log.display()
        );
        Ok(this)
    }

    /// Stops the private server, if any. Also done on drop.
    pub(crate) fn stop(&mut self) {
        if let Some(mut server) = self.private.take() {
            sys::terminate(server.child.id(), Duration::from_secs(10));
            let _ = server.child.wait();
            let _ = fs::remove_file(&server.pid_file);
            println!("xtask: stopped the private nats-server");
        }
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The `nats-server` binary: `COMPTOIR_NATS_SERVER_BIN`, else `PATH` and the sbin
/// directories, else installed with apt-get when possible. Tests that restart NATS use
/// the same lookup, so `cargo xtask test` exports what it found.
pub(crate) fn server_binary() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("COMPTOIR_NATS_SERVER_BIN").filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        if sys::is_executable(&path) {
            return Ok(path);
        }
        bail!(
            "COMPTOIR_NATS_SERVER_BIN={} is not an executable file",
            path.display()
        );
    }
    if let Some(path) = sys::find_binary("nats-server") {
        return Ok(path);
    }
    sys::install_package(
        "nats-server",
        "nats-server",
        "or set NATS_URL to a running server with JetStream enabled",
    )?;
    sys::find_binary("nats-server").context("nats-server was installed but is still not found")
}

/// Connects and reads the server's INFO line, which says whether JetStream is on.
async fn check(url: &str) -> Result<()> {
    let address = host_port(url)?;
    let attempt = async {
        let stream = TcpStream::connect(&address).await?;
        let mut line = String::new();
        BufReader::new(stream).read_line(&mut line).await?;
        if !line.starts_with("INFO ") {
            bail!("{address} does not speak the NATS protocol");
        }
        if !line.contains("\"jetstream\":true") {
            bail!("the server at {address} runs without JetStream (start it with -js)");
        }
        Ok(())
    };
    tokio::time::timeout(Duration::from_secs(5), attempt)
        .await
        .context("no answer within 5 s")?
}

/// `host:port` of the first server in a NATS URL list (`nats://user:pass@host:4222,…`).
fn host_port(url: &str) -> Result<String> {
    let first = url.split(',').next().unwrap_or_default().trim();
    let without_scheme = first.split_once("://").map_or(first, |(_, rest)| rest);
    let without_user = without_scheme
        .rsplit_once('@')
        .map_or(without_scheme, |(_, rest)| rest);
    let host_port = without_user.trim_end_matches('/');
    if host_port.is_empty() {
        bail!("cannot read a host from {url:?}");
    }
    Ok(if host_port.contains(':') {
        host_port.to_owned()
    } else {
        format!("{host_port}:4222")
    })
}

/// `GET /healthz?js-enabled-only=true` on the monitoring port says ok once JetStream is up.
async fn healthz(monitor_port: u16) -> bool {
    let attempt = async {
        let mut stream = TcpStream::connect(("127.0.0.1", monitor_port)).await?;
        stream
            .write_all(b"GET /healthz?js-enabled-only=true HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            .await?;
        let mut response = String::new();
        stream.read_to_string(&mut response).await?;
        std::io::Result::Ok(
            response.split_whitespace().nth(1) == Some("200") && response.contains("\"ok\""),
        )
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(2), attempt).await,
        Ok(Ok(true))
    )
}

#[cfg(test)]
mod tests {
    use super::host_port;

    #[test]
    fn host_port_reads_the_first_server_and_defaults_the_port() {
        assert_eq!(
            host_port("nats://127.0.0.1:4222").unwrap(),
            "127.0.0.1:4222"
        );
        assert_eq!(
            host_port("nats://u:p@nats:4333,nats://other:4222").unwrap(),
            "nats:4333"
        );
        assert_eq!(host_port("localhost").unwrap(), "localhost:4222");
    }
}
