//! Python scripts as independent checkers and file makers in tests: the pinned tools of
//! `cargo xtask pyenv` (the `factur-x` package's validators, `drafthorse`, `lxml`,
//! `pypdf`) check what the code under test wrote, or write files it must read, so neither
//! side is judged by itself. The interpreter is `COMPTOIR_PYTHON` (set by `cargo xtask
//! test`), else the environment under the target directory; none fails the test with
//! the command that makes it.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::io::AsyncWriteExt;

/// The environment's interpreter.
///
/// # Panics
/// When there is none: run `cargo xtask pyenv` (or the suite with `cargo xtask test`).
#[must_use]
pub fn interpreter() -> PathBuf {
    if let Some(python) = std::env::var_os("COMPTOIR_PYTHON") {
        return PathBuf::from(python);
    }
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace.join("target"), |dir| workspace.join(dir));
    let python = target.join("pyenv/bin/python");
    assert!(
        python.is_file(),
        "no Python environment for the e-invoice checkers at {}: run `cargo xtask pyenv` \
         (or the suite with `cargo xtask test`), or set COMPTOIR_PYTHON",
        python.display()
    );
    python
}

/// What a script printed.
#[derive(Debug)]
pub struct Output {
    /// Whether it exited with status 0.
    pub success: bool,
    /// Its standard output.
    pub stdout: Vec<u8>,
    /// Its standard error, as text.
    pub stderr: String,
}

impl Output {
    /// Standard output as text.
    #[must_use]
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

/// Runs `script` (Python source) with `args` (as `sys.argv[1:]`) and `stdin`, and returns
/// what it printed, whether it succeeded or not.
///
/// # Panics
/// When the interpreter cannot be started.
pub async fn run(script: &str, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = tokio::process::Command::new(interpreter())
        .arg("-c")
        .arg(script)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the Python interpreter starts");
    let mut input = child.stdin.take().expect("stdin is piped");
    let stdin = stdin.to_vec();
    let writer = tokio::spawn(async move {
        // A script that does not read its input closes the pipe early: not an error.
        let _ = input.write_all(&stdin).await;
    });
    let output = child
        .wait_with_output()
        .await
        .expect("the Python script runs");
    writer.await.expect("stdin writer");
    Output {
        success: output.status.success(),
        stdout: output.stdout,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs `script` as [`run`] does and returns its standard output.
///
/// # Panics
/// When the script fails, with what it wrote on standard error.
pub async fn run_ok(script: &str, args: &[&str], stdin: &[u8]) -> Vec<u8> {
    let output = run(script, args, stdin).await;
    assert!(
        output.success,
        "the Python script failed:\n{}",
        output.stderr
    );
    output.stdout
}
