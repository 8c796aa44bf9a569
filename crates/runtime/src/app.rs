//! The lifecycle every service shares. [`App::build`] binds the gRPC port (0 picks a free
//! one, which is how tests boot real services), and [`App::run_until_stopped`] serves
//! while a background task brings the service up: it waits for its schema to hold every
//! migration it was built with (provisioning applies them; see [`db::provision`]), its
//! NATS stream (retried while NATS is down), then health SERVING, the outbox
//! relay and the consumers. On SIGTERM, health turns NOT_SERVING, in-flight calls drain,
//! the outbox flushes and the trace exporter flushes.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream;
use futures::future::BoxFuture;
use sqlx::PgPool;
use sqlx::migrate::Migrator;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tonic::server::NamedService;
use tonic::service::RoutesBuilder;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use crate::auth::{KeyFetcher, KeySet};
use crate::config::{CommonConfig, IdentityClientConfig};
use crate::events::{self, Consumer, Names, Outbox};
use crate::grpc::EdgeLayer;
use crate::metrics::{self, Metrics};
use crate::retry::{Backoff, retry};
use crate::revocation::Revocations;
use crate::{db, idempotency, telemetry};

/// A service's fixed facts.
#[derive(Debug, Clone, Copy)]
pub struct ServiceSpec {
    /// Its name, e.g. `accountant-portal`.
    pub name: &'static str,
    /// Its default gRPC port.
    pub default_port: u16,
    /// Methods callable without a token, as `/package.Service/Method`.
    pub public_methods: &'static [&'static str],
    /// True if it publishes events (and so owns a stream).
    pub publishes: bool,
}

/// What a service's gRPC handlers and consumers get.
#[derive(Clone)]
pub struct Deps {
    /// Pool bound to the service's schema.
    pub pool: PgPool,
    /// Wakes the outbox relay after a commit that enqueued events.
    pub outbox: Outbox,
    /// Stream and subject names under the configured prefix.
    pub names: Names,
    /// JetStream context (for code that must publish or inspect directly).
    pub jetstream: jetstream::Context,
    /// The shared configuration.
    pub config: CommonConfig,
    /// The service's metrics registry.
    pub metrics: Arc<Metrics>,
}

/// What a service contributes: gRPC services, consumers, and (identity only) its own
/// key source.
#[derive(Default)]
pub struct Service {
    routes: RoutesBuilder,
    names: Vec<&'static str>,
    consumers: Vec<Consumer>,
    local_keys: Option<KeyFetcher>,
    on_ready: Vec<BoxFuture<'static, anyhow::Result<()>>>,
    tasks: Vec<Task>,
}

/// A background task of a service's own: given the stop token, it runs until stopped.
type Task = Box<dyn FnOnce(CancellationToken) -> BoxFuture<'static, ()> + Send>;

impl Service {
    /// Nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Serves a tonic service; its name is reported by health and reflection.
    pub fn grpc<S>(mut self, svc: S) -> Self
    where
        S: tower::Service<
                http::Request<tonic::body::Body>,
                Response = http::Response<tonic::body::Body>,
                Error = std::convert::Infallible,
            > + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        self.names.push(S::NAME);
        self.routes.add_service(svc);
        self
    }

    /// Runs a durable consumer once the service is ready.
    pub fn consumer(mut self, consumer: impl Into<Consumer>) -> Self {
        self.consumers.push(consumer.into());
        self
    }

    /// Runs a background task of the service's own (a job worker) once the service is
    /// ready, beside the relay and the consumers; it must return soon after its stop
    /// token is cancelled, which shutdown awaits for the grace period.
    pub fn task(
        mut self,
        task: impl FnOnce(CancellationToken) -> BoxFuture<'static, ()> + Send + 'static,
    ) -> Self {
        self.tasks.push(Box::new(task));
        self
    }

    /// Verifies tokens with these keys instead of asking identity (identity itself).
    pub fn local_keys(mut self, fetch: KeyFetcher) -> Self {
        self.local_keys = Some(fetch);
        self
    }

    /// Work to finish, after migrations, before the service reports SERVING.
    pub fn on_ready(mut self, work: BoxFuture<'static, anyhow::Result<()>>) -> Self {
        self.on_ready.push(work);
        self
    }
}

/// A service bound to its port, not yet serving.
pub struct App {
    spec: ServiceSpec,
    listener: TcpListener,
    metrics_listener: TcpListener,
    deps: Deps,
    service: Service,
    keys: KeySet,
    stop: CancellationToken,
    telemetry: telemetry::Telemetry,
}

impl App {
    /// Sets up telemetry, binds the port and prepares (lazily) the database and NATS
    /// connections. Fails only on what retrying cannot fix: a port in use, a malformed
    /// URL, a missing identity URL.
    pub async fn build(
        spec: ServiceSpec,
        config: CommonConfig,
        identity: Option<IdentityClientConfig>,
        make: impl FnOnce(&Deps) -> anyhow::Result<Service>,
    ) -> anyhow::Result<Self> {
        let telemetry = telemetry::init(spec.name, &config)?;
        let addr = config
            .grpc_addr
            .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], spec.default_port)));
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|err| anyhow::anyhow!("binding COMPTOIR_GRPC_ADDR {addr}: {err}"))?;
        let metrics_addr = config
            .metrics_addr
            .unwrap_or_else(|| metrics::default_addr(spec.default_port));
        let metrics_listener = TcpListener::bind(metrics_addr).await.map_err(|err| {
            anyhow::anyhow!("binding COMPTOIR_METRICS_ADDR {metrics_addr}: {err}")
        })?;
        let pool = db::lazy_pool(
            &config.database_url,
            &db::schema_of(spec.name),
            config.database_max_connections,
        )
        .map_err(|err| anyhow::anyhow!("COMPTOIR_DATABASE_URL: {err}"))?;
        let client = events::connect(&config.nats_url, spec.name)
            .await
            .map_err(|err| anyhow::anyhow!("COMPTOIR_NATS_URL `{}`: {err}", config.nats_url))?;
        let deps = Deps {
            pool,
            outbox: Outbox::default(),
            names: Names::new(&config.nats_prefix),
            jetstream: jetstream::new(client),
            config: config.clone(),
            metrics: Metrics::new(spec.name),
        };
        let mut service = make(&deps)?;
        let keys = match (service.local_keys.take(), identity) {
            (Some(fetch), _) => KeySet::new(fetch, &config.jwt_issuer, &config.jwt_audience),
            (None, Some(identity)) => KeySet::remote(
                &identity.identity_url,
                &config.jwt_issuer,
                &config.jwt_audience,
            )?,
            (None, None) => anyhow::bail!("{}: no way to verify tokens", spec.name),
        };
        Ok(Self {
            spec,
            listener,
            metrics_listener,
            deps,
            service,
            keys,
            stop: CancellationToken::new(),
            telemetry,
        })
    }

    /// The bound address (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// The bound metrics address.
    pub fn metrics_addr(&self) -> SocketAddr {
        self.metrics_listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Cancelling this token stops the service as SIGTERM would.
    pub fn stop_token(&self) -> CancellationToken {
        self.stop.clone()
    }

    /// The service's dependencies (tests inspect its pool).
    pub fn deps(&self) -> &Deps {
        &self.deps
    }

    /// Serves until SIGTERM, Ctrl-C or the stop token, then shuts down gracefully.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let Self {
            spec,
            listener,
            metrics_listener,
            deps,
            service,
            keys,
            stop,
            telemetry,
        } = self;
        let Service {
            routes,
            names,
            consumers,
            on_ready,
            tasks,
            ..
        } = service;

        let (health, health_service) = tonic_health::server::health_reporter();
        set_health(&health, &names, ServingStatus::NotServing).await;
        let (ready_tx, ready_rx) = watch::channel(false);

        let mut reflection = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(comptoir_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .with_service_name("grpc.health.v1.Health");
        for name in &names {
            reflection = reflection.with_service_name(*name);
        }
        let reflection_v1alpha = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(comptoir_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .with_service_name("grpc.health.v1.Health");
        let reflection_v1alpha = names
            .iter()
            .fold(reflection_v1alpha, |b, name| b.with_service_name(*name));

        let mut routes = routes;
        routes
            .add_service(health_service)
            .add_service(reflection.build_v1()?)
            .add_service(reflection_v1alpha.build_v1alpha()?);

        let background = tokio::spawn(bring_up(
            spec,
            deps.clone(),
            keys.revocations(),
            consumers,
            on_ready,
            tasks,
            health.clone(),
            names.clone(),
            ready_tx,
            stop.clone(),
        ));

        let signals = tokio::spawn(wait_for_signal(stop.clone()));
        let metrics_server =
            tokio::spawn(deps.metrics.clone().serve(metrics_listener, stop.clone()));
        let edge = EdgeLayer::new(
            spec.name,
            keys,
            spec.public_methods,
            ready_rx,
            deps.metrics.clone(),
        );
        let grace = deps.config.shutdown_grace;
        let shutdown = {
            let (stop, health, names) = (stop.clone(), health.clone(), names.clone());
            async move {
                stop.cancelled().await;
                tracing::info!("stopping: health NOT_SERVING, draining calls");
                set_health(&health, &names, ServingStatus::NotServing).await;
            }
        };
        tracing::info!(service = spec.name, addr = %listener.local_addr()?, "gRPC server listening");
        let server = tonic::transport::Server::builder()
            .timeout(deps.config.request_timeout)
            .layer(edge)
            .add_routes(routes.routes())
            .serve_with_incoming_shutdown(
                // Small gRPC frames must not wait for delayed ACKs (Nagle's algorithm).
                tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true)),
                shutdown,
            );
        let served = tokio::select! {
            served = server => served.map_err(anyhow::Error::from),
            // Drain for at most the grace period once stopping starts.
            () = async { stop.cancelled().await; tokio::time::sleep(grace).await } => {
                tracing::warn!("calls still in flight after the grace period; closing");
                Ok(())
            }
        };
        stop.cancel();
        signals.abort();
        metrics_server.abort();
        if tokio::time::timeout(grace, background).await.is_err() {
            tracing::warn!("background tasks did not stop within the grace period");
        }
        deps.pool.close().await;
        telemetry.shutdown();
        tracing::info!(service = spec.name, "stopped");
        served
    }
}

/// Every migration a service's schema gets (see [`db::migrator`]).
pub fn migrator(spec: &ServiceSpec) -> Migrator {
    db::migrator(spec.name)
}

async fn set_health(health: &HealthReporter, names: &[&'static str], status: ServingStatus) {
    health.set_service_status("", status).await;
    for name in names {
        health.set_service_status(*name, status).await;
    }
}

/// Migrations present, stream, readiness hooks; then SERVING, relay and consumers until
/// stopped.
#[allow(clippy::too_many_arguments)]
async fn bring_up(
    spec: ServiceSpec,
    deps: Deps,
    revocations: Revocations,
    consumers: Vec<Consumer>,
    on_ready: Vec<BoxFuture<'static, anyhow::Result<()>>>,
    own_tasks: Vec<Task>,
    health: HealthReporter,
    names: Vec<&'static str>,
    ready: watch::Sender<bool>,
    stop: CancellationToken,
) {
    // Revocations are learnt from the start, while the database may still be down; the
    // listener stops with the service.
    tokio::spawn(revocations.listen(deps.jetstream.clone(), deps.names.clone(), stop.clone()));
    let migrator = migrator(&spec);
    if let Err(err) = db::wait_for_migrations(&deps.pool, &migrator, &stop).await {
        if !stop.is_cancelled() {
            tracing::error!(error = %err, "the schema is not usable; the service stays NOT_SERVING");
        }
        return;
    }
    tracing::info!("migrations present");

    if spec.publishes {
        let config = deps.names.stream_config(spec.name);
        let created = retry(
            &stop,
            Backoff::new(Duration::from_millis(200), Duration::from_secs(5)),
            || deps.jetstream.get_or_create_stream(config.clone()),
            |err, delay| {
                tracing::warn!(error = %err, retry_in_ms = delay.as_millis() as u64, "nats stream not ready, retrying");
            },
        )
        .await;
        if created.is_none() {
            return;
        }
    }
    for work in on_ready {
        if let Err(err) = work.await {
            tracing::error!(error = %format!("{err:#}"), "start-up step failed; the service stays NOT_SERVING");
            return;
        }
    }

    let mut tasks = tokio::task::JoinSet::new();
    if spec.publishes {
        tasks.spawn(deps.outbox.clone().relay(
            deps.pool.clone(),
            deps.jetstream.clone(),
            deps.names.clone(),
            deps.metrics.clone(),
            stop.clone(),
        ));
    }
    for consumer in consumers {
        tasks.spawn(consumer.run(
            spec.name,
            deps.pool.clone(),
            deps.jetstream.clone(),
            deps.names.clone(),
            deps.metrics.clone(),
            stop.clone(),
        ));
    }
    for task in own_tasks {
        tasks.spawn(task(stop.clone()));
    }
    tasks.spawn(idempotency::purge(
        deps.pool.clone(),
        deps.config.idempotency_retention,
        stop.clone(),
    ));
    let _ = ready.send(true);
    if !stop.is_cancelled() {
        set_health(&health, &names, ServingStatus::Serving).await;
        tracing::info!(service = spec.name, "ready: SERVING");
    }
    while tasks.join_next().await.is_some() {}
}

async fn wait_for_signal(stop: CancellationToken) {
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
    stop.cancel();
}
