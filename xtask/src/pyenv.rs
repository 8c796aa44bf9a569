//! The test suite's Python environment: a virtual environment under the target directory
//! (`target/pyenv`) holding the pinned tools of `xtask/pyenv-requirements.txt` — the
//! `factur-x` package's validators and the `drafthorse` e-invoice writer, used by tests as
//! checkers and file makers independent of the code under test. Made once, remade when
//! the requirements change; the tests find it through `COMPTOIR_PYTHON`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

const REQUIREMENTS: &str = include_str!("../pyenv-requirements.txt");

/// What to install when no usable Python is found.
const HOW_TO_INSTALL: &str = "install Python 3.9 or later with venv and pip (Debian/Ubuntu: \
     `apt install python3 python3-venv python3-pip`; macOS: `brew install python`), or point \
     COMPTOIR_PYTHON at an interpreter that has the packages of xtask/pyenv-requirements.txt";

/// The environment's interpreter, made or refreshed as needed. `COMPTOIR_PYTHON`, when
/// set, is used as is.
pub(crate) fn ensure(target: &Path) -> Result<PathBuf> {
    if let Some(python) = std::env::var_os("COMPTOIR_PYTHON") {
        return Ok(PathBuf::from(python));
    }
    let dir = target.join("pyenv");
    let python = dir.join("bin").join("python");
    let marker = dir.join("requirements.txt");
    if python.is_file() && std::fs::read_to_string(&marker).is_ok_and(|r| r == REQUIREMENTS) {
        return Ok(python);
    }
    let system = ["python3", "python"]
        .into_iter()
        .find(|candidate| {
            Command::new(candidate)
                .args(["-c", "import venv, sys; assert sys.version_info >= (3, 9)"])
                .output()
                .is_ok_and(|out| out.status.success())
        })
        .with_context(|| format!("no Python 3.9+ with venv on PATH: {HOW_TO_INSTALL}"))?;
    println!("xtask: making the Python environment {}", dir.display());
    run(Command::new(system)
        .args(["-m", "venv", "--clear"])
        .arg(&dir))
    .with_context(|| format!("could not make a virtual environment: {HOW_TO_INSTALL}"))?;
    std::fs::write(dir.join("requirements.in"), REQUIREMENTS)?;
    run(Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
        ])
        .arg(dir.join("requirements.in")))
    .context(
        "could not install xtask/pyenv-requirements.txt from PyPI (or the configured index)",
    )?;
    std::fs::write(&marker, REQUIREMENTS)?;
    Ok(python)
}

fn run(command: &mut Command) -> Result<()> {
    let status = command.status().context("could not start it")?;
    if !status.success() {
        bail!("{command:?} failed ({status})");
    }
    Ok(())
}
