//! Fuzz target: arbitrary bytes as `golive.toml`, loaded for environment
//! `staging` (raw parse, validation, secret resolution, pack loading). Every
//! input must give an environment or a `ConfigError`, never a panic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

fn dir() -> &'static std::path::Path {
    static DIR: OnceLock<std::path::PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("golive-fuzz-config-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&d);
        d
    })
}

fuzz_target!(|data: &[u8]| {
    let path = dir().join("golive.toml");
    if std::fs::write(&path, data).is_err() {
        return;
    }
    if let Err(e) = golive::config::env::load(&path, "staging") {
        // Rendering the error (snippets, carets) must not panic either.
        let _ = e.render(false);
    }
});
