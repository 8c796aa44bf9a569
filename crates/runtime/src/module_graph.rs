//! The workspace's crates have no import cycles between their top-level modules: a module
//! may use `crate::other` only if `other` does not, through any path, use it back. Cycles
//! make a module impossible to read, test or move on its own (the runtime once had
//! `app` ↔ `db`, `idempotency` and `events` through a helper defined in `app`).
//!
//! The check reads the sources of every crate under `crates/` and `services/` (and
//! `xtask/`) as text, so one test of this crate guards them all: each `crate::<module>`
//! path outside a comment, `use crate::{a, b::C}` groups included, is an edge from the
//! file's top-level module to `<module>`. Cycles are found as strongly connected
//! components; each is printed as a path.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Cycles known and left for the restructuring of their crate; each entry is the crate's
/// directory and the modules of the cycle, sorted. Remove an entry with its cycle.
const KNOWN_CYCLES: &[(&str, &[&str])] = &[];

/// The module graph of one crate: each top-level module and the modules it uses.
type Graph = BTreeMap<String, BTreeSet<String>>;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every `src/` directory of the workspace's library and binary crates.
fn crate_dirs(root: &Path) -> Vec<String> {
    let mut dirs = Vec::new();
    for group in ["crates", "services"] {
        let Ok(entries) = std::fs::read_dir(root.join(group)) else {
            continue;
        };
        for entry in entries.flatten() {
            if entry.path().join("src").is_dir() {
                dirs.push(format!("{group}/{}", entry.file_name().to_string_lossy()));
            }
        }
    }
    if root.join("xtask/src").is_dir() {
        dirs.push("xtask".to_owned());
    }
    dirs.sort();
    dirs
}

/// The `.rs` files below `dir`, except `src/bin/` (each file there is a crate of its own).
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if !(path.ends_with("bin") && dir.ends_with("src")) {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file of `src` belongs to; None for the crate root.
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).ok()?;
    let first = relative.components().next()?.as_os_str().to_string_lossy();
    let name = first.strip_suffix(".rs").unwrap_or(&first).to_owned();
    (!matches!(name.as_str(), "lib" | "main")).then_some(name)
}

/// The first path segment of every `crate::` path in `source`, outside comments.
fn used_modules(source: &str) -> BTreeSet<String> {
    let code: String = source
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut used = BTreeSet::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().next_back();
        let after = &rest[at + "crate::".len()..];
        rest = after;
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        if let Some(group) = after.strip_prefix('{') {
            used.extend(group_heads(group));
        } else {
            used.extend(ident(after));
        }
    }
    used
}

/// The first segment of each item of a `{a, b::{C, D}, e}` group (opening brace already
/// consumed), up to its closing brace.
fn group_heads(group: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut item_start = true;
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => item_start = true,
            c if item_start && !c.is_whitespace() => {
                item_start = false;
                heads.extend(ident(&group[i..]));
            }
            _ => {}
        }
    }
    heads
}

/// The identifier `text` starts with, unless it is `self`.
fn ident(text: &str) -> Option<String> {
    let end = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    let name = &text[..end];
    (!name.is_empty() && name != "self").then(|| name.to_owned())
}

/// The graph of the crate whose sources are in `src`.
fn graph_of(src: &Path) -> Graph {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: BTreeSet<String> = files.iter().filter_map(|f| module_of(src, f)).collect();
    let mut graph = Graph::new();
    for file in &files {
        let Some(module) = module_of(src, file) else {
            continue;
        };
        let source = std::fs::read_to_string(file)
            .unwrap_or_else(|err| panic!("reading {}: {err}", file.display()));
        let uses = graph.entry(module.clone()).or_default();
        for used in used_modules(&source) {
            if used != module && modules.contains(&used) {
                uses.insert(used);
            }
        }
    }
    graph
}

/// The strongly connected components of more than one module (Tarjan's algorithm), each
/// sorted.
fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    struct Walk<'g> {
        graph: &'g Graph,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        found: Vec<Vec<String>>,
    }
    impl<'g> Walk<'g> {
        fn visit(&mut self, node: &'g str) {
            let i = self.index.len();
            self.index.insert(node, i);
            self.low.insert(node, i);
            self.stack.push(node);
            for next in self.graph.get(node).into_iter().flatten() {
                let next = next.as_str();
                if !self.index.contains_key(next) {
                    self.visit(next);
                    let low = self.low[node].min(self.low[next]);
                    self.low.insert(node, low);
                } else if self.stack.contains(&next) {
                    let low = self.low[node].min(self.index[next]);
                    self.low.insert(node, low);
                }
            }
            if self.low[node] == self.index[node] {
                let mut component = Vec::new();
                while let Some(top) = self.stack.pop() {
                    component.push(top.to_owned());
                    if top == node {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for node in graph.keys() {
        if !walk.index.contains_key(node.as_str()) {
            walk.visit(node);
        }
    }
    walk.found.sort();
    walk.found
}

/// One cycle through `component`, as `a -> b -> a`.
fn cycle_path(graph: &Graph, component: &[String]) -> String {
    let start = &component[0];
    let mut path = vec![start.clone()];
    let mut seen = BTreeSet::new();
    // Depth-first within the component until an edge returns to the start.
    fn search(
        graph: &Graph,
        component: &[String],
        start: &str,
        path: &mut Vec<String>,
        seen: &mut BTreeSet<String>,
    ) -> bool {
        let node = path.last().cloned().unwrap_or_default();
        for next in graph.get(&node).into_iter().flatten() {
            if next == start {
                path.push(next.clone());
                return true;
            }
            if component.contains(next) && seen.insert(next.clone()) {
                path.push(next.clone());
                if search(graph, component, start, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    search(graph, component, start, &mut path, &mut seen);
    path.join(" -> ")
}

#[test]
fn no_crate_of_the_workspace_has_an_import_cycle_between_its_modules() {
    let root = workspace_root();
    let dirs = crate_dirs(&root);
    assert!(
        dirs.iter().any(|d| d == "crates/runtime") && dirs.len() > 5,
        "the workspace's crates were not found from {}: {dirs:?}",
        root.display()
    );
    let mut unexpected = Vec::new();
    let mut known_seen = BTreeSet::new();
    for dir in &dirs {
        let graph = graph_of(&root.join(dir).join("src"));
        for component in cycles(&graph) {
            let path = cycle_path(&graph, &component);
            let known = KNOWN_CYCLES.iter().position(|(known_dir, modules)| {
                known_dir == dir
                    && modules
                        .iter()
                        .copied()
                        .eq(component.iter().map(String::as_str))
            });
            match known {
                Some(i) => {
                    println!("{dir}: known cycle {path}");
                    known_seen.insert(i);
                }
                None => unexpected.push(format!("{dir}: {path} (all of {component:?})")),
            }
        }
    }
    let stale: Vec<_> = KNOWN_CYCLES
        .iter()
        .enumerate()
        .filter(|(i, _)| !known_seen.contains(i))
        .map(|(_, (dir, modules))| format!("{dir}: {modules:?}"))
        .collect();
    assert!(
        unexpected.is_empty(),
        "import cycles between modules:\n{}",
        unexpected.join("\n")
    );
    assert!(
        stale.is_empty(),
        "these known cycles are gone; remove them from KNOWN_CYCLES:\n{}",
        stale.join("\n")
    );
}

#[test]
fn crate_paths_are_read_from_plain_paths_and_use_groups_but_not_comments() {
    let source = "//! See [`crate::docs`].\n\
                  use crate::{db, events::{self, Names}, self};\n\
                  use crate::retry::Backoff;\n\
                  let x = crate::metrics::Metrics::new();\n\
                  macro_rules! m { () => { $crate::hidden } }\n\
                  pub(crate) fn f() {}\n";
    let used: Vec<String> = used_modules(source).into_iter().collect();
    assert_eq!(used, ["db", "events", "metrics", "retry"]);
}

#[test]
fn a_cycle_is_found_and_printed_as_a_path() {
    let graph: Graph = [
        ("app", vec!["db", "events"]),
        ("db", vec!["retry"]),
        ("events", vec!["metrics"]),
        ("metrics", vec!["app"]),
        ("retry", vec![]),
    ]
    .into_iter()
    .map(|(m, uses)| (m.to_owned(), uses.into_iter().map(str::to_owned).collect()))
    .collect();
    let found = cycles(&graph);
    assert_eq!(found, [["app", "events", "metrics"]]);
    assert_eq!(
        cycle_path(&graph, &found[0]),
        "app -> events -> metrics -> app"
    );
}
