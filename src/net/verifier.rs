//! Sentences for the certificate verifiers' errors (rustls-webpki and rustls),
//! so a report never shows an internal enum name such as
//! `UnsupportedCertVersion` or `Other(OtherError(..))`.
//!
//! Each sentence says what is wrong with the certificate in words an operator
//! can act on; the callers add whose certificate it is and the fix.

use rustls::{AlertDescription, CertificateError};
use rustls_pki_types::UnixTime;

/// A time of the verifier as RFC 3339.
fn at(t: &UnixTime) -> String {
    let secs = i64::try_from(t.as_secs()).unwrap_or(i64::MAX);
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| secs.to_string())
}

/// What a rustls-webpki error means, as a clause (no leading capital, no full stop).
#[allow(deprecated)]
pub fn webpki(e: &webpki::Error) -> String {
    use webpki::Error as E;
    match e {
        E::BadDer | E::TrailingData(_) => {
            "a certificate is not well-formed DER (corrupt, truncated or with bytes after its end)".into()
        }
        E::BadDerTime => "a certificate has a malformed validity date".into(),
        E::CaUsedAsEndEntity => "the leaf is a CA certificate, not an end-entity certificate".into(),
        E::CertDistrusted => "a certificate of the chain is explicitly distrusted".into(),
        E::CertExpired { not_after, .. } => format!("a certificate of the chain expired on {}", at(not_after)),
        E::CertNotValidForName(_) => "the certificate is not valid for the host name asked for".into(),
        E::CertNotValidYet { not_before, .. } => {
            format!("a certificate of the chain is valid only from {} (check this machine's clock)", at(not_before))
        }
        E::CertRevoked => "a certificate of the chain has been revoked by its CA".into(),
        E::UnknownRevocationStatus => "the revocation status of a certificate could not be established".into(),
        E::CrlExpired { .. } => "the certificate revocation list (CRL) has expired".into(),
        E::EmptyEkuExtension => "a certificate has an extended key usage extension that lists no usage".into(),
        E::EndEntityUsedAsCa => {
            "a certificate that issued another is not a CA certificate (its basic constraints say end entity)".into()
        }
        E::ExtensionValueInvalid => "a certificate extension has an invalid value".into(),
        E::InvalidCertValidity => "a certificate's validity period is invalid (it ends before it starts)".into(),
        E::InvalidCrlNumber => "the revocation list has an invalid CRL number".into(),
        E::InvalidNetworkMaskConstraint => "a CA's name constraint has an invalid IP network mask".into(),
        E::InvalidSerialNumber => {
            "a certificate's serial number is invalid (negative, zero or longer than 20 bytes)".into()
        }
        E::InvalidCrlSignatureForPublicKey => "the revocation list's signature does not verify".into(),
        E::InvalidSignatureForPublicKey => {
            "a signature in the chain does not verify with its issuer's public key (an issuer with the right name but another key)".into()
        }
        E::IssuerNotCrlSigner => "the revocation list was signed by a CA not allowed to sign CRLs".into(),
        E::MalformedDnsIdentifier => "a DNS name in a certificate is malformed".into(),
        E::MalformedExtensions => "a certificate's extensions are malformed (one appears twice, or cannot be read)".into(),
        E::MalformedNameConstraint => "a CA's name constraints are malformed".into(),
        E::MaximumNameConstraintComparisonsExceeded
        | E::MaximumPathBuildCallsExceeded
        | E::MaximumPathDepthExceeded
        | E::MaximumSignatureChecksExceeded => {
            "the chain is too long or too complex to verify (too many certificates or candidate issuers)".into()
        }
        E::NameConstraintViolation => "a name of the leaf is outside the name constraints of a CA above it".into(),
        E::PathLenConstraintViolated => {
            "the chain is longer than the path length constraint of a CA above it allows".into()
        }
        E::RequiredEkuNotFound | E::RequiredEkuNotFoundContext(_) => {
            "the certificate's extended key usage does not allow this use (clientAuth or serverAuth is missing)".into()
        }
        E::SignatureAlgorithmMismatch => {
            "a certificate names one signature algorithm inside and another outside its signed part".into()
        }
        E::UnknownIssuer => "no trusted root or intermediate issued it (unknown issuer)".into(),
        E::UnsupportedCertVersion => {
            "the certificate is X.509 version 1 (no extensions), and only version 3 is accepted: reissue it as v3 (with `openssl x509 -req`, pass `-extfile` with its extensions, e.g. subjectAltName and extendedKeyUsage)".into()
        }
        E::UnsupportedCriticalExtension => {
            "a certificate has an extension marked critical that the verifier does not know".into()
        }
        E::UnsupportedCrlIssuingDistributionPoint
        | E::UnsupportedCrlVersion
        | E::UnsupportedDeltaCrl
        | E::UnsupportedIndirectCrl
        | E::UnsupportedRevocationReason
        | E::UnsupportedRevocationReasonsPartitioning
        | E::UnsupportedCrlSignatureAlgorithm
        | E::UnsupportedCrlSignatureAlgorithmContext(_)
        | E::UnsupportedCrlSignatureAlgorithmForPublicKey
        | E::UnsupportedCrlSignatureAlgorithmForPublicKeyContext(_) => {
            "the certificate revocation list uses a feature the verifier does not support".into()
        }
        E::UnsupportedNameType => "a certificate uses a kind of name the verifier does not support".into(),
        E::UnsupportedSignatureAlgorithm | E::UnsupportedSignatureAlgorithmContext(_) => {
            "a certificate is signed with an algorithm that is not accepted (e.g. SHA-1, or an unusual curve)".into()
        }
        E::UnsupportedSignatureAlgorithmForPublicKey | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
            "a certificate's signature algorithm does not fit its issuer's key type".into()
        }
        _ => "the certificate verifier refused the chain for a reason golive has no sentence for yet".into(),
    }
}

/// What a rustls certificate error means, as a clause.
#[allow(deprecated)]
pub fn certificate(e: &CertificateError) -> String {
    use CertificateError as E;
    match e {
        E::BadEncoding => "the certificate is not well-formed DER (corrupt or truncated)".into(),
        E::Expired => "the certificate has expired".into(),
        E::ExpiredContext { not_after, .. } => format!("the certificate expired on {}", at(not_after)),
        E::NotValidYet => "the certificate is not valid yet (check this machine's clock)".into(),
        E::NotValidYetContext { not_before, .. } => {
            format!("the certificate is valid only from {} (check this machine's clock)", at(not_before))
        }
        E::Revoked => "the certificate has been revoked by its CA".into(),
        E::UnhandledCriticalExtension => {
            "the certificate has an extension marked critical that the verifier does not know".into()
        }
        E::UnknownIssuer => "the certificate's chain does not lead to a trusted root (unknown issuer)".into(),
        E::UnknownRevocationStatus => "the certificate's revocation status could not be established".into(),
        E::ExpiredRevocationList | E::ExpiredRevocationListContext { .. } => {
            "the certificate revocation list (CRL) has expired".into()
        }
        E::BadSignature => "a signature in the certificate's chain does not verify with its issuer's key".into(),
        E::UnsupportedSignatureAlgorithm | E::UnsupportedSignatureAlgorithmContext { .. } => {
            "the certificate is signed with an algorithm that is not accepted (e.g. SHA-1)".into()
        }
        E::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
            "the certificate's signature algorithm does not fit its issuer's key type".into()
        }
        E::NotValidForName => "the certificate is not valid for the host name asked for".into(),
        // rustls' own sentence names the expected and presented names.
        E::NotValidForNameContext { .. } => e.to_string(),
        E::InvalidPurpose | E::InvalidPurposeContext { .. } => {
            "the certificate's extended key usage does not allow this use (serverAuth or clientAuth is missing)".into()
        }
        E::InvalidOcspResponse => "the certificate's stapled OCSP response is invalid".into(),
        E::ApplicationVerificationFailure => "the certificate was refused by an application check".into(),
        E::Other(other) => match other.0.downcast_ref::<webpki::Error>() {
            Some(w) => webpki(w),
            None => format!("the certificate was refused: {other}"),
        },
        _ => "the certificate was refused for a reason golive has no sentence for yet".into(),
    }
}

/// A TLS alert by its RFC 8446 name, with what it means for a client certificate.
pub fn alert(a: &AlertDescription) -> String {
    let (name, meaning) = match a {
        AlertDescription::CertificateRequired => ("certificate_required", "it requires a client certificate"),
        AlertDescription::UnknownCA => ("unknown_ca", "it does not trust the issuer of the client certificate"),
        AlertDescription::BadCertificate => ("bad_certificate", "it rejected the client certificate"),
        AlertDescription::UnsupportedCertificate => {
            ("unsupported_certificate", "it does not accept this type of client certificate")
        }
        AlertDescription::CertificateUnknown => ("certificate_unknown", "it rejected the client certificate"),
        AlertDescription::CertificateExpired => ("certificate_expired", "the client certificate has expired"),
        AlertDescription::CertificateRevoked => ("certificate_revoked", "the client certificate was revoked"),
        AlertDescription::DecryptError => {
            ("decrypt_error", "a signature did not verify (often a client key that does not match its certificate)")
        }
        AlertDescription::HandshakeFailure => ("handshake_failure", "it found no acceptable parameters or refused us"),
        AlertDescription::ProtocolVersion => ("protocol_version", "it does not support our TLS versions"),
        AlertDescription::AccessDenied => ("access_denied", "it refused access"),
        AlertDescription::InternalError => ("internal_error", "it failed internally"),
        _ => ("", ""),
    };
    if name.is_empty() {
        // The wire name of any other alert, e.g. `illegal_parameter`.
        let debug = format!("{a:?}");
        return format!("the server sent the TLS alert `{}`", snake(&debug));
    }
    format!("the server sent the TLS alert `{name}`: {meaning}")
}

/// `IllegalParameter` → `illegal_parameter`, as RFC 8446 writes alert names.
fn snake(camel: &str) -> String {
    let mut out = String::new();
    for (i, c) in camel.char_indices() {
        if c.is_ascii_uppercase() {
            if i > 0 && !camel[..i].ends_with(|p: char| p.is_ascii_uppercase()) {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A rustls error as a sentence: certificate errors and alerts explained,
/// the rest as rustls words them.
pub fn rustls_error(e: &rustls::Error) -> String {
    match e {
        rustls::Error::InvalidCertificate(c) => format!("the server's certificate was refused: {}", certificate(c)),
        rustls::Error::AlertReceived(a) => alert(a),
        rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch) => {
            "the private key does not belong to the certificate".into()
        }
        rustls::Error::InconsistentKeys(_) => {
            "cannot tell whether the private key belongs to the certificate (its public key is unknown)".into()
        }
        rustls::Error::NoCertificatesPresented => "the server sent no certificate".into(),
        rustls::Error::InvalidMessage(_) => {
            "the other side sent something that is not TLS (a plain HTTP port, or a proxy?)".into()
        }
        rustls::Error::PeerIncompatible(_) => {
            "the server supports none of the TLS versions, cipher suites or signature schemes golive offers".into()
        }
        rustls::Error::PeerMisbehaved(_) => "the server broke the TLS protocol".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sentence must not be a Rust identifier such as `UnknownIssuer`.
    fn is_enum_name(text: &str) -> bool {
        text.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| {
            // An acronym and its plural (`CRLs`) are words; `UnknownIssuer` is not.
            let w = w.strip_suffix('s').unwrap_or(w);
            let acronym = w.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
            w.len() > 3
                && w.starts_with(|c: char| c.is_ascii_uppercase())
                && w.chars().skip(1).any(|c| c.is_ascii_uppercase())
                && !acronym
        })
    }

    #[test]
    #[allow(deprecated)]
    fn every_webpki_error_is_a_sentence() {
        use webpki::Error as E;
        let t = UnixTime::since_unix_epoch(std::time::Duration::from_secs(1_700_000_000));
        let all = [
            E::BadDer,
            E::BadDerTime,
            E::CaUsedAsEndEntity,
            E::CertDistrusted,
            E::CertExpired { time: t, not_after: t },
            E::CertNotValidYet { time: t, not_before: t },
            E::CertRevoked,
            E::CrlExpired { time: t, next_update: t },
            E::EmptyEkuExtension,
            E::EndEntityUsedAsCa,
            E::ExtensionValueInvalid,
            E::InvalidCertValidity,
            E::InvalidCrlNumber,
            E::InvalidNetworkMaskConstraint,
            E::InvalidSerialNumber,
            E::InvalidCrlSignatureForPublicKey,
            E::InvalidSignatureForPublicKey,
            E::IssuerNotCrlSigner,
            E::MalformedDnsIdentifier,
            E::MalformedExtensions,
            E::MalformedNameConstraint,
            E::MaximumNameConstraintComparisonsExceeded,
            E::MaximumPathBuildCallsExceeded,
            E::MaximumPathDepthExceeded,
            E::MaximumSignatureChecksExceeded,
            E::NameConstraintViolation,
            E::PathLenConstraintViolated,
            E::RequiredEkuNotFound,
            E::SignatureAlgorithmMismatch,
            E::UnknownIssuer,
            E::UnknownRevocationStatus,
            E::UnsupportedCertVersion,
            E::UnsupportedCriticalExtension,
            E::UnsupportedCrlIssuingDistributionPoint,
            E::UnsupportedCrlVersion,
            E::UnsupportedDeltaCrl,
            E::UnsupportedIndirectCrl,
            E::UnsupportedNameType,
            E::UnsupportedRevocationReason,
            E::UnsupportedRevocationReasonsPartitioning,
            E::UnsupportedCrlSignatureAlgorithm,
            E::UnsupportedSignatureAlgorithm,
            E::UnsupportedCrlSignatureAlgorithmForPublicKey,
            E::UnsupportedSignatureAlgorithmForPublicKey,
        ];
        for e in &all {
            let text = webpki(e);
            assert!(!text.contains(&format!("{e:?}")) && !is_enum_name(&text), "{e:?}: {text}");
            assert!(!text.contains("no sentence"), "{e:?} falls through: {text}");
        }
        assert!(webpki(&E::UnsupportedCertVersion).contains("version 1"));
    }

    #[test]
    #[allow(deprecated)]
    fn every_rustls_certificate_error_is_a_sentence() {
        use CertificateError as E;
        let t = UnixTime::since_unix_epoch(std::time::Duration::from_secs(1_700_000_000));
        let v1 = rustls::OtherError(std::sync::Arc::new(webpki::Error::UnsupportedCertVersion));
        let all = [
            E::BadEncoding,
            E::Expired,
            E::ExpiredContext { time: t, not_after: t },
            E::NotValidYet,
            E::NotValidYetContext { time: t, not_before: t },
            E::Revoked,
            E::UnhandledCriticalExtension,
            E::UnknownIssuer,
            E::UnknownRevocationStatus,
            E::ExpiredRevocationList,
            E::BadSignature,
            E::UnsupportedSignatureAlgorithm,
            E::NotValidForName,
            E::InvalidPurpose,
            E::InvalidOcspResponse,
            E::ApplicationVerificationFailure,
            E::Other(v1),
        ];
        for e in &all {
            let text = rustls_error(&rustls::Error::InvalidCertificate(e.clone()));
            assert!(!is_enum_name(&text) && !text.contains("no sentence"), "{e:?}: {text}");
        }
        let text =
            certificate(&E::Other(rustls::OtherError(std::sync::Arc::new(webpki::Error::UnsupportedCertVersion))));
        assert!(text.contains("X.509 version 1"), "{text}");
    }

    #[test]
    fn alerts_use_their_rfc_names() {
        assert!(alert(&AlertDescription::CertificateRequired).contains("`certificate_required`"));
        assert!(alert(&AlertDescription::IllegalParameter).contains("`illegal_parameter`"));
        assert!(alert(&AlertDescription::UnknownCA).contains("`unknown_ca`"));
    }
}
