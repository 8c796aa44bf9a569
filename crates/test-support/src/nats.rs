//! NATS for tests: the shared server from `NATS_URL` with a prefix of the test's own, or
//! a private nats-server that a test may stop and restart.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Once;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::StreamExt;
use tokio::process::{Child, Command};

use crate::HOW_TO_START;

/// Streams of test prefixes older than this are deleted by the next run.
const SWEEP_AFTER_SECS: u64 = 3 * 3600;

/// A NATS server and a prefix no other test uses.
#[derive(Debug, Clone)]
pub struct TestNats {
    /// Server URL.
    pub url: String,
    /// This test's prefix for streams, subjects and consumers.
    pub prefix: String,
}

fn unique_prefix() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    format!(
        "ct_{secs}_{}",
        &uuid::Uuid::new_v4().simple().to_string()[..10]
    )
}

impl TestNats {
    /// The server from `NATS_URL` (default `nats://127.0.0.1:4222`), with a fresh prefix.
    pub async fn shared() -> Self {
        let url = std::env::var("NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".to_owned());
        let client = tokio::time::timeout(Duration::from_secs(5), async_nats::connect(&url))
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_else(|| panic!("NATS is not reachable at {url}; {HOW_TO_START}"));
        static SWEEP: Once = Once::new();
        let mut first = false;
        SWEEP.call_once(|| first = true);
        if first {
            sweep(&client).await;
        }
        Self {
            url,
            prefix: unique_prefix(),
        }
    }

    /// A client for assertions on what was published.
    pub async fn client(&self) -> async_nats::jetstream::Context {
        let client = async_nats::connect(&self.url)
            .await
            .unwrap_or_else(|err| panic!("NATS at {}: {err}", self.url));
        async_nats::jetstream::new(client)
    }
}

/// Deletes the streams that earlier test runs left behind.
async fn sweep(client: &async_nats::Client) {
    let js = async_nats::jetstream::new(client.clone());
    let cutoff = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
        .saturating_sub(SWEEP_AFTER_SECS);
    let names: Vec<String> = js
        .stream_names()
        .filter_map(|name| async move { name.ok() })
        .collect()
        .await;
    for name in names {
        let born = name
            .strip_prefix("ct_")
            .and_then(|rest| rest.split('_').next())
            .and_then(|secs| secs.parse::<u64>().ok());
        if born.is_some_and(|born| born < cutoff) {
            let _ = js.delete_stream(&name).await;
        }
    }
}

/// A nats-server of the test's own, on a free port, with its store in a temp directory.
#[derive(Debug)]
pub struct PrivateNats {
    /// Server URL.
    pub url: String,
    port: u16,
    store: PathBuf,
    child: Option<Child>,
}

/// The nats-server binary: `COMPTOIR_NATS_SERVER_BIN`, else on PATH, else Debian's path.
fn nats_server_bin() -> PathBuf {
    if let Ok(bin) = std::env::var("COMPTOIR_NATS_SERVER_BIN") {
        return PathBuf::from(bin);
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("nats-server"))
            .find(|candidate| candidate.is_file())
    });
    on_path
        .or_else(|| Some(PathBuf::from("/usr/sbin/nats-server")).filter(|p| p.is_file()))
        .unwrap_or_else(|| {
            panic!("nats-server is not installed: `apt-get install -y nats-server` (or set COMPTOIR_NATS_SERVER_BIN)")
        })
}

impl PrivateNats {
    /// Starts a server with JetStream and waits until it accepts clients.
    pub async fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("finding a free port");
        let store =
            std::env::temp_dir().join(format!("comptoir-nats-{}", uuid::Uuid::new_v4().simple()));
        let mut nats = Self {
            url: format!("nats://127.0.0.1:{port}"),
            port,
            store,
            child: None,
        };
        nats.restart().await;
        nats
    }

    /// Stops the server (SIGKILL: as abrupt as a crash), keeping its store.
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }

    /// Starts the server again on the same port and store.
    pub async fn restart(&mut self) {
        self.stop().await;
        let child = Command::new(nats_server_bin())
            .args([
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-js",
                "-sd",
            ])
            .arg(&self.store)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|err| panic!("starting nats-server: {err}"));
        self.child = Some(child);
        for _ in 0..100 {
            if let Ok(client) = async_nats::connect(&self.url).await {
                // Any answer from the JetStream API means JetStream is up (the typed
                // account query does not parse nats-server 2.9's answer).
                if client.request("$JS.API.INFO", "".into()).await.is_ok() {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "private nats-server on port {} did not become ready",
            self.port
        );
    }
}

impl Drop for PrivateNats {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.start_kill();
        }
        let _ = std::fs::remove_dir_all(&self.store);
    }
}
