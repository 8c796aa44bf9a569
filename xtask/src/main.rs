//! `cargo xtask`: the developer entry points. `up` runs the whole platform locally with a
//! demo; `test` runs the whole test suite against real PostgreSQL and NATS;
//! `sqlx-prepare` regenerates (or checks) the offline data of the compile-checked queries;
//! `pyenv` makes the Python environment of the tests' e-invoice checkers.
//! They use the servers named by `DATABASE_URL` and `NATS_URL` when they answer and start
//! private ones otherwise. This file owns the command line, the order of the steps and
//! their timing; `postgres`, `nats`, `services`, `seed` and `sqlx` own one concern each,
//! `sys` the host plumbing.

mod nats;
mod postgres;
mod pyenv;
mod seed;
mod services;
mod sqlx;
mod sys;

use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};

use crate::nats::Nats;
use crate::postgres::{Keep, Postgres};
use crate::services::SERVICES;
use crate::sys::Shutdown;

/// Developer entry points for Comptoir.
#[derive(Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    command: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Build, start PostgreSQL and NATS if needed, run the five services and seed a demo.
    /// Runs until Ctrl-C (or until a service exits), then stops everything it started.
    Up,
    /// Run the whole test suite against real PostgreSQL and NATS (started if needed).
    /// Arguments after `--` go to cargo nextest (or cargo test).
    Test {
        /// Passed through to the test runner, e.g. `-- -E 'test(issuing)'`.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Describe every compile-checked query (crates with a `sqlx.toml`) against a scratch
    /// database migrated like production, and rewrite their offline data (`.sqlx/`).
    SqlxPrepare {
        /// Change nothing; fail, listing the files, when the committed data is stale,
        /// missing or extra.
        #[arg(long)]
        check: bool,
        /// Only this crate (repeatable), e.g. `-p comptoir-identity`: the others are
        /// neither compiled nor touched, so a crate that does not build yet does not stop
        /// another's data from being prepared. Default: every crate with a `sqlx.toml`.
        #[arg(short = 'p', long = "package", value_name = "CRATE")]
        packages: Vec<String>,
    },
    /// Make (or refresh) `target/pyenv`, the Python environment with the pinned e-invoice
    /// checkers the tests run (`xtask/pyenv-requirements.txt`); `test` does it itself.
    Pyenv,
}

fn main() -> ExitCode {
    // `sqlx-prepare` runs cargo with this binary as its rustc wrapper.
    if let Some(code) = crate::sqlx::rustc_wrapper() {
        return code;
    }
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("xtask: could not start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let started = Instant::now();
    let outcome = runtime.block_on(async {
        let shutdown = Shutdown::install()?;
        match cli.command {
            Task::Up => up(&shutdown).await.map(|()| 0),
            Task::Test { args } => test(&shutdown, &args).await,
            Task::SqlxPrepare { check, packages } => {
                crate::sqlx::prepare(&shutdown, check, &packages)
                    .await
                    .map(|()| 0)
            }
            Task::Pyenv => pyenv::ensure(&Paths::new().target).map(|python| {
                println!("xtask: Python environment ready: {}", python.display());
                0
            }),
        }
    });
    println!("xtask: total {}", seconds(started.elapsed()));
    match outcome {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(error) => {
            eprintln!("xtask: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn up(shutdown: &Shutdown) -> Result<()> {
    let paths = Paths::new();
    let step = Step::start("build the services");
    cargo(shutdown, &["build", "--workspace", "--bins"]).await?;
    step.done();

    let step = Step::start("PostgreSQL");
    let mut postgres = shutdown
        .guard(Postgres::ensure(&paths.dev.join("pg"), Keep::Data))
        .await?;
    step.done();

    let step = Step::start("NATS");
    let mut nats = shutdown
        .guard(Nats::ensure(
            &paths.dev.join("nats"),
            &paths.logs.join("nats-server.log"),
            Keep::Data,
        ))
        .await?;
    step.done();

    let step = Step::start("provision and migrate the database");
    services::provision(&paths.bin, &postgres.admin_url)?;
    step.done();

    let step = Step::start("start the services");
    let mut running = services::start(
        &paths.bin,
        &paths.logs,
        &paths.dev.join("run"),
        &postgres.admin_url,
        &nats.url,
    )?;
    println!(
        "xtask: service logs go to {}/<service>.log",
        paths.logs.display()
    );
    shutdown
        .guard(running.wait_serving(Duration::from_secs(180)))
        .await?;
    step.done();

    let step = Step::start("seed the demo");
    let demo = shutdown.guard(seed::seed()).await?;
    step.done();

    print_summary(&paths, &postgres, &nats, &demo);
    let outcome = running.watch(shutdown).await;
    println!("xtask: stopping");
    running.stop();
    nats.stop();
    postgres.stop();
    outcome
}

async fn test(shutdown: &Shutdown, args: &[String]) -> Result<i32> {
    let paths = Paths::new();
    let step = Step::start("Python environment of the e-invoice checkers");
    let python = pyenv::ensure(&paths.target)?;
    step.done();

    let step = Step::start("PostgreSQL");
    let mut postgres = shutdown
        .guard(Postgres::ensure(&paths.dev.join("test-pg"), Keep::Nothing))
        .await?;
    step.done();

    let step = Step::start("NATS");
    let mut nats = shutdown
        .guard(Nats::ensure(
            &paths.dev.join("test-nats"),
            &paths.logs.join("test-nats-server.log"),
            Keep::Nothing,
        ))
        .await?;
    // Tests that restart NATS start their own server and look for it this way.
    let nats_server_bin = if std::env::var_os("COMPTOIR_NATS_SERVER_BIN").is_none() {
        match nats::server_binary() {
            Ok(path) => Some(path),
            Err(error) => {
                println!("xtask: warning: {error:#}; tests that start their own NATS will fail");
                None
            }
        }
    } else {
        None
    };
    step.done();

    let nextest = std::process::Command::new(cargo_binary())
        .args(["nextest", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    let mut command_line: Vec<&str> = if nextest {
        vec!["nextest", "run", "--no-fail-fast"]
    } else {
        println!(
            "xtask: cargo-nextest is not installed (`cargo install cargo-nextest`); using cargo test"
        );
        vec!["test", "--no-fail-fast"]
    };
    // The whole workspace unless the caller picked packages.
    let picks_packages = args
        .iter()
        .any(|a| a.starts_with("--package") || a.starts_with("-p"));
    if !picks_packages {
        command_line.push("--workspace");
    }
    command_line.extend(args.iter().map(String::as_str));

    let step = Step::start(&format!("cargo {}", command_line.join(" ")));
    let mut command = tokio::process::Command::new(cargo_binary());
    command
        .args(&command_line)
        .current_dir(&paths.root)
        .env("DATABASE_URL", &postgres.admin_url)
        .env("NATS_URL", &nats.url)
        .env("COMPTOIR_PYTHON", &python)
        .kill_on_drop(true);
    if let Some(path) = &nats_server_bin {
        command.env("COMPTOIR_NATS_SERVER_BIN", path);
    }
    println!(
        "xtask: DATABASE_URL={} NATS_URL={} ({}, {})",
        postgres::redact(&postgres.admin_url),
        nats.url,
        if postgres.is_private() {
            "private PostgreSQL"
        } else {
            "from DATABASE_URL"
        },
        if nats.is_private() {
            "private nats-server"
        } else {
            "from NATS_URL"
        },
    );
    let mut child = command.spawn().context("could not start cargo")?;
    let status = tokio::select! {
        status = child.wait() => status?,
        () = shutdown.requested() => {
            // The terminal's Ctrl-C reached the runner too; a SIGTERM sent to us alone did not.
            if let Some(pid) = child.id() {
                sys::terminate(pid, Duration::from_secs(10));
            }
            child.wait().await?
        }
    };
    println!("xtask: the test runner exited ({status})");
    step.done();
    nats.stop();
    postgres.stop();
    // A runner killed by a signal has no code; report failure.
    Ok(status.code().unwrap_or(1))
}

fn print_summary(paths: &Paths, postgres: &Postgres, nats: &Nats, demo: &seed::Demo) {
    println!();
    println!("Comptoir is up.");
    println!();
    for service in &SERVICES {
        println!("  {:<18} {}", service.binary, service.address());
    }
    println!();
    println!(
        "  PostgreSQL         {}",
        postgres::redact(&postgres.admin_url)
    );
    println!("  NATS               {}", nats.url);
    println!(
        "  service logs       {}/<service>.log",
        paths.logs.display()
    );
    println!();
    println!("Demo login: {} / {}", seed::DEMO_EMAIL, seed::DEMO_PASSWORD);
    for (name, id) in &demo.companies {
        println!("  company {name:<26} {id}");
    }
    println!();
    println!(
        "An access token for the demo user (valid {} s):",
        demo.expires_in_seconds
    );
    println!("  TOKEN={}", demo.access_token);
    println!();
    println!("Try it with grpcurl (the services serve reflection):");
    println!("  grpcurl -plaintext 127.0.0.1:50051 list");
    println!(
        "  grpcurl -plaintext -d '{{\"email\":\"{}\",\"password\":\"{}\"}}' 127.0.0.1:50051 comptoir.identity.v1.IdentityService/Login",
        seed::DEMO_EMAIL,
        seed::DEMO_PASSWORD
    );
    println!(
        "  grpcurl -plaintext -H \"authorization: Bearer $TOKEN\" -d '{{}}' 127.0.0.1:50052 comptoir.tenancy.v1.TenancyService/ListMyCompanies"
    );
    println!();
    println!("Press Ctrl-C to stop everything.");
}

/// Where things are: the workspace, its target directory, its debug binaries, and
/// `target/comptoir-dev/`.
struct Paths {
    root: PathBuf,
    target: PathBuf,
    bin: PathBuf,
    dev: PathBuf,
    logs: PathBuf,
}

impl Paths {
    fn new() -> Self {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap_or(Path::new("."))
            .to_path_buf();
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .map_or_else(|| root.join("target"), |dir| root.join(dir));
        let dev = target.join("comptoir-dev");
        Self {
            bin: target.join("debug"),
            logs: dev.join("logs"),
            dev,
            target,
            root,
        }
    }
}

/// The cargo that runs us (so the same toolchain builds everything).
fn cargo_binary() -> PathBuf {
    std::env::var_os("CARGO").map_or_else(|| PathBuf::from("cargo"), PathBuf::from)
}

async fn cargo(shutdown: &Shutdown, args: &[&str]) -> Result<()> {
    let mut child = tokio::process::Command::new(cargo_binary())
        .args(args)
        .current_dir(Paths::new().root)
        .kill_on_drop(true)
        .spawn()
        .context("could not start cargo")?;
    let status = shutdown.guard(async { Ok(child.wait().await?) }).await?;
    if !status.success() {
        bail!("`cargo {}` failed ({status})", args.join(" "));
    }
    Ok(())
}

/// One timed step: announced when it starts, its duration printed when it ends.
struct Step {
    name: String,
    started: Instant,
    done: bool,
}

impl Step {
    fn start(name: &str) -> Self {
        println!("==> {name}");
        Self {
            name: name.to_owned(),
            started: Instant::now(),
            done: false,
        }
    }

    fn done(mut self) {
        self.done = true;
    }
}

impl Drop for Step {
    fn drop(&mut self) {
        let outcome = if self.done { "done" } else { "failed" };
        println!(
            "==> {}: {outcome} in {}",
            self.name,
            seconds(self.started.elapsed())
        );
    }
}

fn seconds(duration: Duration) -> String {
    format!("{:.1} s", duration.as_secs_f64())
}
