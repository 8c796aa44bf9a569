//! The five services as local processes: provisioning their database, starting them with
//! the environment they expect (each as its own PostgreSQL role), waiting until gRPC
//! health says SERVING, watching them, and stopping them.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use comptoir_runtime::db::role_of;

use crate::postgres;
use crate::sys::{self, Shutdown};

/// The platform database that `comptoir-provision` creates and the services share.
pub(crate) const DATABASE_NAME: &str = "comptoir";

/// One service as run locally.
pub(crate) struct Service {
    /// Binary name under `target/debug`.
    pub(crate) binary: &'static str,
    /// Its default gRPC port (DESIGN.md: the same locally, in the chart and in docs).
    pub(crate) port: u16,
    /// Fully-qualified gRPC service name, also reported by the health service.
    pub(crate) grpc_name: &'static str,
}

impl Service {
    pub(crate) fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.address())
    }
}

pub(crate) const IDENTITY: &Service = &SERVICES[0];
pub(crate) const TENANCY: &Service = &SERVICES[1];
pub(crate) const BILLING: &Service = &SERVICES[2];
pub(crate) const ACCOUNTANT_PORTAL: &Service = &SERVICES[3];

pub(crate) const SERVICES: [Service; 5] = [
    Service {
        binary: "identity",
        port: 50051,
        grpc_name: "comptoir.identity.v1.IdentityService",
    },
    Service {
        binary: "tenancy",
        port: 50052,
        grpc_name: "comptoir.tenancy.v1.TenancyService",
    },
    Service {
        binary: "billing",
        port: 50053,
        grpc_name: "comptoir.billing.v1.BillingService",
    },
    Service {
        binary: "accountant-portal",
        port: 50054,
        grpc_name: "comptoir.accountant_portal.v1.AccountantPortalService",
    },
    Service {
        binary: "export",
        port: 50055,
        grpc_name: "comptoir.export.v1.ExportService",
    },
];

/// Creates the database, roles and schemas and applies every service's migrations
/// (idempotent) with `comptoir-provision`, the same binary a cluster's release job runs.
/// The services wait for those migrations; they never apply them.
pub(crate) fn provision(bin_dir: &Path, admin_url: &str) -> Result<()> {
    let binary = bin_dir.join("comptoir-provision");
    sys::run_quiet(
        Command::new(&binary)
            .env("COMPTOIR_ADMIN_DATABASE_URL", admin_url)
            .env("COMPTOIR_DATABASE_NAME", DATABASE_NAME),
        "comptoir-provision",
    )
}

/// The five services, running.
pub(crate) struct Running {
    children: Vec<(&'static Service, Child, PathBuf)>,
    run_dir: PathBuf,
}

/// Starts the five services. Their output goes to `logs_dir/<binary>.log`.
pub(crate) fn start(
    bin_dir: &Path,
    logs_dir: &Path,
    run_dir: &Path,
    admin_url: &str,
    nats_url: &str,
) -> Result<Running> {
    fs::create_dir_all(logs_dir)
        .with_context(|| format!("could not create {}", logs_dir.display()))?;
    fs::create_dir_all(run_dir)
        .with_context(|| format!("could not create {}", run_dir.display()))?;
    for service in &SERVICES {
        sys::stop_leftover(
            &run_dir.join(format!("{}.pid", service.binary)),
            service.binary,
        );
        if !sys::port_is_free(service.port) {
            bail!(
                "port {} ({}) is already in use; stop whatever listens there (another `cargo xtask up`?)",
                service.port,
                service.binary
            );
        }
    }
    let mut running = Running {
        children: Vec::new(),
        run_dir: run_dir.to_path_buf(),
    };
    for service in &SERVICES {
        let binary = bin_dir.join(service.binary);
        let log_path = logs_dir.join(format!("{}.log", service.binary));
        let log = File::create(&log_path)
            .with_context(|| format!("could not create {}", log_path.display()))?;
        let mut command = Command::new(&binary);
        command
            .env("COMPTOIR_GRPC_ADDR", service.address())
            .env(
                "COMPTOIR_DATABASE_URL",
                postgres::database_url(
                    admin_url,
                    Some(&role_of(service.binary)),
                    DATABASE_NAME,
                    &[],
                )?,
            )
            .env("COMPTOIR_NATS_URL", nats_url)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        if service.binary == IDENTITY.binary {
            // SwitchCompany asks tenancy who may act on which company.
            command.env("COMPTOIR_TENANCY_URL", TENANCY.url());
            // A developer's machine: signing keys may stay unencrypted, unless the shell
            // sets COMPTOIR_KEY_ENCRYPTION_KEY (inherited), which seals them.
            command.env("COMPTOIR_ENVIRONMENT", "development");
        } else {
            command.env("COMPTOIR_IDENTITY_URL", IDENTITY.url());
        }
        if service.binary == ACCOUNTANT_PORTAL.binary {
            // CreateClientCompany and InviteDirector ask tenancy, with the caller's token.
            command.env("COMPTOIR_TENANCY_URL", TENANCY.url());
            // SetLockDates asks billing, with a token of the caller scoped to each client.
            command.env("COMPTOIR_BILLING_URL", BILLING.url());
        }
        // Invitation and password-reset mails land here when no SMTP server is set.
        command.env("COMPTOIR_MAILBOX_DIR", run_dir.join("mailbox"));
        if std::env::var_os("RUST_LOG").is_none() {
            command.env("RUST_LOG", "info");
        }
        let child = command
            .spawn()
            .with_context(|| format!("could not start {}", binary.display()))?;
        let _ = fs::write(
            run_dir.join(format!("{}.pid", service.binary)),
            child.id().to_string(),
        );
        running.children.push((service, child, log_path));
    }
    Ok(running)
}

impl Running {
    /// Waits until every service answers SERVING on `grpc.health.v1`, both overall and
    /// for its own service name; fails as soon as one exits.
    pub(crate) async fn wait_serving(&mut self, timeout: Duration) -> Result<()> {
        let started = Instant::now();
        let mut pending: Vec<&'static Service> = self.children.iter().map(|(s, _, _)| *s).collect();
        while !pending.is_empty() {
            self.check_alive()?;
            let mut still_pending = Vec::new();
            for service in pending {
                if serving(service).await {
                    println!(
                        "xtask: {:<17} SERVING on {} after {:.1?}",
                        service.binary,
                        service.address(),
                        started.elapsed()
                    );
                } else {
                    still_pending.push(service);
                }
            }
            pending = still_pending;
            if !pending.is_empty() {
                if started.elapsed() > timeout {
                    let names: Vec<&str> = pending.iter().map(|s| s.binary).collect();
                    bail!(
                        "not SERVING after {timeout:?}: {}; see their logs in {}",
                        names.join(", "),
                        self.logs_dir().display()
                    );
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
        Ok(())
    }

    /// Returns once a stop is asked for (Ok) or a service exits (Err).
    pub(crate) async fn watch(&mut self, shutdown: &Shutdown) -> Result<()> {
        loop {
            tokio::select! {
                () = shutdown.requested() => return Ok(()),
                () = tokio::time::sleep(Duration::from_millis(500)) => self.check_alive()?,
            }
        }
    }

    /// Fails, with the end of its log, if a service has exited.
    fn check_alive(&mut self) -> Result<()> {
        for (service, child, log) in &mut self.children {
            if let Some(status) = child.try_wait()? {
                bail!(
                    "{} exited ({status}); last lines of {}:\n{}",
                    service.binary,
                    log.display(),
                    sys::tail(log, 20)
                );
            }
        }
        Ok(())
    }

    fn logs_dir(&self) -> PathBuf {
        self.children
            .first()
            .and_then(|(_, _, log)| log.parent())
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }

    /// Stops every service (SIGTERM, then SIGKILL after a grace period). Also done on drop.
    pub(crate) fn stop(&mut self) {
        if self.children.is_empty() {
            return;
        }
        for (_, child, _) in &self.children {
            sys::signal(child.id(), "TERM");
        }
        for (service, mut child, _) in self.children.drain(..) {
            sys::terminate(child.id(), Duration::from_secs(10));
            let _ = child.wait();
            let _ = fs::remove_file(self.run_dir.join(format!("{}.pid", service.binary)));
        }
        println!("xtask: stopped the services");
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Whether the service reports SERVING overall and for its own name.
async fn serving(service: &Service) -> bool {
    let check = async {
        let channel = tonic::transport::Endpoint::from_shared(service.url())?
            .connect_timeout(Duration::from_secs(1))
            .connect()
            .await?;
        let mut client = HealthClient::new(channel);
        for name in ["", service.grpc_name] {
            let status = client
                .check(HealthCheckRequest {
                    service: name.to_owned(),
                })
                .await?
                .into_inner()
                .status;
            if status != ServingStatus::Serving as i32 {
                return anyhow::Ok(false);
            }
        }
        Ok(true)
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(3), check).await,
        Ok(Ok(true))
    )
}

#[cfg(test)]
mod tests {
    use super::SERVICES;

    #[test]
    fn the_service_table_follows_the_runtime_order() {
        let binaries = SERVICES.map(|service| service.binary);
        assert_eq!(binaries, comptoir_runtime::db::SERVICES);
        let ports = SERVICES.map(|service| service.port);
        assert_eq!(ports, [50051, 50052, 50053, 50054, 50055]);
    }
}
