//! Certificate analysis of local files, shared by the `cert` probe and
//! `golive cert inspect`: one implementation, two front ends.
//!
//! [`inspect`] loads a PEM chain (and optionally its private key and a CA
//! bundle) and returns an [`Inspection`]: the facts of every certificate
//! ([`CertFacts`], also used for server chains by the `tls` kind), the key
//! report and a list of [`Finding`]s, each a report [`Check`] with a stable
//! error class (`key-mismatch`, `cert-expired`, `unknown-issuer`, ...) that
//! pack diagnoses can match. Nothing here prints, talks to the network or
//! knows a partner: thresholds and rules come in as a [`Policy`].

pub mod chain;
pub mod facts;
pub mod key;
pub mod policy;

use std::path::PathBuf;

use time::OffsetDateTime;
use x509_parser::prelude::{FromDer, X509Certificate};

pub use facts::CertFacts;
pub use key::{KeyMatch, KeyReport, KeyType};
pub use policy::Policy;

use crate::report::{Check, Status};
use crate::spec::{Diagnosis, ErrorClass};

/// One check with the stable class of its failure, if it did not pass.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The check as reports show it.
    pub check: Check,
    /// A stable error class, e.g. `key-mismatch`, for pack diagnoses.
    pub class: Option<ErrorClass>,
}

impl Finding {
    /// A passing check.
    pub fn pass(check: Check) -> Self {
        Finding { check, class: None }
    }

    /// A check that did not pass, with its class.
    pub fn fail(check: Check, class: ErrorClass) -> Self {
        Finding { check, class: Some(class) }
    }
}

/// The files to inspect.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// The PEM certificate chain, leaf first.
    pub cert: PathBuf,
    /// Its private key, if it is to be checked.
    pub key: Option<PathBuf>,
    /// Roots the chain must verify to, if any.
    pub ca_bundle: Option<PathBuf>,
}

/// Everything learned about the files.
#[derive(Debug, Clone, Default)]
pub struct Inspection {
    /// Every certificate of the file, in file order.
    pub chain: Vec<CertFacts>,
    /// The index of the leaf in `chain` (0 unless the file is out of order).
    pub leaf: usize,
    /// The private key, when one was given and could be read.
    pub key: Option<KeyReport>,
    /// Every check, in order.
    pub findings: Vec<Finding>,
}

/// Classes in the order a diagnosis should name them: the first one present wins.
const PRIORITY: &[ErrorClass] = &[
    ErrorClass::CertUnreadable,
    ErrorClass::CertInvalid,
    ErrorClass::CertVersion,
    ErrorClass::KeyUnreadable,
    ErrorClass::KeyMismatch,
    ErrorClass::CertExpired,
    ErrorClass::CertNotYetValid,
    ErrorClass::ChainOrder,
    ErrorClass::ChainBroken,
    ErrorClass::UnknownIssuer,
    ErrorClass::IntermediateExpired,
    ErrorClass::IntermediateNotYetValid,
    ErrorClass::BadSignature,
    ErrorClass::ChainInvalid,
    ErrorClass::KeyType,
    ErrorClass::KeyTooSmall,
    ErrorClass::WildcardSan,
    ErrorClass::NameMissing,
    ErrorClass::ClientAuthMissing,
    ErrorClass::CertExpiring,
    ErrorClass::CaBundle,
];

impl Inspection {
    /// The leaf's facts, when the certificate file could be read.
    pub fn leaf(&self) -> Option<&CertFacts> {
        self.chain.get(self.leaf)
    }

    /// The checks, as reports show them.
    pub fn checks(&self) -> Vec<Check> {
        self.findings.iter().map(|f| f.check.clone()).collect()
    }

    /// The combined verdict.
    pub fn status(&self) -> Status {
        Status::combine(self.findings.iter().map(|f| f.check.status))
    }

    /// The most important class among the checks that did not pass.
    pub fn error_class(&self) -> Option<ErrorClass> {
        let present: Vec<ErrorClass> =
            self.findings.iter().filter(|f| f.check.status != Status::Pass).filter_map(|f| f.class).collect();
        PRIORITY.iter().copied().find(|c| present.contains(c)).or_else(|| present.first().copied())
    }

    /// A partner-neutral cause and fix for the most important class.
    pub fn diagnosis(&self, inputs: &Inputs) -> Option<Diagnosis> {
        let class = self.error_class()?;
        let cert = inputs.cert.display().to_string();
        let key = inputs.key.as_ref().map_or_else(|| "KEY".to_string(), |k| k.display().to_string());
        let (cause, fix) = match class {
            ErrorClass::KeyMismatch => (
                "the private key does not belong to the certificate (wrong cert/key pair)".to_string(),
                format!(
                    "compare {}; point client_key at the key the CSR was made with",
                    compare_commands(&cert, &key, self.both_rsa())
                ),
            ),
            ErrorClass::CertVersion => (
                "the certificate is X.509 version 1: it carries no extensions (no subjectAltName, no clientAuth), and TLS stacks such as rustls refuse it".to_string(),
                "ask the CA to reissue it as an X.509 v3 certificate (self-made with `openssl x509 -req`: add `-extfile` with its subjectAltName and extendedKeyUsage)".to_string(),
            ),
            ErrorClass::CertExpired => (
                "the certificate has expired".to_string(),
                "request a new certificate from the issuing CA and deploy it with its key".to_string(),
            ),
            ErrorClass::CertExpiring => (
                "the certificate expires soon".to_string(),
                "renew it now: make a new CSR, have it signed, and deploy the new certificate and key".to_string(),
            ),
            ErrorClass::CertNotYetValid => (
                "the certificate is not valid yet".to_string(),
                "check this machine's clock; otherwise wait for its start date or ask the CA".to_string(),
            ),
            ErrorClass::UnknownIssuer | ErrorClass::BadSignature => (
                "the chain does not lead to a trusted root".to_string(),
                "put the intermediates the CA sent after the leaf in the certificate file, and check that client_chain (ca_bundle in older configurations) holds the CA that issued it, up to its root".to_string(),
            ),
            ErrorClass::ChainOrder | ErrorClass::ChainBroken => (
                "the certificate file's chain is out of order or incomplete".to_string(),
                "write the leaf first, then each issuer in turn (cat leaf.crt intermediate.crt > chain.pem)".to_string(),
            ),
            ErrorClass::CertUnreadable | ErrorClass::CertInvalid | ErrorClass::KeyUnreadable => (
                "a certificate or key file cannot be used as it is".to_string(),
                "see the message above: it names the file and what is wrong with it".to_string(),
            ),
            _ => (
                "the certificate does not meet the rules for this environment".to_string(),
                "request a certificate that meets them (see the failed checks)".to_string(),
            ),
        };
        Some(Diagnosis { cause, fix })
    }
}

impl Inspection {
    /// Whether both the leaf and the private key are RSA: only then do the
    /// openssl modulus commands apply.
    fn both_rsa(&self) -> bool {
        let key_rsa = self.key.as_ref().and_then(|k| k.public.as_ref()).is_none_or(|p| p.key_type == KeyType::Rsa);
        self.leaf().is_some_and(|l| l.key_type == KeyType::Rsa) && key_rsa
    }
}

/// The openssl commands that compare a certificate's public key with a
/// private key's: the RSA modulus when both are RSA (what partner runbooks
/// print), the public key itself otherwise (EC, Ed25519, or mixed types:
/// `-modulus` fails on them).
pub fn compare_commands(cert: &str, key: &str, rsa: bool) -> String {
    if rsa {
        format!(
            "`openssl x509 -noout -modulus -in {cert} | openssl md5` with `openssl rsa -noout -modulus -in {key} | openssl md5`"
        )
    } else {
        format!(
            "`openssl x509 -noout -pubkey -in {cert} | openssl md5` with `openssl pkey -pubout -in {key} | openssl md5`"
        )
    }
}

/// Reads and judges the files. Blocking (file reads): call it from
/// `spawn_blocking` in async code.
pub fn inspect(inputs: &Inputs, policy: &Policy, now: OffsetDateTime) -> Inspection {
    let mut out = Inspection::default();
    let ders = match crate::net::tls::parse_certs(&inputs.cert) {
        Ok(d) => d,
        Err(e) => {
            let (status, class) = if e.unreadable {
                (Status::Error, ErrorClass::CertUnreadable)
            } else {
                (Status::Fail, ErrorClass::CertInvalid)
            };
            out.findings.push(Finding::fail(Check::new("certificate", status, e.message), class));
            return out;
        }
    };
    for (i, der) in ders.iter().enumerate() {
        match CertFacts::from_der_at(der, now) {
            Ok(f) => out.chain.push(f),
            Err(why) => {
                let message = format!("certificate {} of {} {why}", i + 1, inputs.cert.display());
                out.chain.clear();
                out.findings
                    .push(Finding::fail(Check::new("certificate", Status::Fail, message), ErrorClass::CertInvalid));
                return out;
            }
        }
    }
    out.leaf = chain::leaf_index(&out.chain);
    if let Ok((_, leaf)) = X509Certificate::from_der(&ders[out.leaf])
        && leaf.version() != x509_parser::x509::X509Version::V3
    {
        out.findings.push(Finding::fail(
            Check::new(
                "certificate-version",
                Status::Fail,
                format!(
                    "the certificate `{}` is X.509 version {}: {}",
                    out.chain[out.leaf].short_name(),
                    leaf.version().0 + 1,
                    crate::net::verifier::webpki(&webpki::Error::UnsupportedCertVersion)
                ),
            ),
            ErrorClass::CertVersion,
        ));
    }
    if let Some(key_path) = &inputs.key {
        let leaf = &out.chain[out.leaf];
        out.findings.push(key_finding(&ders[out.leaf], &ders, (&inputs.cert, key_path), &mut out.key, leaf));
    }
    out.findings.extend(policy.evaluate(&out.chain[out.leaf], now));
    out.findings.extend(chain::structure(&out.chain, out.leaf, now));
    if let Some(bundle) = &inputs.ca_bundle {
        out.findings.push(chain::verify(&ders, &out.chain, out.leaf, bundle, now));
    }
    out
}

fn key_finding(
    leaf_der: &[u8],
    ders: &[rustls_pki_types::CertificateDer<'static>],
    (cert_path, key_path): (&std::path::Path, &std::path::Path),
    report: &mut Option<KeyReport>,
    leaf: &CertFacts,
) -> Finding {
    let key = match crate::net::tls::parse_key(key_path) {
        Ok(k) => k,
        Err(e) => {
            let status = if e.unreadable { Status::Error } else { Status::Fail };
            return Finding::fail(Check::new("key-match", status, e.message), ErrorClass::KeyUnreadable);
        }
    };
    let Ok((_, parsed)) = X509Certificate::from_der(leaf_der) else {
        return Finding::fail(
            Check::new("key-match", Status::Error, "the leaf could not be parsed again"),
            ErrorClass::CertInvalid,
        );
    };
    // rustls takes the leaf first: put the file's leaf there whatever the order.
    let mut ordered = vec![rustls_pki_types::CertificateDer::from(leaf_der.to_vec())];
    ordered.extend(ders.iter().filter(|d| d.as_ref() != leaf_der).cloned());
    let r = key::check_key(&ordered, parsed.public_key(), &key);
    let key_md5 = r.public.as_ref().and_then(|p| p.rsa_modulus.as_deref()).map(facts::openssl_modulus_md5);
    let key_desc = r.public.as_ref().map_or_else(
        || format!("{} key", r.format),
        |p| format!("{} {} key, {} bits", r.format, p.key_type.label(), p.bits),
    );
    let name = key_path.display();
    let finding = match &r.matches {
        KeyMatch::Match => {
            let md5 = leaf.rsa_modulus_md5.as_ref().map(|m| format!("; RSA modulus MD5 {m}")).unwrap_or_default();
            Finding::pass(Check::new(
                "key-match",
                Status::Pass,
                format!("the private key {name} ({key_desc}) belongs to the certificate (same public key{md5})"),
            ))
        }
        KeyMatch::Mismatch => {
            let mut message = format!(
                "the private key {name} ({key_desc}) does not belong to the certificate `{}` ({})",
                leaf.short_name(),
                policy::describe_key(leaf)
            );
            // The runbook's check compares these by eye: show both, as openssl prints them.
            if let (Some(cert_md5), Some(key_md5)) = (&leaf.rsa_modulus_md5, &key_md5) {
                message.push_str(&format!(
                    ": key modulus MD5 {key_md5} ≠ certificate modulus MD5 {cert_md5}; compare with `openssl x509 -noout -modulus -in {} | openssl md5` and `openssl rsa -noout -modulus -in {name} | openssl md5`",
                    cert_path.display()
                ));
            } else {
                // EC, Ed25519 or mixed types have no modulus: compare the public keys.
                let commands = compare_commands(&cert_path.display().to_string(), &name.to_string(), false);
                message.push_str(&format!("; compare {commands}"));
            }
            let mut check = Check::new("key-match", Status::Fail, message);
            if let (Some(cert_md5), Some(key_md5)) = (&leaf.rsa_modulus_md5, &key_md5) {
                check = check.with_values(format!("modulus MD5 {cert_md5}"), format!("modulus MD5 {key_md5}"));
            } else {
                check = check.with_values(format!("SPKI SHA-256 {}", leaf.spki_sha256), "another public key");
            }
            Finding::fail(check, ErrorClass::KeyMismatch)
        }
        KeyMatch::Unknown(why) => Finding::fail(
            Check::new(
                "key-match",
                Status::Error,
                format!("cannot tell whether {name} belongs to the certificate: {why}"),
            ),
            ErrorClass::KeyUnreadable,
        ),
    };
    *report = Some(r);
    finding
}
