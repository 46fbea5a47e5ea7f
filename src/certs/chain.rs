//! The chain of a certificate file: order (leaf first), issuer linkage, the
//! validity of intermediates, and, with a `ca_bundle`, verification to one of
//! its roots with rustls-webpki, each failure named (unknown issuer, expired
//! intermediate, bad signature, ...).

use std::path::Path;

use rustls_pki_types::{CertificateDer, UnixTime};
use time::OffsetDateTime;
use webpki::{EndEntityCert, KeyUsage};

use super::Finding;
use super::facts::CertFacts;
use crate::report::{Check, Status};
use crate::spec::ErrorClass;

/// The index of the leaf: the one certificate that issued none of the others.
/// `0` when that is ambiguous (the order check then judges the file as written).
pub fn leaf_index(chain: &[CertFacts]) -> usize {
    let issued_others = |i: usize| {
        chain
            .iter()
            .enumerate()
            .any(|(j, other)| j != i && !other.self_issued && other.issuer_der == chain[i].subject_der)
    };
    let candidates: Vec<usize> = (0..chain.len()).filter(|&i| !issued_others(i)).collect();
    match candidates.as_slice() {
        [one] => *one,
        _ => 0,
    }
}

/// Order and linkage of the certificates as written, and the validity of the
/// certificates after the leaf.
pub fn structure(chain: &[CertFacts], leaf: usize, now: OffsetDateTime) -> Vec<Finding> {
    let mut out = Vec::new();
    if chain.len() == 1 {
        let note =
            if chain[0].self_issued { "one self-signed certificate" } else { "the leaf alone, no intermediates" };
        out.push(Finding::pass(Check::new("chain-order", Status::Pass, format!("the file holds {note}"))));
        return out;
    }
    if leaf != 0 {
        out.push(Finding::fail(
            Check::new(
                "chain-order",
                Status::Fail,
                format!(
                    "the chain is out of order: certificate 1 is `{}`, but the leaf `{}` is certificate {}; put the leaf first, then its issuer, then that one's issuer",
                    chain[0].short_name(),
                    chain[leaf].short_name(),
                    leaf + 1
                ),
            ),
            ErrorClass::ChainOrder,
        ));
    } else {
        let broken = (0..chain.len() - 1).find(|&i| chain[i].issuer_der != chain[i + 1].subject_der);
        out.push(match broken {
            None => Finding::pass(Check::new(
                "chain-order",
                Status::Pass,
                format!("{} certificates, leaf first, each issued by the next", chain.len()),
            )),
            Some(i) => Finding::fail(
                Check::new(
                    "chain-order",
                    Status::Fail,
                    format!(
                        "certificate {} (`{}`) was issued by `{}`, but the next certificate is `{}`: the file holds the wrong intermediate, or they are out of order",
                        i + 1,
                        chain[i].short_name(),
                        chain[i].issuer,
                        chain[i + 1].subject
                    ),
                ),
                ErrorClass::ChainBroken,
            ),
        });
    }
    for (i, cert) in chain.iter().enumerate().filter(|(i, _)| *i != leaf) {
        if cert.not_after_at <= now {
            out.push(Finding::fail(
                Check::new(
                    "chain-validity",
                    Status::Fail,
                    format!(
                        "certificate {} (`{}`) of the chain expired on {}",
                        i + 1,
                        cert.short_name(),
                        cert.not_after
                    ),
                ),
                ErrorClass::IntermediateExpired,
            ));
        } else if cert.not_before_at > now {
            out.push(Finding::fail(
                Check::new(
                    "chain-validity",
                    Status::Fail,
                    format!(
                        "certificate {} (`{}`) of the chain is valid only from {}",
                        i + 1,
                        cert.short_name(),
                        cert.not_before
                    ),
                ),
                ErrorClass::IntermediateNotYetValid,
            ));
        }
    }
    out
}

/// Verifies the chain (leaf first, the others as intermediates in any order)
/// to a root of `ca_bundle`.
pub fn verify(
    ders: &[CertificateDer<'static>],
    chain: &[CertFacts],
    leaf: usize,
    ca_bundle: &Path,
    now: OffsetDateTime,
) -> Finding {
    let roots = match crate::net::tls::parse_certs(ca_bundle) {
        Ok(r) => r,
        Err(e) => {
            let status = Status::Error;
            return Finding {
                check: Check::new("chain-trust", status, format!("{}: {e}", ca_bundle.display())),
                class: Some(ErrorClass::CaBundle),
            };
        }
    };
    let mut anchors = Vec::new();
    for (i, root) in roots.iter().enumerate() {
        match webpki::anchor_from_trusted_cert(root) {
            Ok(a) => anchors.push(a),
            Err(e) => {
                return Finding {
                    check: Check::new(
                        "chain-trust",
                        Status::Error,
                        format!(
                            "ca_bundle {}: certificate {} is not usable as a root: {}",
                            ca_bundle.display(),
                            i + 1,
                            crate::net::verifier::webpki(&e)
                        ),
                    ),
                    class: Some(ErrorClass::CaBundle),
                };
            }
        }
    }
    let intermediates: Vec<CertificateDer<'static>> =
        ders.iter().enumerate().filter(|(i, _)| *i != leaf).map(|(_, d)| d.clone()).collect();
    let end_entity = match EndEntityCert::try_from(&ders[leaf]) {
        Ok(ee) => ee,
        Err(e) => {
            let class = if e == webpki::Error::UnsupportedCertVersion {
                ErrorClass::CertVersion
            } else {
                ErrorClass::ChainInvalid
            };
            return Finding::fail(
                Check::new(
                    "chain-trust",
                    Status::Fail,
                    format!("the leaf cannot be verified: {}", crate::net::verifier::webpki(&e)),
                ),
                class,
            );
        }
    };
    let time = UnixTime::since_unix_epoch(std::time::Duration::from_secs(now.unix_timestamp().max(0) as u64));
    let algs = crate::net::tls::provider().signature_verification_algorithms.all;
    let run = |usage: KeyUsage| {
        end_entity.verify_for_usage(algs, &anchors, &intermediates, time, usage, None, None).map(|_| ())
    };
    // The clientAuth rule is the policy's to judge; here only the path counts.
    let result = match run(KeyUsage::client_auth()) {
        Err(webpki::Error::RequiredEkuNotFoundContext(_)) => run(KeyUsage::server_auth()),
        other => other,
    };
    let bundle = ca_bundle.display();
    match result {
        Ok(()) => {
            Finding::pass(Check::new("chain-trust", Status::Pass, format!("the chain verifies to a CA of {bundle}")))
        }
        Err(e) => {
            let (class, why) = describe(&e, chain, leaf, &roots, now);
            Finding::fail(
                Check::new(
                    "chain-trust",
                    Status::Fail,
                    format!("the chain does not verify to a CA of {bundle}: {why}"),
                ),
                class,
            )
        }
    }
}

/// A stable class and a sentence for a webpki error.
fn describe(
    e: &webpki::Error,
    chain: &[CertFacts],
    leaf: usize,
    roots: &[CertificateDer<'static>],
    now: OffsetDateTime,
) -> (ErrorClass, String) {
    let root_facts: Vec<CertFacts> = roots.iter().filter_map(|r| CertFacts::from_der_at(r, now).ok()).collect();
    let expired = |pick: &dyn Fn(&CertFacts) -> bool| -> Vec<String> {
        chain.iter().chain(&root_facts).filter(|c| pick(c)).map(|c| format!("`{}`", c.short_name())).collect()
    };
    match e {
        webpki::Error::UnknownIssuer => {
            let known = |name: &Vec<u8>| chain.iter().chain(&root_facts).any(|c| &c.subject_der == name);
            let missing = chain.iter().find(|c| !c.self_issued && !known(&c.issuer_der)).map(|c| c.issuer.clone());
            let why = match missing {
                Some(issuer) => format!(
                    "unknown issuer: neither the file nor the bundle holds `{issuer}`; add the missing intermediate to the certificate file, or check that the certificate comes from the CA this bundle trusts"
                ),
                None => {
                    "unknown issuer: no root of the bundle signed this chain (a CA of the same name but another key?)"
                        .to_string()
                }
            };
            (ErrorClass::UnknownIssuer, why)
        }
        webpki::Error::CertExpired { .. } => {
            let leaf_expired = chain[leaf].not_after_at <= now;
            let names = expired(&|c: &CertFacts| c.not_after_at <= now);
            let class = if leaf_expired { ErrorClass::CertExpired } else { ErrorClass::IntermediateExpired };
            (class, format!("expired: {}", names.join(", ")))
        }
        webpki::Error::CertNotValidYet { .. } => {
            let names = expired(&|c: &CertFacts| c.not_before_at > now);
            (ErrorClass::CertNotYetValid, format!("not valid yet: {}", names.join(", ")))
        }
        webpki::Error::InvalidSignatureForPublicKey | webpki::Error::SignatureAlgorithmMismatch => (
            ErrorClass::BadSignature,
            "a signature in the chain does not verify: an issuer with the right name but the wrong key".to_string(),
        ),
        webpki::Error::CaUsedAsEndEntity => {
            (ErrorClass::ChainInvalid, "the leaf is a CA certificate, not a client certificate".to_string())
        }
        webpki::Error::EndEntityUsedAsCa => {
            (ErrorClass::ChainInvalid, "an intermediate is not a CA certificate (basic constraints)".to_string())
        }
        webpki::Error::UnsupportedCertVersion => (ErrorClass::CertVersion, crate::net::verifier::webpki(e)),
        other => (ErrorClass::ChainInvalid, crate::net::verifier::webpki(other)),
    }
}
