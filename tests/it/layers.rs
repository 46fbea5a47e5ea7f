//! The layers of `src/` point one way (ARCHITECTURE.md, "Layers"): a
//! top-level module imports only modules of lower layers (so the import graph
//! has no cycle), and production code never names the fakes or the demo.
//! `cli` (the top, which may use everything) and `demo` (which starts the
//! fakes of the `golive-fakes` crate) are outside the layers.
//!
//! Both rules read the source text: a reference is `crate::X` or `golive::X`
//! (in a `use` or a path, including every name of `use crate::{X, Y::z}`).
//! Comments and unit tests (`#[cfg(test)]` and below) are not imports.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Bottom first; a module may import the modules of the layers before its own.
const LAYERS: &[&[&str]] = &[
    &["spec", "redact", "files", "stderr"],
    &["config"],
    &["report"],
    &["net"],
    &["certs"],
    &["webhook", "apikey"],
    &["probe"],
    &["plan"],
    &["runner"],
    &["evidence", "watch", "exporter", "observe"],
    &["exit"],
    &["signals"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
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

/// The production code of a file (up to its first `#[cfg(test)]`) without
/// comments (line comments, doc comments and block comments); string
/// literals are kept.
fn code_of(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or_default();
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

/// What the imports between top-level modules break: each edge `from → to`
/// (with one file that makes it) that does not point to a lower layer.
fn upward(edges: &BTreeMap<(String, String), String>) -> Vec<String> {
    let mut wrong = Vec::new();
    for ((from, to), file) in edges {
        match (layer_of(from), layer_of(to)) {
            (None, _) => wrong.push(format!("`{from}` is in no layer: place it in LAYERS and ARCHITECTURE.md")),
            // Naming the demo is the other rule's, with its own test.
            (Some(_), None) if to == "demo" => {}
            (Some(_), None) => wrong.push(format!("`{from}` imports `{to}`, which is in no layer ({file})")),
            (Some(a), Some(b)) if b >= a => {
                wrong.push(format!("`{from}` (layer {a}) imports `{to}` (layer {b}) in {file}: layers point down"))
            }
            _ => {}
        }
    }
    wrong
}

/// The imports between the top-level modules of `src/` (without `cli`,
/// `demo` and the crate roots), each with one file that makes it.
fn module_edges() -> BTreeMap<(String, String), String> {
    let mut edges = BTreeMap::new();
    let modules: BTreeSet<String> = rust_files(&src()).iter().filter_map(|f| top_module(f)).collect();
    for file in production_files() {
        let Some(from) = top_module(&file) else { continue };
        let code = code_of(&std::fs::read_to_string(&file).expect("read"));
        for to in references(&code, "crate::") {
            if to != from && modules.contains(&to) {
                let shown = file.strip_prefix(src()).unwrap().display().to_string();
                edges.entry((from.clone(), to)).or_insert(shown);
            }
        }
    }
    edges
}

#[test]
fn the_layer_rule_flags_an_import_upwards_sideways_or_into_no_layer() {
    let edge = |a: &str, b: &str| ((a.to_string(), b.to_string()), format!("src/{a}/x.rs"));
    let ok = BTreeMap::from([edge("probe", "config"), edge("runner", "probe"), edge("probe", "demo")]);
    assert!(upward(&ok).is_empty(), "{:?}", upward(&ok));
    for (from, to) in [("config", "probe"), ("webhook", "apikey"), ("probe", "nowhere"), ("nowhere", "config")] {
        assert_eq!(upward(&BTreeMap::from([edge(from, to)])).len(), 1, "{from} → {to}");
    }
}

#[test]
fn every_module_imports_only_lower_layers() {
    let wrong = upward(&module_edges());
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The kinds' names and flags are declared once, in the list of
/// `src/probe/kinds/mod.rs` (registered as `spec::ProbeKind` for the layers
/// below): no other file names a kind as a variant (`ProbeKind::Cert`),
/// writes a kind's declaration, or spells the one kind name that is no
/// ordinary word (`"apikey-exchange"`).
#[test]
fn kind_names_are_declared_only_in_the_list_of_kinds() {
    let list = src().join("probe").join("kinds").join("mod.rs");
    let mut offenders = Vec::new();
    for file in rust_files(&src()) {
        let code = code_of(&std::fs::read_to_string(&file).expect("read"));
        if file == list {
            assert!(code.contains("name: \"apikey-exchange\""), "the list declares the kinds");
            continue;
        }
        let variant = code
            .match_indices("ProbeKind::")
            .any(|(i, m)| code[i + m.len()..].starts_with(|c: char| c.is_ascii_uppercase()));
        let declares = code.contains("Declared { name");
        if variant || declares || code.contains("\"apikey-exchange\"") {
            offenders.push(file.strip_prefix(src()).unwrap().display().to_string());
        }
    }
    assert!(offenders.is_empty(), "kind names declared outside src/probe/kinds/mod.rs: {offenders:?}");
}

/// A type has one name: no module re-exports what another top-level module
/// declares (`pub use crate::spec::ErrorClass` in `report` gave it two, and
/// imports went through whichever was nearer). A module may re-export its own
/// submodules' items.
#[test]
fn no_module_re_exports_another_modules_items() {
    let mut offenders = Vec::new();
    for file in rust_files(&src()) {
        let Some(own) = top_module(&file) else { continue };
        let code = code_of(&std::fs::read_to_string(&file).expect("read"));
        for line in code.lines().map(str::trim) {
            let Some(path) = ["pub use crate::", "pub(crate) use crate::", "pub(super) use crate::"]
                .iter()
                .find_map(|p| line.strip_prefix(p))
            else {
                continue;
            };
            let target = path.split([':', ';', ' ', '{']).next().unwrap_or_default();
            if target != own {
                offenders.push(format!("{}: {line}", file.strip_prefix(src()).unwrap().display()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "re-exports of another module's items (import them from where they live): {offenders:#?}"
    );
}
