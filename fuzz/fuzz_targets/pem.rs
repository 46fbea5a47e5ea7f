//! Fuzz target: arbitrary bytes as a PEM certificate chain and key file.
//! Covers the strict PEM reader, certificate and key loading, X.509 parsing
//! and the key/certificate match (`certs::inspect`). Never a panic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

fn dir() -> &'static std::path::Path {
    static DIR: OnceLock<std::path::PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("golive-fuzz-pem-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&d);
        d
    })
}

fuzz_target!(|data: &[u8]| {
    let _ = golive::net::tls::parse_pem(data);
    let path = dir().join("input.pem");
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let _ = golive::net::tls::parse_certs(&path);
    let _ = golive::net::tls::parse_key(&path);
    let inputs = golive::certs::Inputs { cert: path.clone(), key: Some(path), ca_bundle: None };
    let now = time::OffsetDateTime::from_unix_timestamp(1_750_000_000).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let _ = golive::certs::inspect(&inputs, &golive::certs::policy::Policy::default(), now);
});
