//! Property tests (proptest, 256 cases each): arbitrary input into the config
//! loader, the pack loader, the PEM/key parsers and the webhook signature
//! header parsers never panics, and valid-looking generated input gives the
//! sensible result. The coverage-guided fuzz targets in `fuzz/` go further.

use base64::Engine;
use golive::config::scheme::PRESETS;
use golive::config::scheme::Scheme;
use golive::config::{SourceFile, pack};
use golive::webhook::{Key, Rejection, Stamp, sign, verify};
use proptest::prelude::*;

fn load_config(text: &[u8], env: &str) -> Result<golive::config::Environment, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let path = dir.path().join("golive.toml");
    std::fs::write(&path, text).map_err(|e| e.to_string())?;
    golive::config::env::load(&path, env).map(|(e, _)| e).map_err(|e| e.render(false))
}

fn parse_pack(text: &str) -> Result<golive::config::Pack, String> {
    pack::parse(SourceFile { path: "prop.toml".into(), text: text.into() }).map_err(|e| e.render(false))
}

fn headers(pairs: &[(String, String)]) -> http::HeaderMap {
    let mut map = http::HeaderMap::new();
    for (k, v) in pairs {
        if let (Ok(n), Ok(v)) = (http::HeaderName::from_bytes(k.as_bytes()), http::HeaderValue::from_str(v)) {
            map.insert(n, v);
        }
    }
    map
}

/// A TOML key or value made of safe characters.
fn word() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9-]{0,15}"
}

proptest! {
    #[test]
    fn any_bytes_as_config_give_an_error_or_an_environment(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = load_config(&bytes, "staging");
    }

    #[test]
    fn any_toml_like_text_as_config_never_panics(text in "(\\[env\\.[a-z]{1,8}\\]\n|[a-z_]{1,12} = (\"[ -~]{0,20}\"|[0-9]{1,5}|\\{ env = \"[A-Z]{1,6}\" \\}|\\[\\])\n|[ -~]{0,30}\n){0,12}") {
        let _ = load_config(text.as_bytes(), "staging");
    }

    #[test]
    fn a_generated_valid_config_loads_with_its_values(env in word(), host in "[a-z]{1,10}\\.example\\.test", port in 1u16..65535, secs in 1u64..600) {
        let text = format!("[env.{env}]\npack = \"axys\"\nbase_url = \"https://{host}:{port}/v2\"\ntimeout = \"{secs}s\"\n");
        let loaded = load_config(text.as_bytes(), &env);
        prop_assert!(loaded.is_ok(), "{text}\n{loaded:?}");
        let loaded = loaded.unwrap_or_default();
        let url = loaded.base_url.expect("base_url");
        prop_assert_eq!(url.host_str(), Some(host.as_str()));
        prop_assert_eq!(url.port(), Some(port).filter(|p| *p != 443));
        prop_assert_eq!(loaded.timeout, Some(std::time::Duration::from_secs(secs)));
    }

    #[test]
    fn any_text_as_a_pack_gives_an_error_or_a_pack(text in "\\PC{0,400}") {
        let _ = parse_pack(&text);
    }

    #[test]
    fn a_generated_pack_keeps_its_probes_in_order(ids in proptest::collection::btree_set("[a-z][a-z0-9-]{0,12}", 1..8)) {
        let mut text = String::from("[pack]\nname = \"p\"\ntitle = \"P\"\nrunbook = \"r\"\n");
        for id in &ids {
            text.push_str(&format!("[[probe]]\nid = \"{id}\"\nkind = \"http\"\ntitle = \"{id}\"\n[probe.params]\nurl = \"${{base_url}}/{id}\"\n"));
        }
        let parsed = parse_pack(&text);
        prop_assert!(parsed.is_ok(), "{parsed:?}");
        let got: Vec<String> = parsed.map(|p| p.probes.iter().map(|s| s.id.clone()).collect()).unwrap_or_default();
        prop_assert_eq!(got, ids.into_iter().collect::<Vec<_>>());
    }

    #[test]
    fn any_bytes_as_pem_give_blocks_or_an_error(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
        let _ = golive::net::tls::parse_pem(&bytes);
    }

    #[test]
    fn pem_like_text_never_panics_the_cert_and_key_loaders(text in "((-----(BEGIN|END) (CERTIFICATE|PRIVATE KEY|RSA PRIVATE KEY|EC PRIVATE KEY)-----|Proc-Type: 4,ENCRYPTED|[A-Za-z0-9+/=]{0,64})\n){0,10}") {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("x.pem");
        std::fs::write(&path, &text).expect("write");
        let _ = golive::net::tls::parse_pem(text.as_bytes());
        let _ = golive::net::tls::parse_certs(&path);
        let _ = golive::net::tls::parse_key(&path);
        let inputs = golive::certs::Inputs { cert: path.clone(), key: Some(path), ca_bundle: None };
        let _ = golive::certs::inspect(&inputs, &golive::certs::Policy::default(), time::OffsetDateTime::now_utc());
    }

    #[test]
    fn wrapped_der_round_trips_through_the_pem_reader(der in proptest::collection::vec(any::<u8>(), 1..600), label in "(CERTIFICATE|PRIVATE KEY|EC PRIVATE KEY)") {
        let b64 = base64::engine::general_purpose::STANDARD.encode(&der);
        let body: Vec<&str> = b64.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap_or_default()).collect();
        let text = format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", body.join("\n"));
        let blocks = golive::net::tls::parse_pem(text.as_bytes());
        prop_assert!(blocks.is_ok(), "{blocks:?}");
        let blocks = blocks.unwrap_or_default();
        prop_assert_eq!(blocks.len(), 1);
        prop_assert_eq!(&blocks[0].label, &label);
        prop_assert_eq!(&blocks[0].der, &der);
    }

    #[test]
    fn any_signature_header_is_rejected_without_panic(value in "[ -~]{0,120}", id in "[ -~]{0,20}", ts in "[ -~]{0,20}") {
        let key = Key::from_bytes(b"prop-test-key-0123456789");
        for name in PRESETS {
            let scheme = Scheme::preset(name).expect("preset");
            let mut pairs = vec![(scheme.header.clone(), value.clone())];
            pairs.extend(scheme.id_header.clone().map(|h| (h, id.clone())));
            pairs.extend(scheme.timestamp_header.clone().map(|h| (h, ts.clone())));
            let verdict = verify::verify(&scheme, &key, &headers(&pairs), b"{}", 1_750_000_000);
            prop_assert!(verdict.is_err(), "{name} accepted a random header `{value}`");
        }
    }

    #[test]
    fn a_signed_delivery_verifies_and_a_changed_body_does_not(key in proptest::collection::vec(any::<u8>(), 1..64), body in proptest::collection::vec(any::<u8>(), 0..256), id in "[a-z0-9_]{1,20}", age in 0i64..290) {
        let key = Key::from_bytes(&key);
        let now = 1_750_000_000;
        let stamp = Stamp { id, timestamp: now - age };
        for name in PRESETS {
            let scheme = Scheme::preset(name).expect("preset");
            let h = headers(&sign::headers(&scheme, &key, &stamp, &body));
            prop_assert!(verify::verify(&scheme, &key, &h, &body, now).is_ok(), "{name}");
            let mut changed = body.clone();
            changed.push(b'!');
            prop_assert_eq!(verify::verify(&scheme, &key, &h, &changed, now), Err(Rejection::Mismatch), "{}", name);
        }
    }
}
