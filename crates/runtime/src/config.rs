//! Configuration shared by every service, read from `COMPTOIR_*` variables (and the
//! standard `OTEL_*`) with clap, before anything binds. A bad value ends the process with
//! exit code 64 (EX_USAGE) and a message naming the variable.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, Parser};

/// What every service needs: where to listen, where its database and NATS are, how to
/// verify tokens and where to send traces. Each service flattens this into its own
/// `Config`.
#[derive(Debug, Clone, Args)]
pub struct CommonConfig {
    /// Address the gRPC server binds; port 0 picks a free port.
    #[arg(long, env = "COMPTOIR_GRPC_ADDR", value_name = "COMPTOIR_GRPC_ADDR")]
    pub grpc_addr: Option<SocketAddr>,

    /// Address of the Prometheus `/metrics` endpoint; default 0.0.0.0:(9090 + n) where
    /// n is the service's place (identity 9091 … export 9095); port 0 picks a free port.
    #[arg(
        long,
        env = "COMPTOIR_METRICS_ADDR",
        value_name = "COMPTOIR_METRICS_ADDR"
    )]
    pub metrics_addr: Option<SocketAddr>,

    /// PostgreSQL URL, connecting as the service's own role to the platform database.
    #[arg(
        long,
        env = "COMPTOIR_DATABASE_URL",
        value_name = "COMPTOIR_DATABASE_URL"
    )]
    pub database_url: Secret,

    /// Most connections the service holds to PostgreSQL at once (its pool's size), 1 to
    /// 1000. Each replica holds its own: size `max_connections` on the server for all.
    #[arg(
        long,
        env = "COMPTOIR_DATABASE_MAX_CONNECTIONS",
        value_name = "COMPTOIR_DATABASE_MAX_CONNECTIONS",
        default_value = "16",
        value_parser = clap::value_parser!(u32).range(1..=1000)
    )]
    pub database_max_connections: u32,

    /// NATS server URL(s), comma-separated.
    #[arg(long, env = "COMPTOIR_NATS_URL", value_name = "COMPTOIR_NATS_URL")]
    pub nats_url: String,

    /// Prefix put before every stream, subject and consumer name, so several
    /// installations (or tests) can share one NATS server. Letters, digits and `_` only.
    #[arg(
        long,
        env = "COMPTOIR_NATS_PREFIX",
        value_name = "COMPTOIR_NATS_PREFIX",
        default_value = "",
        value_parser = parse_prefix
    )]
    pub nats_prefix: String,

    /// Expected `iss` claim of access tokens.
    #[arg(
        long,
        env = "COMPTOIR_JWT_ISSUER",
        value_name = "COMPTOIR_JWT_ISSUER",
        default_value = "comptoir"
    )]
    pub jwt_issuer: String,

    /// Expected `aud` claim of access tokens.
    #[arg(
        long,
        env = "COMPTOIR_JWT_AUDIENCE",
        value_name = "COMPTOIR_JWT_AUDIENCE",
        default_value = "comptoir"
    )]
    pub jwt_audience: String,

    /// Seconds a gRPC call may take before it is cancelled with DEADLINE_EXCEEDED.
    #[arg(
        long,
        env = "COMPTOIR_REQUEST_TIMEOUT",
        value_name = "COMPTOIR_REQUEST_TIMEOUT",
        default_value = "30",
        value_parser = parse_seconds
    )]
    pub request_timeout: Duration,

    /// Seconds given to in-flight calls and the outbox to finish after SIGTERM.
    #[arg(
        long,
        env = "COMPTOIR_SHUTDOWN_GRACE",
        value_name = "COMPTOIR_SHUTDOWN_GRACE",
        default_value = "20",
        value_parser = parse_seconds
    )]
    pub shutdown_grace: Duration,

    /// Seconds an idempotency key and its stored answer are kept; a background task
    /// purges older ones, after which a retry with that key runs as a new request.
    #[arg(
        long,
        env = "COMPTOIR_IDEMPOTENCY_RETENTION",
        value_name = "COMPTOIR_IDEMPOTENCY_RETENTION",
        default_value = "86400",
        value_parser = parse_seconds
    )]
    pub idempotency_retention: Duration,

    /// OTLP/HTTP endpoint for traces, e.g. `http://otel-collector:4318`; unset disables
    /// trace export (logs still carry trace ids).
    #[arg(
        long,
        env = "OTEL_EXPORTER_OTLP_ENDPOINT",
        value_name = "OTEL_EXPORTER_OTLP_ENDPOINT"
    )]
    pub otlp_endpoint: Option<String>,

    /// Share of new traces recorded, from 0 to 1; a call that arrives inside a sampled
    /// trace is always recorded (parent-based sampling).
    #[arg(
        long,
        env = "COMPTOIR_TRACE_SAMPLE_RATIO",
        value_name = "COMPTOIR_TRACE_SAMPLE_RATIO",
        default_value = "1.0",
        value_parser = parse_ratio
    )]
    pub trace_sample_ratio: f64,

    /// Log filter in `tracing_subscriber::EnvFilter` syntax.
    #[arg(
        long,
        env = "RUST_LOG",
        value_name = "RUST_LOG",
        default_value = "info"
    )]
    pub log_filter: String,
}

/// Configuration of a service that verifies tokens with identity's public keys.
#[derive(Debug, Clone, Args)]
pub struct IdentityClientConfig {
    /// gRPC URL of the identity service, e.g. `http://identity:50051`.
    #[arg(
        long,
        env = "COMPTOIR_IDENTITY_URL",
        value_name = "COMPTOIR_IDENTITY_URL"
    )]
    pub identity_url: String,
}

/// The configuration of a service that needs nothing beyond the shared settings and
/// identity's keys. A service that grows settings of its own gets its own `Config`.
#[derive(Debug, Clone, Parser)]
pub struct ServiceConfig {
    /// Settings every service shares.
    #[command(flatten)]
    pub common: CommonConfig,
    /// Where identity's token keys come from.
    #[command(flatten)]
    pub identity: IdentityClientConfig,
}

/// A value that must never reach a log: `Debug` prints a placeholder.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

fn parse_seconds(value: &str) -> Result<Duration, String> {
    match value.parse::<u64>() {
        Ok(0) => Err("must be at least 1 second".to_owned()),
        Ok(secs) => Ok(Duration::from_secs(secs)),
        Err(_) => Err(format!("`{value}` is not a whole number of seconds")),
    }
}

fn parse_ratio(value: &str) -> Result<f64, String> {
    match value.parse::<f64>() {
        Ok(ratio) if (0.0..=1.0).contains(&ratio) => Ok(ratio),
        _ => Err(format!("`{value}` is not a number from 0 to 1")),
    }
}

fn parse_prefix(value: &str) -> Result<String, String> {
    if value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        Ok(value.to_owned())
    } else {
        Err("only ASCII letters, digits and `_` are allowed".to_owned())
    }
}

/// Ends the process as a configuration error does: `message` on standard error (it should
/// name the variable at fault), exit code 64 (EX_USAGE). For settings that parse but cannot
/// work, found after parsing.
pub fn exit_usage(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(64)
}

/// Parses the configuration of the binary `name` from the environment (and arguments),
/// or exits with code 64 and clap's message, which names the variable at fault.
pub fn parse_or_exit<C: Parser>(name: &'static str) -> C {
    let parsed = C::command()
        .name(name)
        .bin_name(name)
        .about(format!("Comptoir {name} service"))
        .try_get_matches()
        .and_then(|matches| C::from_arg_matches(&matches));
    match parsed {
        Ok(config) => config,
        Err(err) => {
            use clap::error::ErrorKind;
            if matches!(
                err.kind(),
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
            ) {
                err.exit();
            }
            let _ = err.print();
            std::process::exit(64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Parser)]
    struct Probe {
        #[command(flatten)]
        common: CommonConfig,
    }

    #[test]
    fn a_missing_database_url_names_the_variable() {
        let err = Probe::try_parse_from(["probe", "--nats-url", "nats://x"]).unwrap_err();
        assert!(err.to_string().contains("COMPTOIR_DATABASE_URL"), "{err}");
    }

    #[test]
    fn a_bad_timeout_names_the_variable_and_the_reason() {
        let err = Probe::try_parse_from([
            "probe",
            "--database-url",
            "postgres://x",
            "--nats-url",
            "nats://x",
            "--request-timeout",
            "soon",
        ])
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("COMPTOIR_REQUEST_TIMEOUT"), "{text}");
        assert!(text.contains("not a whole number"), "{text}");
    }

    #[test]
    fn a_pool_size_out_of_range_names_the_variable() {
        let parse = |size: &str| {
            Probe::try_parse_from([
                "probe",
                "--database-url",
                "postgres://x",
                "--nats-url",
                "nats://x",
                "--database-max-connections",
                size,
            ])
        };
        let err = parse("0").unwrap_err().to_string();
        assert!(err.contains("COMPTOIR_DATABASE_MAX_CONNECTIONS"), "{err}");
        assert!(err.contains("1..=1000"), "{err}");
        assert_eq!(parse("40").unwrap().common.database_max_connections, 40);
    }

    #[test]
    fn the_database_url_never_prints() {
        let config = Probe::try_parse_from([
            "probe",
            "--database-url",
            "postgres://u:hunter2@db/x",
            "--nats-url",
            "nats://x",
        ])
        .unwrap();
        assert!(!format!("{config:?}").contains("hunter2"));
    }
}
