//! Embeds every built-in pack: each `probes/*.toml` becomes an entry of
//! `config::pack::BUILT_IN`, named after its file stem, sorted by name. Adding
//! a built-in pack is adding its file; there is no list to extend.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("probes");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut packs: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("the probes/ folder")
        .map(|entry| entry.expect("an entry of probes/").path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml"))
        .map(|path| {
            let stem = path.file_stem().and_then(|s| s.to_str()).expect("a UTF-8 pack file name").to_string();
            (stem, path.display().to_string())
        })
        .collect();
    packs.sort();
    let mut out = String::from("/// The packs compiled into the binary (every `probes/*.toml`): name and text.\n");
    out.push_str("pub const BUILT_IN: &[(&str, &str)] = &[\n");
    for (name, path) in &packs {
        writeln!(out, "    ({name:?}, include_str!({path:?})),").expect("writing to a String");
    }
    out.push_str("];\n");
    let target = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("built_in_packs.rs");
    std::fs::write(target, out).expect("writing built_in_packs.rs");
}
