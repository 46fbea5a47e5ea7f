//! Fuzz target: arbitrary text as a runbook pack (`probes/*.toml`). Every
//! input must give a `Pack` or a `ConfigError`, never a panic.
#![no_main]

use golive::config::{SourceFile, pack};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text: std::sync::Arc<str> = String::from_utf8_lossy(data).into();
    let file = SourceFile { path: "fuzz.toml".into(), text };
    if let Err(e) = pack::parse(file) {
        let _ = e.render(false);
    }
});
