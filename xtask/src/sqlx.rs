//! `cargo xtask sqlx-prepare [--check]`: the offline data of the compile-checked queries.
//!
//! A crate whose directory holds a `sqlx.toml` has its `sqlx::query!` family described
//! against a real schema: its `sqlx.toml` names the variable holding that schema's URL
//! (`SQLX_<SCHEMA>_DATABASE_URL`, one per service schema). Normal builds are offline
//! (`SQLX_OFFLINE=true` in `.cargo/config.toml`) and read the committed `<crate>/.sqlx/`.
//! This module owns regenerating that data without sqlx-cli: it migrates a scratch
//! database the way provisioning does, runs `cargo check` on those crates online, then
//! replaces each `.sqlx/` or, with `--check`, fails naming the stale, missing and extra
//! files.
//!
//! The macros write what they describe to one directory, `SQLX_OFFLINE_DIR`, and cargo
//! gives every rustc the same environment; so cargo runs this binary as
//! `RUSTC_WORKSPACE_WRAPPER`, which points `SQLX_OFFLINE_DIR` at a directory of the crate
//! being compiled ([`rustc_wrapper`]). That keeps the runtime's queries out of export's
//! data when export's check recompiles the runtime. The check runs in its own target
//! directory (`target/sqlx-prepare/`), where the prepared crates are cleaned first so
//! their macros run again; the normal target stays as it is.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use comptoir_runtime::config::Secret;
use comptoir_runtime::db::{SERVICES, schema_of};
use sqlx::Connection;

use crate::postgres::{self, Keep, Postgres};
use crate::sys::Shutdown;
use crate::{Paths, Step, cargo_binary};

/// Set by [`prepare`] for the cargo it runs: where the wrapper puts each crate's data.
const WRAPPER_OUT: &str = "COMPTOIR_SQLX_PREPARE_OUT";

/// A workspace crate with a `sqlx.toml`.
struct Prepared {
    /// Package name, as `cargo -p` takes it.
    package: String,
    /// Its directory, holding `sqlx.toml` and `.sqlx/`.
    dir: PathBuf,
}

/// When cargo runs this binary as `RUSTC_WORKSPACE_WRAPPER` for [`prepare`] (its first
/// argument is then the rustc to run), runs that rustc with the crate's macros online
/// and writing to `<out>/<package>` if the crate has a `sqlx.toml`, or offline otherwise.
/// `None` when this is an ordinary `cargo xtask` run.
pub(crate) fn rustc_wrapper() -> Option<ExitCode> {
    let out = std::env::var_os(WRAPPER_OUT)?;
    let mut args = std::env::args_os().skip(1);
    let Some(rustc) = args.next() else {
        eprintln!("xtask: {WRAPPER_OUT} is set but no rustc was given");
        return Some(ExitCode::FAILURE);
    };
    let mut command = std::process::Command::new(rustc);
    command.args(args);
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    let package = std::env::var_os("CARGO_PKG_NAME");
    match (manifest_dir, package) {
        (Some(dir), Some(package)) if dir.join("sqlx.toml").is_file() => {
            let data = Path::new(&out).join(package);
            if let Err(error) = fs::create_dir_all(&data) {
                eprintln!("xtask: could not create {}: {error}", data.display());
                return Some(ExitCode::FAILURE);
            }
            command
                .env("SQLX_OFFLINE", "false")
                .env("SQLX_OFFLINE_DIR", data);
        }
        // Version probes and crates without compile-checked queries.
        _ => {
            command
                .env("SQLX_OFFLINE", "true")
                .env_remove("SQLX_OFFLINE_DIR");
        }
    }
    let error = command.exec();
    eprintln!("xtask: could not run rustc: {error}");
    Some(ExitCode::FAILURE)
}

/// Regenerates the offline data of every crate with a `sqlx.toml` (or of those named in
/// `only`) against a scratch database holding every service's migrations; writes it to
/// `<crate>/.sqlx/`, or with `check` fails when what is committed differs.
pub(crate) async fn prepare(shutdown: &Shutdown, check: bool, only: &[String]) -> Result<()> {
    let paths = Paths::new();
    let mut crates = prepared_crates(&paths.root)?;
    if !only.is_empty() {
        if let Some(unknown) = only
            .iter()
            .find(|name| !crates.iter().any(|c| &c.package == *name))
        {
            bail!("`{unknown}` is not a crate with a sqlx.toml");
        }
        crates.retain(|c| only.contains(&c.package));
    }
    if crates.is_empty() {
        println!("xtask: no crate has a sqlx.toml; nothing to prepare");
        return Ok(());
    }

    let step = Step::start("PostgreSQL");
    let mut postgres = shutdown
        .guard(Postgres::ensure(&paths.dev.join("sqlx-pg"), Keep::Nothing))
        .await?;
    step.done();

    // Per run, so two runs at once neither share a database nor mix their output.
    let database = format!("comptoir_sqlx_{}", std::process::id());
    let out = paths
        .target
        .join("sqlx-prepare")
        .join(format!("queries-{}", std::process::id()));
    let step = Step::start(&format!("migrate the scratch database {database}"));
    let migrated = shutdown
        .guard(comptoir_runtime::db::provision(
            &Secret::from(postgres.admin_url.clone()),
            &database,
            &[],
        ))
        .await;
    let described = match migrated {
        Ok(()) => {
            step.done();
            let step = Step::start("describe the queries (cargo check, online)");
            let outcome = describe(
                shutdown,
                &paths,
                &crates,
                &postgres.admin_url,
                &database,
                &out,
            )
            .await;
            if outcome.is_ok() {
                step.done();
            }
            outcome
        }
        Err(error) => Err(error.context("could not migrate the scratch database")),
    };
    drop_database(&postgres.admin_url, &database).await;
    postgres.stop();
    let outcome = described.and_then(|()| settle(&paths.root, &crates, &out, check));
    let _ = fs::remove_dir_all(&out);
    outcome
}

/// Writes each crate's fresh data (`<out>/<package>`) to its `.sqlx/`, or with `check`
/// fails listing every file that differs.
fn settle(root: &Path, crates: &[Prepared], out: &Path, check: bool) -> Result<()> {
    let mut stale = Vec::new();
    for prepared in crates {
        let fresh = out.join(&prepared.package);
        let committed = prepared.dir.join(".sqlx");
        let relative = prepared.dir.strip_prefix(root).unwrap_or(&prepared.dir);
        if check {
            let differences = compare(&fresh, &committed)?;
            if differences.is_empty() {
                println!("xtask: {}/.sqlx is up to date", relative.display());
            } else {
                stale.push(format!(
                    "{}/.sqlx differs from the queries:\n{}",
                    relative.display(),
                    differences.join("\n")
                ));
            }
        } else {
            let count = replace(&fresh, &committed)?;
            println!(
                "xtask: {}/.sqlx holds the data of {count} queries",
                relative.display()
            );
        }
    }
    if !stale.is_empty() {
        bail!(
            "the offline query data is out of date:\n{}\nrun `cargo xtask sqlx-prepare` and commit the .sqlx directories",
            stale.join("\n")
        );
    }
    Ok(())
}

/// Every workspace member whose directory holds a `sqlx.toml`, after checking that the
/// variable it names is one this command sets.
fn prepared_crates(root: &Path) -> Result<Vec<Prepared>> {
    let output = std::process::Command::new(cargo_binary())
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .current_dir(root)
        .output()
        .context("could not run cargo metadata")?;
    if !output.status.success() {
        bail!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).context("cargo metadata's output")?;
    let known: Vec<String> = SERVICES.iter().map(|s| url_var(&schema_of(s))).collect();
    let mut crates = Vec::new();
    for package in metadata["packages"].as_array().into_iter().flatten() {
        let (Some(name), Some(manifest)) =
            (package["name"].as_str(), package["manifest_path"].as_str())
        else {
            continue;
        };
        let dir = Path::new(manifest).parent().unwrap_or(root).to_path_buf();
        let config = dir.join("sqlx.toml");
        if !config.is_file() {
            continue;
        }
        let text = fs::read_to_string(&config)
            .with_context(|| format!("could not read {}", config.display()))?;
        match database_url_var(&text) {
            Some(var) if known.contains(&var) => {}
            other => bail!(
                "{}: database-url-var is {}; it must be one of {}",
                config.display(),
                other.map_or_else(|| "not set".to_owned(), |v| format!("`{v}`")),
                known.join(", ")
            ),
        }
        crates.push(Prepared {
            package: name.to_owned(),
            dir,
        });
    }
    crates.sort_by(|a, b| a.package.cmp(&b.package));
    Ok(crates)
}

/// The variable holding the URL of `schema`'s scratch copy for the macros.
fn url_var(schema: &str) -> String {
    format!("SQLX_{}_DATABASE_URL", schema.to_uppercase())
}

/// The `database-url-var` of a `sqlx.toml`'s `[common]` table (a plain `key = "value"`
/// line is all this workspace writes; sqlx itself reads the whole file).
fn database_url_var(sqlx_toml: &str) -> Option<String> {
    sqlx_toml.lines().find_map(|line| {
        let (key, value) = line.split_once('=')?;
        (key.trim() == "database-url-var").then(|| value.trim().trim_matches('"').to_owned())
    })
}

/// `admin_url` pointed at `database`, with `schema` alone on the search path, the way a
/// service's pool resolves its unqualified names.
fn schema_url(admin_url: &str, database: &str, schema: &str) -> Result<String> {
    let search_path = format!("options=-c%20search_path%3D{schema}");
    postgres::database_url(admin_url, None, database, &[&search_path])
}

/// Runs `cargo check --all-targets` on the prepared crates, online against `database`,
/// in `target/sqlx-prepare/` after cleaning them there (so every macro runs again); each
/// crate's data lands in `<out>/<package>`.
async fn describe(
    shutdown: &Shutdown,
    paths: &Paths,
    crates: &[Prepared],
    admin_url: &str,
    database: &str,
    out: &Path,
) -> Result<()> {
    let target = paths.target.join("sqlx-prepare");
    fs::create_dir_all(out).with_context(|| format!("could not create {}", out.display()))?;
    let packages: Vec<&str> = crates
        .iter()
        .flat_map(|c| ["-p", c.package.as_str()])
        .collect();

    let mut clean: Vec<&str> = vec!["clean", "--quiet", "--target-dir"];
    let target_arg = target.to_string_lossy().into_owned();
    clean.push(&target_arg);
    clean.extend(&packages);
    run_cargo(shutdown, paths, &clean, &[]).await?;

    let wrapper = std::env::current_exe().context("could not find the xtask binary")?;
    let mut env: Vec<(String, OsString)> = vec![
        ("RUSTC_WORKSPACE_WRAPPER".to_owned(), wrapper.into()),
        (WRAPPER_OUT.to_owned(), out.into()),
    ];
    for service in SERVICES {
        let schema = schema_of(service);
        env.push((
            url_var(&schema),
            schema_url(admin_url, database, &schema)?.into(),
        ));
    }
    let mut check: Vec<&str> = vec!["check", "--all-targets", "--target-dir", &target_arg];
    check.extend(&packages);
    run_cargo(shutdown, paths, &check, &env)
        .await
        .context("the queries do not compile against the migrations")
}

async fn run_cargo(
    shutdown: &Shutdown,
    paths: &Paths,
    args: &[&str],
    env: &[(String, OsString)],
) -> Result<()> {
    let mut command = tokio::process::Command::new(cargo_binary());
    command
        .args(args)
        .current_dir(&paths.root)
        .env_remove("SQLX_OFFLINE_DIR")
        .kill_on_drop(true);
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().context("could not start cargo")?;
    let status = shutdown.guard(async { Ok(child.wait().await?) }).await?;
    if !status.success() {
        bail!("`cargo {}` failed ({status})", args.join(" "));
    }
    Ok(())
}

async fn drop_database(admin_url: &str, database: &str) {
    let dropped = async {
        let mut connection = sqlx::PgConnection::connect(admin_url).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)"
        )))
        .execute(&mut connection)
        .await?;
        connection.close().await
    };
    if let Err(error) = dropped.await {
        eprintln!(
            "xtask: could not drop the scratch database {database} on {}: {error}",
            postgres::redact(admin_url)
        );
    }
}

/// The `query-*.json` file names in `dir` (none when it does not exist).
fn data_files(dir: &Path) -> Result<BTreeSet<String>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeSet::new()),
        Err(error) => {
            return Err(error).with_context(|| format!("could not read {}", dir.display()));
        }
    };
    let mut names = BTreeSet::new();
    for entry in entries {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.starts_with("query-") && name.ends_with(".json") {
            names.insert(name);
        }
    }
    Ok(names)
}

/// One line per file that differs between the `fresh` data and the `committed` one:
/// stale (both, other content), missing (not committed) or extra (no query uses it).
fn compare(fresh: &Path, committed: &Path) -> Result<Vec<String>> {
    let (new, old) = (data_files(fresh)?, data_files(committed)?);
    let mut lines = Vec::new();
    for name in new.union(&old) {
        let kind = match (new.contains(name), old.contains(name)) {
            (true, true) if fs::read(fresh.join(name))? == fs::read(committed.join(name))? => {
                continue;
            }
            (true, true) => "stale  ",
            (true, false) => "missing",
            (false, _) => "extra  ",
        };
        let source = if new.contains(name) { fresh } else { committed };
        lines.push(format!(
            "  {kind} {name} ({})",
            query_of(&source.join(name))
        ));
    }
    Ok(lines)
}

/// The start of the SQL a data file describes, on one line, for messages.
fn query_of(file: &Path) -> String {
    let sql = fs::read(file)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .and_then(|data| data["query"].as_str().map(str::to_owned))
        .unwrap_or_default();
    let line = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(60) {
        Some((end, _)) => format!("{}…", &line[..end]),
        None => line,
    }
}

/// Makes `committed` hold exactly the `fresh` data files; removes it when there are
/// none. Returns how many it holds.
fn replace(fresh: &Path, committed: &Path) -> Result<usize> {
    let files = data_files(fresh)?;
    if committed.exists() {
        fs::remove_dir_all(committed)
            .with_context(|| format!("could not empty {}", committed.display()))?;
    }
    if files.is_empty() {
        return Ok(0);
    }
    fs::create_dir_all(committed)
        .with_context(|| format!("could not create {}", committed.display()))?;
    for name in &files {
        fs::copy(fresh.join(name), committed.join(name))
            .with_context(|| format!("could not write {}", committed.join(name).display()))?;
    }
    Ok(files.len())
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::path::PathBuf;

    use super::{compare, data_files, database_url_var, replace, schema_url};

    /// An empty directory of its own under the system's temporary directory.
    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-sqlx-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn write(dir: &PathBuf, name: &str, query: &str) {
        fs::create_dir_all(dir).unwrap();
        fs::write(dir.join(name), format!("{{\"query\": \"{query}\"}}\n")).unwrap();
    }

    #[test]
    fn compare_names_the_stale_missing_and_extra_files_only() {
        let root = scratch("compare");
        let (fresh, committed) = (root.join("fresh"), root.join("committed"));
        write(&fresh, "query-a.json", "SELECT 1");
        write(&committed, "query-a.json", "SELECT 1");
        write(&fresh, "query-b.json", "SELECT 2");
        write(&committed, "query-b.json", "SELECT 20");
        write(&fresh, "query-c.json", "SELECT 3");
        write(&committed, "query-d.json", "SELECT 4");
        fs::write(committed.join("notes.txt"), "not data").unwrap();

        let lines = compare(&fresh, &committed).unwrap();

        assert_eq!(
            lines,
            [
                "  stale   query-b.json (SELECT 2)",
                "  missing query-c.json (SELECT 3)",
                "  extra   query-d.json (SELECT 4)",
            ]
        );
        assert!(compare(&fresh, &fresh).unwrap().is_empty());
        fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn replace_leaves_exactly_the_fresh_data_and_no_directory_without_any() {
        let root = scratch("replace");
        let (fresh, committed) = (root.join("fresh"), root.join("committed"));
        write(&fresh, "query-a.json", "SELECT 1");
        write(&committed, "query-a.json", "SELECT 10");
        write(&committed, "query-d.json", "SELECT 4");

        assert_eq!(replace(&fresh, &committed).unwrap(), 1);
        assert_eq!(
            data_files(&committed)
                .unwrap()
                .into_iter()
                .collect::<Vec<_>>(),
            ["query-a.json"]
        );
        assert_eq!(
            fs::read(committed.join("query-a.json")).unwrap(),
            fs::read(fresh.join("query-a.json")).unwrap()
        );

        assert_eq!(replace(&root.join("none"), &committed).unwrap(), 0);
        assert!(!committed.exists());
        fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn schema_url_names_the_database_and_sets_the_search_path() {
        assert_eq!(
            schema_url(
                "postgres://postgres@127.0.0.1:5432/postgres",
                "scratch",
                "export"
            )
            .unwrap(),
            "postgres://postgres@127.0.0.1:5432/scratch?options=-c%20search_path%3Dexport"
        );
    }

    #[test]
    fn database_url_var_is_read_from_the_common_table() {
        let toml = "# comment\n[common]\ndatabase-url-var = \"SQLX_EXPORT_DATABASE_URL\"\n";
        assert_eq!(
            database_url_var(toml).as_deref(),
            Some("SQLX_EXPORT_DATABASE_URL")
        );
        assert_eq!(database_url_var("[common]\n"), None);
    }
}
