//! Fuzz target: arbitrary signature, id and timestamp header values checked
//! against every preset scheme by `webhook::verify`, and arbitrary text as a
//! custom scheme's signed-content template. Never a panic.
#![no_main]

use golive::webhook::scheme::{PRESETS, parse_template};
use golive::webhook::{Key, Scheme, verify};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Input layout: signature value, then optionally "\n" id "\n" timestamp.
    let mut parts = data.splitn(3, |&b| b == b'\n');
    let signature = parts.next().unwrap_or_default();
    let id = parts.next();
    let timestamp = parts.next();
    let key = Key::from_bytes(b"whsec-fuzz-key-0123456789");
    for name in PRESETS {
        let Some(scheme) = Scheme::preset(name) else { continue };
        let mut headers = http::HeaderMap::new();
        let mut put = |name: &str, value: &[u8]| {
            if let (Ok(n), Ok(v)) =
                (http::HeaderName::from_bytes(name.as_bytes()), http::HeaderValue::from_bytes(value))
            {
                headers.insert(n, v);
            }
        };
        put(&scheme.header, signature);
        if let (Some(h), Some(v)) = (&scheme.id_header, id) {
            put(h, v);
        }
        if let (Some(h), Some(v)) = (&scheme.timestamp_header, timestamp) {
            put(h, v);
        }
        for now in [0, 1_750_000_000, i64::MAX, i64::MIN] {
            if let Err(why) = verify::verify(&scheme, &key, &headers, b"{\"id\":\"evt_1\"}", now) {
                let _ = why.to_string();
            }
        }
    }
    let _ = parse_template(&String::from_utf8_lossy(data));
});
