//! The layers of `src/` point one way (ARCHITECTURE.md, "Layers"): production
//! code never names the fakes (the `golive-fakes` crate) nor the demo that starts
//! them, and the top-level modules outside `cli/` and `demo.rs` import each other
//! without a cycle.
//!
//! Both tests read the source text: a reference is `crate::X` (in a `use` or a
//! path, including `use crate::{X, Y::z}`), `golive::X` or `super::X` from a
//! module's root file. Comments are skipped, so a doc line naming a module is
//! not an edge.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read src") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The top-level module a file belongs to (`src/probe/http.rs` → `probe`),
/// `None` for the crate roots.
fn top_module(file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src()).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    match first {
        "lib.rs" | "main.rs" => None,
        f => Some(f.trim_end_matches(".rs").to_string()),
    }
}

/// The code of a file without comments (line comments, doc comments and block
/// comments); string literals are kept.
fn code_of(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_block = 0usize;
    for line in text.lines() {
        let mut rest = line;
        let mut kept = String::new();
        loop {
            if in_block > 0 {
                match rest.find("*/") {
                    Some(i) => {
                        in_block -= 1;
                        rest = &rest[i + 2..];
                    }
                    None => break,
                }
            } else {
                let line_comment = rest.find("//");
                let block = rest.find("/*");
                match (line_comment, block) {
                    (Some(l), Some(b)) if b < l => {
                        kept.push_str(&rest[..b]);
                        in_block += 1;
                        rest = &rest[b + 2..];
                    }
                    (Some(l), _) => {
                        kept.push_str(&rest[..l]);
                        break;
                    }
                    (None, Some(b)) => {
                        kept.push_str(&rest[..b]);
                        in_block += 1;
                        rest = &rest[b + 2..];
                    }
                    (None, None) => {
                        kept.push_str(rest);
                        break;
                    }
                }
            }
        }
        out.push_str(&kept);
        out.push('\n');
    }
    out
}

fn ident_at(text: &str) -> &str {
    let end = text.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(text.len());
    &text[..end]
}

/// The top-level modules a file's code names through `prefix` (`crate::`,
/// `golive::`), including every name of a `prefix{a, b::c}` group.
fn references(code: &str, prefix: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find(prefix) {
        let before = rest[..i].chars().next_back();
        rest = &rest[i + prefix.len()..];
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue; // `my_crate::x`, not `crate::x`
        }
        let after = rest.trim_start();
        if let Some(group) = after.strip_prefix('{') {
            // Names at depth 0 of the group: `{a, b::c, d::{e, f}}` → a, b, d.
            let mut depth = 0usize;
            let mut start_of_item = true;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => start_of_item = true,
                    c if start_of_item && depth == 0 && !c.is_whitespace() => {
                        start_of_item = false;
                        let name = ident_at(&group[j..]);
                        if !name.is_empty() && name != "self" {
                            found.insert(name.to_string());
                        }
                    }
                    _ => {}
                }
            }
        } else {
            let name = ident_at(after);
            if !name.is_empty() {
                found.insert(name.to_string());
            }
        }
    }
    found
}

/// The production files: everything under `src/` but `cli/` and `demo.rs`.
fn production_files() -> Vec<PathBuf> {
    rust_files(&src()).into_iter().filter(|f| !matches!(top_module(f).as_deref(), Some("cli" | "demo"))).collect()
}

#[test]
fn production_code_never_names_the_fakes() {
    let mut offenders = Vec::new();
    for file in production_files() {
        let code = code_of(&std::fs::read_to_string(&file).expect("read"));
        let names_fake = code.contains("golive_fakes")
            || references(&code, "crate::").contains("demo")
            || references(&code, "golive::").contains("demo");
        if names_fake {
            offenders.push(file.strip_prefix(src()).unwrap().display().to_string());
        }
    }
    assert!(
        offenders.is_empty(),
        "production code names the fakes or the demo (only cli/ and demo.rs may): {offenders:?}"
    );
}

#[test]
fn the_reference_parser_sees_groups_and_skips_comments() {
    let code = code_of(
        "use crate::{config::X, net, report::{a, b}};\n// crate::fake\nlet x = crate::plan::f(); /* crate::cli */",
    );
    let refs = references(&code, "crate::");
    assert_eq!(refs, ["config", "net", "plan", "report"].into_iter().map(String::from).collect());
    assert!(references("use my_crate::fake;", "crate::").is_empty());
}

/// The import graph between top-level modules of `src/` (without `cli`, `demo`
/// and the crate roots): module → the modules it names, with one file that
/// names each.
fn module_graph() -> BTreeMap<String, BTreeMap<String, String>> {
    let mut graph: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let modules: BTreeSet<String> = production_files().iter().filter_map(|f| top_module(f)).collect();
    for file in production_files() {
        let Some(from) = top_module(&file) else { continue };
        let code = code_of(&std::fs::read_to_string(&file).expect("read"));
        let edges = graph.entry(from.clone()).or_default();
        for to in references(&code, "crate::") {
            if to != from && modules.contains(&to) {
                edges.entry(to).or_insert_with(|| file.strip_prefix(src()).unwrap().display().to_string());
            }
        }
    }
    graph
}

/// Every elementary cycle found by a depth-first search, each as its path.
fn cycles(graph: &BTreeMap<String, BTreeMap<String, String>>) -> Vec<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeMap<String, String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
        found: &mut Vec<Vec<String>>,
    ) {
        if let Some(i) = path.iter().position(|p| p == node) {
            let mut cycle = path[i..].to_vec();
            cycle.push(node.to_string());
            found.push(cycle);
            return;
        }
        if done.contains(node) {
            return;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flat_map(|e| e.keys()) {
            visit(next, graph, path, done, found);
        }
        path.pop();
        done.insert(node.to_string());
    }
    let mut found = Vec::new();
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        visit(node, graph, &mut Vec::new(), &mut done, &mut found);
    }
    found
}

#[test]
fn the_cycle_finder_reports_the_path() {
    let mut graph: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut edge = |a: &str, b: &str| {
        graph.entry(a.into()).or_default().insert(b.into(), String::new());
    };
    edge("config", "probe");
    edge("probe", "net");
    edge("net", "config");
    edge("report", "config");
    assert_eq!(cycles(&graph), vec![vec!["config", "probe", "net", "config"]]);
    graph.get_mut("net").unwrap().clear();
    assert!(cycles(&graph).is_empty());
}

#[test]

fn top_level_modules_import_each_other_without_a_cycle() {
    let graph = module_graph();
    let found = cycles(&graph);
    let shown: Vec<String> = found
        .iter()
        .map(|cycle| {
            let steps: Vec<String> =
                cycle.windows(2).map(|w| format!("{} → {} ({})", w[0], w[1], graph[&w[0]][&w[1]])).collect();
            steps.join(", ")
        })
        .collect();
    assert!(found.is_empty(), "the import graph of src/ has cycles:\n{}", shown.join("\n"));
}
