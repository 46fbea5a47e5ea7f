//! Embeds every built-in pack: each `probes/*.toml` becomes an entry of
//! `config::pack::BUILT_IN`, named after its file stem, sorted by name. Adding
//! a built-in pack is adding its file; there is no list to extend.
//!
//! The names of the webhook schemes the packs declare (`[schemes.NAME]`) are
//! read here too, into `BUILT_IN_SCHEMES`: `--help` lists them, and every
//! command builds its help, so reading them at run time would parse 180 KB
//! of TOML at every start of golive.
//!
//! A release build of the binary on Linux (glibc) links as a fixed-address
//! executable (`-no-pie`): a position-independent one has about 50,000
//! relocations the dynamic loader applies at every start, writing some 220
//! pages of tables; without them a one-probe run starts about 1 ms sooner
//! (BENCHMARKS.md, "Start-up"). The price is ASLR for the binary's own code
//! (libraries, heap and stack stay randomized); `GOLIVE_PIE=1` at build time
//! keeps a position-independent executable.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    link_args();
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
    out.push_str("/// The `[schemes.NAME]` names of the built-in packs, in pack order, then name order.\n");
    out.push_str("pub const BUILT_IN_SCHEMES: &[&str] = &[\n");
    for (_, path) in &packs {
        let text = std::fs::read_to_string(path).expect("a built-in pack");
        let table: toml::Table = text.parse().unwrap_or_else(|e| panic!("{path} is not TOML: {e}"));
        // A toml::Table is sorted by key, as the run-time parse into a BTreeMap is.
        if let Some(schemes) = table.get("schemes").and_then(toml::Value::as_table) {
            for name in schemes.keys() {
                writeln!(out, "    {name:?},").expect("writing to a String");
            }
        }
    }
    out.push_str("];\n");
    let target = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("built_in_packs.rs");
    std::fs::write(target, out).expect("writing built_in_packs.rs");
}

/// `-no-pie` for release builds of the `golive` binary on Linux with glibc
/// (see the module's documentation), unless `GOLIVE_PIE` is set.
fn link_args() {
    println!("cargo:rerun-if-env-changed=GOLIVE_PIE");
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    let release = var("PROFILE") == "release";
    let linux_gnu = var("CARGO_CFG_TARGET_OS") == "linux" && var("CARGO_CFG_TARGET_ENV") == "gnu";
    if release && linux_gnu && std::env::var_os("GOLIVE_PIE").is_none() {
        println!("cargo:rustc-link-arg-bin=golive=-no-pie");
    }
}
