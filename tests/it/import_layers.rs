//! The layers of `src/` point one way (ARCHITECTURE.md, "Layers"): a module
//! imports only modules of lower layers, so the import graph between the
//! top-level modules has no cycle. `cli` (the top, which may use everything)
//! and `demo` (which starts the fakes of the `golive-fakes` crate) are outside the graph;
//! unit tests (`#[cfg(test)]` and below) and comments are not imports.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

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

/// Outside the layered graph.
const OUTSIDE: &[&str] = &["cli", "demo", "main", "lib"];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// The production text of a file: up to its first `#[cfg(test)]`, without `//` comments.
fn production_code(text: &str) -> String {
    let code = text.split("#[cfg(test)]").next().unwrap_or_default();
    code.lines().map(|l| l.split("//").next().unwrap_or_default()).collect::<Vec<_>>().join("\n")
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every `crate::NAME` each top-level module names, with the files that name it.
fn imports() -> BTreeMap<(String, String), BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut out: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let rel = file.strip_prefix(&src).expect("under src").to_string_lossy().replace('\\', "/");
        let top = rel.split('/').next().unwrap_or_default().trim_end_matches(".rs").to_string();
        if OUTSIDE.contains(&top.as_str()) {
            continue;
        }
        let code = production_code(&std::fs::read_to_string(&file).expect("read a source file"));
        assert!(!code.contains("crate::{"), "{rel}: write one `crate::` path per import, so this test sees it");
        for (at, _) in code.match_indices("crate::") {
            let name: String =
                code[at + "crate::".len()..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            if !name.is_empty() && name != top {
                out.entry((top.clone(), name)).or_default().insert(rel.clone());
            }
        }
    }
    out
}

#[test]
fn every_module_imports_only_lower_layers() {
    let mut wrong = Vec::new();
    for ((from, to), files) in imports() {
        let files = files.into_iter().collect::<Vec<_>>().join(", ");
        match (layer_of(&from), layer_of(&to)) {
            (None, _) => wrong.push(format!("`{from}` is in no layer: place it in LAYERS and ARCHITECTURE.md")),
            // That production code never names `crate::demo` is a rule of its own,
            // with its own test; the demo is outside the layers.
            (Some(_), None) if to == "demo" => {}
            (Some(_), None) => wrong.push(format!("`{from}` imports `{to}`, which is in no layer ({files})")),
            (Some(a), Some(b)) if b >= a => {
                wrong.push(format!("`{from}` (layer {a}) imports `{to}` (layer {b}) in {files}: layers point down"))
            }
            _ => {}
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
