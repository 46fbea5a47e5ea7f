//! `golive cert inspect` end to end: the JSON fields, exit codes, a clear
//! message (and no panic) for every kind of bad file, and the RSA modulus MD5
//! cross-checked with the openssl binary where it is installed.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use super::make::{self, Alg, Ca, Enc, LeafSpec};
use crate::support::{golive, stderr, stdout};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/pem").join(name)
}

/// Runs `cert inspect --format json` and returns the exit code and document.
fn inspect(cert: &Path, extra: &[&str]) -> (i32, Value) {
    let cert = cert.to_string_lossy().into_owned();
    let mut args = vec!["cert", "inspect", cert.as_str(), "--format", "json"];
    args.extend_from_slice(extra);
    let out = golive(&args);
    assert!(!stderr(&out).contains("internal error"), "panicked: {}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is JSON ({e}): {}\n{}", stdout(&out), stderr(&out)));
    (out.status.code().expect("exit code"), doc)
}

fn messages(doc: &Value) -> String {
    doc["findings"].as_array().expect("findings").iter().map(|f| f["message"].as_str().unwrap_or("")).collect()
}

#[test]
fn cert_inspect_json_has_the_documented_fields() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = Ca::root("Test CA");
    let key = make::key(Alg::Rsa);
    let cert = make::write(dir.path(), "c.pem", &ca.leaf(&key, &LeafSpec::default()));
    let key_path = make::write(dir.path(), "k.pem", &make::key_pem(&key, Enc::Pkcs1));
    let k = key_path.to_string_lossy().into_owned();
    let (code, doc) = inspect(&cert, &["--key", &k]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["subject"], "CN=api.merchant.example");
    assert_eq!(doc["issuer"], "CN=Test CA");
    assert_eq!(doc["sans"], serde_json::json!(["api.merchant.example"]));
    for field in ["not_before", "not_after"] {
        let text = doc[field].as_str().expect(field);
        assert!(time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).is_ok(), "{text}");
    }
    assert!(doc["days_left"].as_i64().is_some_and(|d| (89..=90).contains(&d)), "{doc:#}");
    assert_eq!((doc["key_type"].as_str(), doc["key_bits"].as_u64()), (Some("rsa"), Some(2048)));
    assert_eq!(doc["key_matches"], true);
    let md5 = doc["rsa_modulus_md5"].as_str().expect("md5");
    assert!(md5.len() == 32 && md5.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()), "{md5}");
    assert_eq!(doc["spki_sha256"].as_str().map(str::len), Some(64));
    assert_eq!(doc["status"], "pass");
    assert_eq!(doc["findings"], serde_json::json!([]));

    // Without --key: null, not false. EC: no modulus.
    let ec_key = make::key(Alg::EcP256);
    let ec = make::write(dir.path(), "ec.pem", &ca.leaf(&ec_key, &LeafSpec::default()));
    let (_, doc) = inspect(&ec, &[]);
    assert_eq!((doc["key_matches"].clone(), doc["rsa_modulus_md5"].clone()), (Value::Null, Value::Null));
    assert_eq!(doc["key_type"], "ec");
}

#[test]
fn cert_inspect_exit_code_follows_the_status() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = Ca::root("Test CA");
    let key = make::key(Alg::EcP256);
    let soon = make::write(dir.path(), "soon.pem", &ca.leaf(&key, &LeafSpec { to: 10, ..LeafSpec::default() }));
    let (code, doc) = inspect(&soon, &[]);
    assert_eq!((code, doc["status"].as_str()), (0, Some("warn")), "{doc:#}");
    assert!(messages(&doc).contains("days left"), "{doc:#}");
    let (code, doc) = inspect(&soon, &["--warn-days", "5"]);
    assert_eq!((code, doc["status"].as_str()), (0, Some("pass")));
    let expired =
        make::write(dir.path(), "old.pem", &ca.leaf(&key, &LeafSpec { from: -30, to: -2, ..LeafSpec::default() }));
    let (code, doc) = inspect(&expired, &[]);
    assert_eq!((code, doc["status"].as_str()), (1, Some("fail")), "{doc:#}");
    assert!(messages(&doc).contains("expired ") && messages(&doc).contains("days ago (on "), "{doc:#}");

    let (code, doc) = inspect(&fixture("mismatch.crt"), &["--key", &fixture("mismatch.key").to_string_lossy()]);
    assert_eq!((code, doc["key_matches"].clone()), (1, Value::Bool(false)), "{doc:#}");
    assert!(doc["diagnosis"]["cause"].as_str().is_some_and(|c| c.contains("wrong cert/key pair")), "{doc:#}");

    // The human format says the same.
    let out = golive(&["cert", "inspect", &soon.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("days left") && stdout(&out).contains("WARN"), "{}", stdout(&out));
}

#[test]
fn cert_inspect_bad_files_give_clear_messages_and_no_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let key = make::key(Alg::EcP256);
    let cert = make::write(d, "cert.pem", &Ca::root("Test CA").leaf(&key, &LeafSpec::default()));
    let key_path = make::write(d, "key.pem", &make::key_pem(&key, Enc::Pkcs8));
    let empty = make::write(d, "empty.pem", "");
    let public = make::write(d, "public.pem", &key.public_key_pem());
    let big = d.join("big.pem");
    std::fs::write(&big, vec![b'A'; 10 * 1024 * 1024]).expect("writes 10 MB");
    // (file, expected exit, text the message must contain)
    let cases: Vec<(PathBuf, i32, &str)> = vec![
        (empty, 1, "is empty"),
        (fixture("not-pem.txt"), 1, "is not PEM"),
        (public, 1, "holds no CERTIFICATE block (it has: PUBLIC KEY)"),
        (fixture("truncated-base64.pem"), 1, "base64 is broken"),
        (fixture("truncated-no-end.pem"), 1, "is truncated"),
        (fixture("trailing-garbage.pem"), 1, "text after its last PEM block"),
        (fixture("joined-without-newline.pem"), 1, "files joined without a newline"),
        (key_path.clone(), 1, "are the certificate and key paths swapped?"),
        (d.to_path_buf(), 3, "is a directory"),
        (d.join("missing.pem"), 3, "no such file"),
        (big, 1, "too large to be a PEM file"),
    ];
    for (file, want, text) in cases {
        let (code, doc) = inspect(&file, &[]);
        let msg = messages(&doc);
        assert_eq!(code, want, "{}: {doc:#}", file.display());
        assert!(msg.contains(text), "{}: want {text:?} in {msg}", file.display());
        assert!(msg.contains(file.file_name().map_or("", |n| n.to_str().unwrap_or(""))), "names the file: {msg}");
    }
    // Cert and key swapped the other way round: the key file holds a certificate.
    let (code, doc) = inspect(&cert, &["--key", &cert.to_string_lossy()]);
    assert_eq!(code, 1);
    assert!(messages(&doc).contains("key file") && messages(&doc).contains("swapped"), "{doc:#}");
}

#[test]
fn cert_inspect_encrypted_key_says_how_to_decrypt() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = make::key(Alg::EcP256);
    let cert = make::write(dir.path(), "cert.pem", &Ca::root("Test CA").leaf(&key, &LeafSpec::default()));
    let der = key.serialize_der();
    let encrypted = make::write(dir.path(), "enc.pem", &make::pem("ENCRYPTED PRIVATE KEY", &der));
    let (code, doc) = inspect(&cert, &["--key", &encrypted.to_string_lossy()]);
    assert_eq!(code, 1, "{doc:#}");
    assert!(messages(&doc).contains("openssl pkey -in"), "{doc:#}");
}

#[cfg(unix)]
#[test]
fn cert_inspect_unreadable_file_is_an_error_naming_permission() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = make::write(dir.path(), "locked.pem", "-----BEGIN CERTIFICATE-----\n");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o000)).expect("chmod 000");
    if std::fs::read(&file).is_ok() {
        println!("skipped: running as root, a chmod 000 file is still readable");
        return;
    }
    let (code, doc) = inspect(&file, &[]);
    assert_eq!(code, 3, "{doc:#}");
    assert!(messages(&doc).contains("permission denied"), "{doc:#}");
}

/// Counts read as English: "1 certificate", "expired 2,491 days ago".
#[test]
fn cert_inspect_counts_agree_and_group_thousands() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = make::key(Alg::EcP256);
    let old = make::write(
        dir.path(),
        "old.pem",
        &Ca::root("Test CA").leaf(&key, &LeafSpec { from: -3000, to: -2491, ..LeafSpec::default() }),
    );
    let (_, doc) = inspect(&old, &[]);
    assert!(messages(&doc).contains("expired 2,491 days ago"), "{doc:#}");
    let out = golive(&["cert", "inspect", &old.to_string_lossy()]);
    let text = stdout(&out);
    assert!(text.contains("1 certificate in the file") && !text.contains("certificate(s)"), "{text}");
    assert!(text.contains("(expired 2,491 days ago)"), "{text}");
}

/// A PKCS#12 bundle given as certificate or key is named as such, with the
/// `openssl pkcs12` commands that split it (it used to be "binary DER").
#[test]
fn cert_inspect_pkcs12_is_named_with_the_command_that_splits_it() {
    let p12 = fixture("bundle.p12");
    let (code, doc) = inspect(&p12, &[]);
    assert_eq!(code, 1, "{doc:#}");
    let msg = messages(&doc);
    assert!(msg.contains("is a PKCS#12 bundle"), "{msg}");
    assert!(msg.contains(&format!("openssl pkcs12 -in {} -clcerts -nokeys", p12.display())), "{msg}");
    assert!(msg.contains(&format!("openssl pkcs12 -in {} -nocerts -nodes", p12.display())), "{msg}");
    assert!(!msg.contains("binary DER"), "{msg}");
    // As the key: the same advice, for the key file.
    let (code, doc) = inspect(&fixture("mismatch.crt"), &["--key", &p12.to_string_lossy()]);
    assert_eq!(code, 1, "{doc:#}");
    let msg = messages(&doc);
    assert!(msg.contains("key file") && msg.contains("PKCS#12") && msg.contains("openssl pkcs12 -in"), "{msg}");
}

/// An X.509 v1 certificate fails with a sentence that says so and how to
/// reissue it, with or without a CA bundle; never webpki's enum name.
#[test]
fn cert_inspect_x509_v1_is_a_sentence_not_an_enum_name() {
    let (v1, key) = (fixture("v1.crt"), fixture("v1.key"));
    for extra in [vec![], vec!["--ca-bundle", v1.to_str().expect("utf-8")]] {
        let mut args = vec!["--key", key.to_str().expect("utf-8")];
        args.extend(extra);
        let (code, doc) = inspect(&v1, &args);
        assert_eq!(code, 1, "{doc:#}");
        let msg = messages(&doc);
        assert!(msg.contains("X.509 version 1"), "{msg}");
        assert!(!msg.contains("UnsupportedCertVersion"), "{msg}");
        let fix = doc["diagnosis"]["fix"].as_str().unwrap_or_default();
        assert!(fix.contains("v3"), "{doc:#}");
    }
}

/// What `sh -c "$cmd"` prints, or None when openssl is not installed on a
/// developer's machine. In CI (`CI` set) a missing openssl fails the test: the
/// cross-check must run there, never pass as skipped.
fn openssl_md5(cmd: &str) -> Option<String> {
    if Command::new("openssl").arg("version").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "openssl is not installed, and CI must cross-check golive's modulus MD5 against it: install openssl"
        );
        return None;
    }
    let out = Command::new("sh").arg("-c").arg(cmd).output().expect("sh runs");
    assert!(out.status.success(), "{cmd}: {}", String::from_utf8_lossy(&out.stderr));
    // "MD5(stdin)= 0123..." (openssl 1.1 prints "(stdin)= 0123...").
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    Some(text.rsplit("= ").next().unwrap_or_default().trim().to_string())
}

#[test]
fn cert_rsa_modulus_md5_equals_what_openssl_prints() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = make::key(Alg::Rsa);
    let cert = make::write(dir.path(), "c.pem", &Ca::root("Test CA").leaf(&key, &LeafSpec::default()));
    let pairs = [(cert.clone(), None), (fixture("mismatch.crt"), Some(fixture("mismatch.key")))];
    for (cert, key) in pairs {
        let key_arg = key.as_ref().map(|k| k.to_string_lossy().into_owned());
        let extra: Vec<&str> = key_arg.as_deref().map(|k| vec!["--key", k]).unwrap_or_default();
        let (_, doc) = inspect(&cert, &extra);
        let Some(want) = openssl_md5(&format!("openssl x509 -noout -modulus -in '{}' | openssl md5", cert.display()))
        else {
            println!("skipped: openssl is not installed, the modulus MD5 was not cross-checked");
            return;
        };
        assert_eq!(doc["rsa_modulus_md5"].as_str(), Some(want.as_str()), "{doc:#}");
        if let Some(key) = key {
            let want = openssl_md5(&format!("openssl rsa -noout -modulus -in '{}' | openssl md5", key.display()));
            assert_eq!(doc["key"]["rsa_modulus_md5"].as_str(), want.as_deref(), "{doc:#}");
        }
    }
}

/// `--pack axys` holds the certificate to the Axys `cert` probe's policy (RSA,
/// 2048 bits, no wildcard names), as `verify` does; without it the same
/// certificate passes the generic inspection.
#[test]
fn cert_inspect_with_a_pack_applies_its_certificate_policy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = Ca::root("Test CA");
    let key = make::key(Alg::EcP256);
    let sans = vec!["*.merchant.example".to_string()];
    let wild = make::write(dir.path(), "wild.pem", &ca.leaf(&key, &LeafSpec { sans, ..LeafSpec::default() }));
    let (code, doc) = inspect(&wild, &[]);
    assert_eq!((code, doc["status"].as_str()), (0, Some("pass")), "generic: no pack rules {doc:#}");
    assert_eq!(doc["policy"], Value::Null);

    let (code, doc) = inspect(&wild, &["--pack", "axys"]);
    assert_eq!((code, doc["status"].as_str()), (1, Some("fail")), "{doc:#}");
    let classes: Vec<&str> =
        doc["findings"].as_array().expect("findings").iter().filter_map(|f| f["name"].as_str()).collect();
    let text = messages(&doc);
    assert!(text.contains("RSA") && text.contains("wildcard"), "key type and wildcard findings: {classes:?} {text}");
    assert_eq!(doc["policy"]["pack"], "axys");
    assert_eq!(doc["policy"]["probe"], "axys-cert");
    assert_eq!(doc["policy"]["min_key_bits"], 2048);
    assert!(doc["diagnosis"]["cause"].is_string(), "the pack's or the generic diagnosis: {doc:#}");

    // The human form names the policy it applied.
    let path = wild.to_string_lossy().into_owned();
    let out = golive(&["cert", "inspect", &path, "--pack", "axys"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("pack axys (probe axys-cert): RSA key, at least 2048 bits, no wildcard names"),
        "{}",
        stdout(&out)
    );

    // An RSA-2048 certificate with exact names passes the same policy.
    let rsa = make::key(Alg::Rsa);
    let good = make::write(dir.path(), "good.pem", &ca.leaf(&rsa, &LeafSpec::default()));
    let (code, doc) = inspect(&good, &["--pack", "axys"]);
    assert_eq!((code, doc["status"].as_str()), (0, Some("pass")), "{doc:#}");

    let out = golive(&["cert", "inspect", &path, "--pack", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unknown pack `nope`"), "{}", stderr(&out));
}
