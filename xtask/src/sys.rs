//! Host plumbing shared by the other modules: finding system binaries and installing
//! missing ones, picking free ports, running commands as the `postgres` user, stopping
//! processes politely, pid files for servers left over by an interrupted run, and the
//! Ctrl-C watch that lets every step give up cleanly.

use std::fs;
use std::io::Read;
use std::net::TcpListener;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tokio::sync::watch;

/// Directories searched after `PATH`: non-root shells often lack the sbin ones, where
/// Debian puts `nats-server`.
const EXTRA_BIN_DIRS: &[&str] = &["/usr/local/sbin", "/usr/sbin", "/sbin"];

/// Whether this process runs as root (PostgreSQL refuses to run as root).
pub(crate) fn is_root() -> bool {
    // `/proc/self` belongs to the process's effective user: no libc call needed.
    fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// Finds an executable on `PATH`, then in the sbin directories.
pub(crate) fn find_binary(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(EXTRA_BIN_DIRS.iter().map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

pub(crate) fn is_executable(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.mode() & 0o111 != 0)
}

/// Installs a Debian package when that is possible without asking anyone (root with
/// apt-get); otherwise fails with the exact command to run. `what` names the missing
/// program, `otherwise` says how to do without it.
pub(crate) fn install_package(package: &str, what: &str, otherwise: &str) -> Result<()> {
    let command = format!("apt-get install -y {package}");
    if !is_root() || find_binary("apt-get").is_none() {
        bail!("{what} was not found. Install it with `{command}` (as root), {otherwise}");
    }
    println!("xtask: {what} was not found; running `apt-get update && {command}`");
    for args in [
        &["update"][..],
        &["install", "-y", "--no-install-recommends", package][..],
    ] {
        let status = Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdin(Stdio::null())
            .status()
            .context("could not run apt-get")?;
        if !status.success() {
            bail!(
                "`apt-get {}` failed ({status}); install {package} by hand, {otherwise}",
                args.join(" ")
            );
        }
    }
    Ok(())
}

/// A TCP port on 127.0.0.1 that nobody listens on right now.
pub(crate) fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("could not pick a free port")?;
    Ok(listener.local_addr()?.port())
}

/// Whether 127.0.0.1:`port` can be bound (nobody else serves on it).
pub(crate) fn port_is_free(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// A command that runs `program` as the `postgres` user when we are root, as ourselves
/// otherwise.
pub(crate) fn as_postgres_user(program: &Path) -> Command {
    if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

/// Runs a command to completion, failing with its captured output when it fails.
pub(crate) fn run_quiet(command: &mut Command, what: &str) -> Result<()> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("could not start {what}"))?;
    if !output.status.success() {
        bail!(
            "{what} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

/// Whether a process with this pid exists and is not a zombie.
fn is_alive(pid: u32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state letter follows the parenthesised command name.
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z')),
        Err(_) => false,
    }
}

/// Sends a signal with the system `kill` (the workspace forbids the unsafe libc call).
pub(crate) fn signal(pid: u32, name: &str) {
    let _ = Command::new("kill")
        .args([format!("-{name}"), pid.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// SIGTERM, then SIGKILL if the process is still there after `grace`.
pub(crate) fn terminate(pid: u32, grace: Duration) {
    signal(pid, "TERM");
    let deadline = Instant::now() + grace;
    while is_alive(pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    if is_alive(pid) {
        signal(pid, "KILL");
    }
}

/// Stops the process recorded in `pid_file` if it is still running `program` (a server
/// left behind by a run that was killed too hard to clean up), then removes the file.
pub(crate) fn stop_leftover(pid_file: &Path, program: &str) {
    let Ok(text) = fs::read_to_string(pid_file) else {
        return;
    };
    if let Ok(pid) = text.trim().parse::<u32>() {
        let mut cmdline = String::new();
        let running_program = fs::File::open(format!("/proc/{pid}/cmdline"))
            .and_then(|mut f| f.read_to_string(&mut cmdline))
            .is_ok()
            && cmdline.contains(program);
        if running_program && is_alive(pid) {
            println!("xtask: stopping {program} (pid {pid}) left over from an earlier run");
            terminate(pid, Duration::from_secs(10));
        }
    }
    let _ = fs::remove_file(pid_file);
}

/// The last `lines` lines of a log file, for error messages.
pub(crate) fn tail(path: &Path, lines: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Set once the user asks us to stop (Ctrl-C or SIGTERM). Steps race their work against
/// it so that every server started so far is stopped on the way out.
#[derive(Clone)]
pub(crate) struct Shutdown(watch::Receiver<bool>);

impl Shutdown {
    /// Installs the signal handlers. Must run before anything is started: without a
    /// handler, Ctrl-C would kill us before we stop the private PostgreSQL (which lives
    /// in its own session and never sees the terminal's Ctrl-C).
    pub(crate) fn install() -> Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        let (tx, rx) = watch::channel(false);
        let mut interrupt = signal(SignalKind::interrupt()).context("could not watch SIGINT")?;
        let mut terminate = signal(SignalKind::terminate()).context("could not watch SIGTERM")?;
        tokio::spawn(async move {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
            let _ = tx.send(true);
        });
        Ok(Self(rx))
    }

    /// Resolves once a stop was asked for.
    pub(crate) async fn requested(&self) {
        let mut rx = self.0.clone();
        // An error means the watcher task is gone, which only happens after it fired.
        let _ = rx.wait_for(|stop| *stop).await;
    }

    /// Runs `work` unless a stop is asked for first.
    pub(crate) async fn guard<T>(&self, work: impl Future<Output = Result<T>>) -> Result<T> {
        tokio::select! {
            result = work => result,
            () = self.requested() => bail!("interrupted"),
        }
    }
}
