//! The `cert` probe kind through the real runner, with certificates generated
//! at test time: key match for every key type and encoding, validity windows,
//! pack rules, chain order and trust, and the Axys pack's `axys-cert` probe.

mod inspect;
pub(crate) mod make;

use std::path::{Path, PathBuf};

use golive::config::{Environment, Pack};
use golive::plan::Selection;
use golive::report::{ProbeReport, Status};
use golive::runner::RunOptions;
use rcgen::ExtendedKeyUsagePurpose;

use crate::support::{pack_from, run_pack};
use make::{Alg, Ca, Enc, LeafSpec};

/// Every class golive's `cert` kind sets, so tests can read it from the diagnosis.
const CLASSES: &[&str] = &[
    "cert-not-configured",
    "key-not-configured",
    "cert-unreadable",
    "cert-invalid",
    "key-unreadable",
    "key-mismatch",
    "cert-expired",
    "cert-not-yet-valid",
    "cert-expiring",
    "chain-order",
    "chain-broken",
    "unknown-issuer",
    "intermediate-expired",
    "key-type",
    "key-too-small",
    "wildcard-san",
    "name-missing",
    "client-auth-missing",
];

/// A pack with one `cert` probe whose diagnoses echo the error class.
fn pack(params: &str) -> Pack {
    let mut text = format!(
        "[pack]\nname = \"test\"\ntitle = \"Test\"\nrunbook = \"test-runbook\"\n\n[[probe]]\nid = \"cert\"\nkind = \"cert\"\ntitle = \"Client certificate\"\n[probe.params]\n{params}\n"
    );
    for class in CLASSES {
        text.push_str(&format!(
            "\n[[probe.diagnosis]]\nwhen = {{ error_class = \"{class}\" }}\ncause = \"class:{class}\"\nfix = \"fix\"\n"
        ));
    }
    pack_from(&text)
}

fn env(cert: Option<&Path>, key: Option<&Path>, ca: Option<&Path>) -> Environment {
    Environment {
        name: "test".into(),
        pack: "test".into(),
        client_cert: cert.map(Path::to_path_buf),
        client_key: key.map(Path::to_path_buf),
        ca_bundle: ca.map(Path::to_path_buf),
        ..Environment::default()
    }
}

async fn run(env: Environment, pack: Pack) -> ProbeReport {
    let summary = run_pack(env, pack, &Selection::default(), &RunOptions::default()).await;
    summary.probes.into_iter().next().expect("one probe")
}

fn class(report: &ProbeReport) -> String {
    report.diagnosis.as_ref().map(|d| d.cause.trim_start_matches("class:").to_string()).unwrap_or_default()
}

fn check<'a>(report: &'a ProbeReport, name: &str) -> &'a golive::report::Check {
    report.checks.iter().find(|c| c.name == name).unwrap_or_else(|| panic!("check {name} in {report:#?}"))
}

/// A directory with a CA, a leaf and its key (and, on request, another key).
struct Files {
    dir: tempfile::TempDir,
    ca: Ca,
}

impl Files {
    fn new() -> Files {
        Files { dir: tempfile::tempdir().expect("tempdir"), ca: Ca::root("Test Program CA") }
    }

    /// Writes `cert.pem` and `key.pem` for a new key of `alg` in `enc`.
    fn pair(&self, alg: Alg, enc: Enc, spec: &LeafSpec) -> (PathBuf, PathBuf) {
        let key = make::key(alg);
        let cert = make::write(self.dir.path(), "cert.pem", &self.ca.leaf(&key, spec));
        let key = make::write(self.dir.path(), "key.pem", &make::key_pem(&key, enc));
        (cert, key)
    }

    fn ca_bundle(&self) -> PathBuf {
        make::write(self.dir.path(), "ca.pem", &self.ca.pem)
    }
}

/// Every key type and encoding the `cert` kind loads; the mtls tests use it too.
pub(crate) const CASES: &[(Alg, Enc)] = &[
    (Alg::Rsa, Enc::Pkcs1),
    (Alg::Rsa, Enc::Pkcs8),
    (Alg::EcP256, Enc::Sec1),
    (Alg::EcP256, Enc::Pkcs8),
    (Alg::Ed25519, Enc::Pkcs8),
];

#[tokio::test]
async fn cert_key_match_for_every_key_type_and_encoding() {
    for &(alg, enc) in CASES {
        let files = Files::new();
        let (cert, key) = files.pair(alg, enc, &LeafSpec::default());
        let report = run(env(Some(&cert), Some(&key), Some(&files.ca_bundle())), pack("")).await;
        assert_eq!(report.status, Status::Pass, "{alg:?} {enc:?}: {report:#?}");
        assert!(check(&report, "key-match").message.contains("belongs to the certificate"), "{report:#?}");
        let rsa_md5 = report.facts.get("rsa_modulus_md5");
        assert_eq!(rsa_md5.is_some(), alg == Alg::Rsa, "{report:#?}");
    }
}

#[tokio::test]
async fn cert_key_mismatch_for_every_key_type_and_encoding() {
    for &(alg, enc) in CASES {
        let files = Files::new();
        let (cert, _) = files.pair(alg, enc, &LeafSpec::default());
        let other = make::write(files.dir.path(), "other.pem", &make::key_pem(&make::key(alg), enc));
        let report = run(env(Some(&cert), Some(&other), None), pack("")).await;
        assert_eq!(report.status, Status::Fail, "{alg:?} {enc:?}: {report:#?}");
        assert_eq!(class(&report), "key-mismatch", "{report:#?}");
        let c = check(&report, "key-match");
        assert!(c.message.contains("does not belong to the certificate"), "{c:#?}");
        if alg == Alg::Rsa {
            assert!(c.expected.as_deref().is_some_and(|e| e.starts_with("modulus MD5 ")), "{c:#?}");
            assert_ne!(c.expected, c.actual);
            // The human report prints only the message: both hashes are in it, as openssl prints them.
            let cert_md5 = report.facts["rsa_modulus_md5"].as_str().expect("the certificate's modulus MD5");
            let key_md5 = c.actual.as_deref().and_then(|a| a.strip_prefix("modulus MD5 ")).expect("the key's");
            let want = format!("key modulus MD5 {key_md5} ≠ certificate modulus MD5 {cert_md5}");
            assert!(c.message.contains(&want), "{want} in {c:#?}");
            let compare = format!("`openssl x509 -noout -modulus -in {} | openssl md5`", cert.display());
            assert!(c.message.contains(&compare), "{compare} in {c:#?}");
        } else {
            // EC and Ed25519 have no modulus: the public keys are compared instead.
            assert!(!c.message.contains("modulus"), "{c:#?}");
            let compare = format!("`openssl x509 -noout -pubkey -in {} | openssl md5`", cert.display());
            assert!(c.message.contains(&compare) && c.message.contains("openssl pkey -pubout -in"), "{c:#?}");
        }
    }
}

#[tokio::test]
async fn cert_key_mismatch_diagnosis_says_wrong_pair_and_how_to_compare() {
    let files = Files::new();
    let (cert, _) = files.pair(Alg::EcP256, Enc::Pkcs8, &LeafSpec::default());
    let other = make::write(files.dir.path(), "other.pem", &make::key_pem(&make::key(Alg::EcP256), Enc::Pkcs8));
    let plain = pack_from(
        "[pack]\nname = \"t\"\ntitle = \"T\"\nrunbook = \"r\"\n[[probe]]\nid = \"cert\"\nkind = \"cert\"\ntitle = \"c\"\n",
    );
    let report = run(env(Some(&cert), Some(&other), None), plain.clone()).await;
    let d = report.diagnosis.expect("diagnosis");
    assert_eq!(d.cause, "the private key does not belong to the certificate (wrong cert/key pair)");
    // `-modulus` fails on an EC or Ed25519 key: the advice compares public keys.
    assert!(!d.fix.contains("-modulus"), "{d:#?}");
    assert!(d.fix.contains("openssl x509 -noout -pubkey -in") && d.fix.contains("openssl pkey -pubout -in"), "{d:#?}");
    for alg in [Alg::Ed25519, Alg::Rsa] {
        let files = Files::new();
        let (cert, _) = files.pair(alg, Enc::Pkcs8, &LeafSpec::default());
        let other = make::write(files.dir.path(), "other.pem", &make::key_pem(&make::key(alg), Enc::Pkcs8));
        let d = run(env(Some(&cert), Some(&other), None), plain.clone()).await.diagnosis.expect("diagnosis");
        let rsa = alg == Alg::Rsa;
        assert_eq!(d.fix.contains("openssl rsa -noout -modulus"), rsa, "{alg:?}: {d:#?}");
        assert_eq!(d.fix.contains("openssl pkey -pubout"), !rsa, "{alg:?}: {d:#?}");
    }
}

#[tokio::test]
async fn cert_validity_windows_fail_warn_and_show_days_left() {
    let files = Files::new();
    let cases: &[(i64, i64, &str, Status, &str)] = &[
        (-100, -1, "", Status::Fail, "cert-expired"),
        (2, 90, "", Status::Fail, "cert-not-yet-valid"),
        (-1, 10, "warn_days = 30\nfail_days = 5", Status::Warn, "cert-expiring"),
        (-1, 10, "warn_days = 30\nfail_days = 15", Status::Fail, "cert-expiring"),
        (-1, 90, "warn_days = 30\nfail_days = 5", Status::Pass, ""),
    ];
    for &(from, to, params, want, want_class) in cases {
        let spec = LeafSpec { from, to, ..LeafSpec::default() };
        let (cert, key) = files.pair(Alg::EcP256, Enc::Pkcs8, &spec);
        let report = run(env(Some(&cert), Some(&key), None), pack(params)).await;
        assert_eq!(report.status, want, "{from}..{to} {params}: {report:#?}");
        assert_eq!(class(&report), want_class, "{report:#?}");
        let days = report.facts["days_left"].as_i64().expect("days_left");
        assert!((to - 1..=to).contains(&days), "days_left {days} for a certificate ending in {to} days");
        assert!(check(&report, "validity").actual.as_deref().is_some_and(|a| a.contains("days left")));
    }
}

#[tokio::test]
async fn cert_pack_rules_key_type_size_wildcards_names_and_client_auth() {
    let files = Files::new();
    let wild =
        LeafSpec { sans: vec!["api.merchant.example".into(), "*.merchant.example".into()], ..LeafSpec::default() };
    let server_only = LeafSpec { eku: vec![ExtendedKeyUsagePurpose::ServerAuth], ..LeafSpec::default() };
    let cases: &[(Alg, &LeafSpec, &str, &str)] = &[
        (Alg::EcP256, &LeafSpec::default(), "key_type = \"rsa\"", "key-type"),
        (Alg::EcP256, &LeafSpec::default(), "min_key_bits = 384", "key-too-small"),
        (Alg::EcP256, &wild, "forbid_wildcards = true", "wildcard-san"),
        (Alg::EcP256, &LeafSpec::default(), "required_names = [\"${calling_domain}\"]", "name-missing"),
        (Alg::EcP256, &server_only, "", "client-auth-missing"),
    ];
    for &(alg, spec, params, want_class) in cases {
        let (cert, key) = files.pair(alg, Enc::Pkcs8, spec);
        let mut e = env(Some(&cert), Some(&key), None);
        e.vars.insert("calling_domain".into(), "pay.merchant.example".into());
        let report = run(e, pack(params)).await;
        assert_eq!(report.status, Status::Fail, "{params}: {report:#?}");
        assert_eq!(class(&report), want_class, "{report:#?}");
    }
    // The same rules pass a certificate that meets them.
    let spec =
        LeafSpec { sans: vec!["api.merchant.example".into(), "pay.merchant.example".into()], ..LeafSpec::default() };
    let (cert, key) = files.pair(Alg::EcP256, Enc::Pkcs8, &spec);
    let mut e = env(Some(&cert), Some(&key), None);
    e.vars.insert("calling_domain".into(), "pay.merchant.example".into());
    let params =
        "key_type = \"ec\"\nmin_key_bits = 256\nforbid_wildcards = true\nrequired_names = [\"${calling_domain}\"]";
    let report = run(e, pack(params)).await;
    assert_eq!(report.status, Status::Pass, "{report:#?}");
}

#[tokio::test]
async fn cert_chain_untrusted_issuer_out_of_order_and_expired_intermediate() {
    let files = Files::new();
    let key = make::key(Alg::EcP256);
    let key_path = make::write(files.dir.path(), "key.pem", &make::key_pem(&key, Enc::Pkcs8));
    let inter = files.ca.intermediate("Test Issuing CA", -1, 365);
    let leaf = inter.leaf(&key, &LeafSpec::default());
    let root = files.ca_bundle();
    let stranger = make::write(files.dir.path(), "stranger.pem", &Ca::root("Some Other CA").pem);
    let in_order = make::write(files.dir.path(), "chain.pem", &format!("{leaf}{}", inter.pem));
    let reversed = make::write(files.dir.path(), "reversed.pem", &format!("{}{leaf}", inter.pem));
    let leaf_only = make::write(files.dir.path(), "leaf.pem", &leaf);

    let ok = run(env(Some(&in_order), Some(&key_path), Some(&root)), pack("")).await;
    assert_eq!(ok.status, Status::Pass, "{ok:#?}");
    assert!(check(&ok, "chain-trust").message.contains("verifies"), "{ok:#?}");

    let untrusted = run(env(Some(&in_order), Some(&key_path), Some(&stranger)), pack("")).await;
    assert_eq!((untrusted.status, class(&untrusted).as_str()), (Status::Fail, "unknown-issuer"), "{untrusted:#?}");
    assert!(check(&untrusted, "chain-trust").message.contains("unknown issuer"), "{untrusted:#?}");

    let missing_intermediate = run(env(Some(&leaf_only), Some(&key_path), Some(&root)), pack("")).await;
    assert_eq!(class(&missing_intermediate), "unknown-issuer", "{missing_intermediate:#?}");
    assert!(check(&missing_intermediate, "chain-trust").message.contains("Test Issuing CA"));

    let out_of_order = run(env(Some(&reversed), Some(&key_path), Some(&root)), pack("")).await;
    assert_eq!((out_of_order.status, class(&out_of_order).as_str()), (Status::Fail, "chain-order"));
    assert!(check(&out_of_order, "chain-order").message.contains("put the leaf first"), "{out_of_order:#?}");
    // The key still matches the leaf and the facts describe the leaf, not the intermediate.
    assert_eq!(check(&out_of_order, "key-match").status, Status::Pass);
    assert_eq!(out_of_order.facts["subject"], "CN=api.merchant.example");

    let old = files.ca.intermediate("Old Issuing CA", -400, -30);
    let expired_chain =
        make::write(files.dir.path(), "old.pem", &format!("{}{}", old.leaf(&key, &LeafSpec::default()), old.pem));
    let expired = run(env(Some(&expired_chain), Some(&key_path), Some(&root)), pack("")).await;
    assert_eq!((expired.status, class(&expired).as_str()), (Status::Fail, "intermediate-expired"), "{expired:#?}");
}

#[tokio::test]
async fn cert_missing_settings_are_errors_that_name_the_setting() {
    let report = run(env(None, None, None), pack("")).await;
    assert_eq!(report.status, Status::Error, "{report:#?}");
    assert!(report.checks[0].message.contains("set `client_cert`"), "{report:#?}");
    let files = Files::new();
    let (cert, _) = files.pair(Alg::EcP256, Enc::Pkcs8, &LeafSpec::default());
    let no_key = run(env(Some(&cert), None, None), pack("")).await;
    assert_eq!(no_key.status, Status::Error, "{no_key:#?}");
    assert!(check(&no_key, "key-match").message.contains("set `client_key`"), "{no_key:#?}");
}

#[test]
fn cert_params_are_checked_when_the_plan_is_built() {
    let text = "[pack]\nname = \"t\"\ntitle = \"T\"\nrunbook = \"r\"\n[[probe]]\nid = \"cert\"\nkind = \"cert\"\ntitle = \"c\"\n[probe.params]\nwarn_dayz = 3\n";
    let err = golive::plan::Plan::build("test", vec![(env(None, None, None), pack_from(text))], &Selection::default())
        .err()
        .expect("an unknown parameter is an error");
    assert!(err.to_string().contains("warn_dayz"), "{err}");
}

/// The Axys pack's probe, from probes/axys.toml or, until the fakes have a
/// client certificate, from probes/pending/axys-cert.toml appended to it.
fn axys_pack() -> Pack {
    let axys = golive::config::pack::load("axys", None).expect("the axys pack loads");
    if axys.probes.iter().any(|p| p.id == "axys-cert") {
        return axys;
    }
    let pending = Path::new(env!("CARGO_MANIFEST_DIR")).join("probes/pending/axys-cert.toml");
    let fragment = std::fs::read_to_string(&pending).expect("the pending axys-cert block exists");
    pack_from(&format!("{}\n{fragment}", axys.source.text))
}

#[tokio::test]
async fn cert_axys_pack_requires_rsa_2048_and_speaks_axys() {
    let only = Selection { only: vec!["axys-cert".into()], ..Selection::default() };
    let files = Files::new();
    let (cert, key) = files.pair(Alg::Rsa, Enc::Pkcs1, &LeafSpec::default());
    let summary = run_pack(env(Some(&cert), Some(&key), None), axys_pack(), &only, &RunOptions::default()).await;
    let report = &summary.probes[0];
    assert_eq!(
        (report.id.as_str(), report.kind.as_str(), report.status),
        ("axys-cert", "cert", Status::Pass),
        "{report:#?}"
    );
    assert!(report.runbook.iter().any(|r| r.item.starts_with("Key-cert modulus match confirmed")));

    let (cert, key) = files.pair(Alg::EcP256, Enc::Sec1, &LeafSpec::default());
    let summary = run_pack(env(Some(&cert), Some(&key), None), axys_pack(), &only, &RunOptions::default()).await;
    let d = summary.probes[0].diagnosis.clone().expect("diagnosis");
    assert!(d.cause.contains("RSA 2048-bit"), "{d:#?}");

    let (cert, _) = files.pair(Alg::Rsa, Enc::Pkcs8, &LeafSpec { to: 3, ..LeafSpec::default() });
    let other = make::write(files.dir.path(), "other.pem", &make::key_pem(&make::key(Alg::Rsa), Enc::Pkcs8));
    let summary = run_pack(env(Some(&cert), Some(&other), None), axys_pack(), &only, &RunOptions::default()).await;
    let d = summary.probes[0].diagnosis.clone().expect("diagnosis");
    assert!(d.cause.starts_with("Wrong cert/key pair"), "the key mismatch outranks expiry: {d:#?}");
}
