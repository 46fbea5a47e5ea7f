//! Error classes: the stable name of every way a probe can fail, which pack
//! diagnoses match on (`when = { error_class = "unknown-ca" }`).
//!
//! The list is written once, in `classes!`: each class's wire string (what
//! packs write and README.md's "Error classes" table lists), the older
//! spellings still accepted, and its meaning.

use serde::{Deserialize, Serialize};

/// Declares [`ErrorClass`] from one table: variant, wire string, accepted old
/// spellings, meaning (also the variant's doc).
macro_rules! classes {
    ($($variant:ident = $wire:literal $(| $alias:literal)* => $meaning:literal,)*) => {
        /// A stable class of failure, for pack diagnoses and reports. Written in
        /// kebab-case (`handshake-failure`); [`ErrorClass::ALL`] lists them.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
        #[serde(rename_all = "kebab-case")]
        pub enum ErrorClass {
            $(
                #[doc = $meaning]
                #[serde(rename = $wire $(, alias = $alias)*)]
                $variant,
            )*
        }

        impl ErrorClass {
            /// Every class, in the order README.md's table lists them.
            pub const ALL: &'static [ErrorClass] = &[$(ErrorClass::$variant),*];

            /// The class as packs and reports write it, e.g. `handshake-failure`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorClass::$variant => $wire,)*
                }
            }

            /// Older spellings a pack may still write for this class.
            pub fn aliases(self) -> &'static [&'static str] {
                match self {
                    $(ErrorClass::$variant => &[$($alias),*],)*
                }
            }

            /// What the class means, one sentence.
            pub fn meaning(self) -> &'static str {
                match self {
                    $(ErrorClass::$variant => $meaning,)*
                }
            }
        }
    };
}

classes! {
    // The network and HTTP.
    Timeout = "timeout" => "No answer before the deadline (the request's, or the probe's own when the runner stopped it).",
    ConnectionRefused = "connection-refused" => "Nothing accepted the TCP connection (no server listening on that port).",
    Connect = "connect" => "The TCP connection failed otherwise (unreachable network, reset before any answer).",
    Dns = "dns" => "The host name did not resolve, or the lookup failed without a more precise class.",
    Body = "body" => "The answer's body could not be read or decoded.",
    Request = "request" => "The request could not be sent as built (invalid URL, header or body).",
    Http = "http" => "Any other HTTP client failure.",
    ClientSetup = "client-setup" => "golive could not build its HTTP or TLS client (client certificate, key or CA bundle unusable).",
    // DNS answers (fcrdns).
    DnsNxdomain = "dns-nxdomain" => "The name does not exist (NXDOMAIN).",
    DnsNodata = "dns-nodata" => "The name exists but has no record of the type asked (NODATA).",
    DnsServfail = "dns-servfail" => "The DNS server failed to answer (SERVFAIL: often a broken delegation or DNSSEC failure).",
    DnsRefused = "dns-refused" => "The DNS server refused to answer (REFUSED).",
    DnsTimeout = "dns-timeout" => "The DNS server gave no answer before the deadline.",
    // TLS: what the server said about our client certificate.
    CertificateRequired = "certificate-required" => "The server requires a client certificate and got none.",
    UnknownCa = "unknown-ca" => "The server does not trust the issuer of the client certificate.",
    BadCertificate = "bad-certificate" => "The server rejected the client certificate (bad signature, wrong key, wrong usage).",
    HandshakeFailure = "handshake-failure" => "The server aborted the TLS handshake without a more precise reason.",
    ConnectionClosed = "connection-closed" => "The server closed or reset the connection during the handshake without a TLS alert (a firewall or allowlist in front of it).",
    ClientCertHttp400 = "client-cert-http-400" => "The handshake finished but the server answered HTTP 400 about the client certificate (nginx's way to refuse one).",
    // TLS: what we found wrong with the server.
    ServerUntrusted = "server-untrusted" => "golive does not trust the server's certificate.",
    HostnameMismatch = "hostname-mismatch" => "The server's certificate is not valid for the host name.",
    ServerCertExpired = "server-cert-expired" => "The server's certificate has expired or is not yet valid (the partner's certificate, not ours).",
    NotTls = "not-tls" => "Whatever answered does not speak TLS.",
    Tls = "tls" => "Any other TLS failure.",
    // An answer the pack judged (http, apikey, webhook).
    HttpStatus = "http-status" => "The answer's HTTP status is not the one expected.",
    Assertion = "assertion" => "The answer does not hold what the pack asserts (a JSONPath, header or body value, a capture, a polled state).",
    ForgeryAccepted = "forgery-accepted" => "The webhook endpoint accepted a delivery it must refuse (wrong secret, tampered body, missing or malformed signature, stale or future timestamp).",
    // The client certificate and key files (cert, mtls).
    CertNotConfigured = "cert-not-configured" => "The environment names no client certificate.",
    KeyNotConfigured = "key-not-configured" => "The environment names no client key, so the key cannot be checked against the certificate.",
    CertUnreadable = "cert-unreadable" => "The certificate file cannot be read.",
    CertInvalid = "cert-invalid" => "The certificate file holds no valid PEM certificate.",
    CertVersion = "cert-version" => "The certificate is X.509 version 1 (no extensions), which TLS stacks refuse.",
    KeyUnreadable = "key-unreadable" => "The private key file cannot be read or parsed.",
    KeyMismatch = "key-mismatch" => "The private key does not belong to the certificate (wrong cert/key pair).",
    CertExpired = "cert-expired" | "certificate-expired" => "The client certificate has expired: found in the file, or said by the server's TLS alert.",
    CertNotYetValid = "cert-not-yet-valid" => "The client certificate is not valid yet.",
    CertExpiring = "cert-expiring" => "The client certificate expires within the pack's warning or failure period.",
    ChainOrder = "chain-order" => "The certificate file's chain is out of order.",
    ChainBroken = "chain-broken" => "A certificate of the chain was not issued by the next one.",
    UnknownIssuer = "unknown-issuer" => "The chain does not lead to a CA of the CA bundle.",
    IntermediateExpired = "intermediate-expired" => "An intermediate certificate of the chain has expired.",
    IntermediateNotYetValid = "intermediate-not-yet-valid" => "An intermediate certificate of the chain is not valid yet.",
    BadSignature = "bad-signature" => "A signature in the chain does not verify.",
    ChainInvalid = "chain-invalid" => "The chain is invalid otherwise (a CA as leaf, an intermediate that is no CA, ...).",
    CaBundle = "ca-bundle" => "The CA bundle cannot be read or holds no usable CA.",
    KeyType = "key-type" => "The key is not of the type the pack requires (e.g. RSA).",
    KeyTooSmall = "key-too-small" => "The key is smaller than the pack's minimum size.",
    WildcardSan = "wildcard-san" => "The certificate has a wildcard name and the pack forbids them.",
    NameMissing = "name-missing" => "The certificate lacks a name the pack requires.",
    ClientAuthMissing = "client-auth-missing" => "The certificate is not valid for TLS client authentication (no clientAuth usage).",
    // The exposure scan.
    SecretInSourceControl = "secret-in-source-control" => "A configured secret or partner key is in the repository's history or working tree.",
    PrivateKeyInSourceControl = "private-key-in-source-control" => "A PEM private key block is in the repository's history or working tree.",
    SecretInFrontEnd = "secret-in-front-end" => "A secret, private key or API key literal is in a built bundle or a live page.",
    CardDataInLogs = "card-data-in-logs" => "A card number not masked, or a CVV value, is in a log.",
    SecretInLogs = "secret-in-logs" => "A configured secret or private key is in a log.",
    GitUnavailable = "git-unavailable" => "git is not installed or could not run, so the repository was not scanned.",
    GitFailed = "git-failed" => "git refused to read the repository (not a repository, a broken object).",
    ShallowHistory = "shallow-history" => "The repository is a shallow or partial clone: the history it lacks was not scanned.",
    PageUnreachable = "page-unreachable" => "A page the exposure scan reads could not be fetched.",
    ExposureNotConfigured = "exposure-not-configured" => "The environment sets no `exposure` sources, so nothing was scanned.",
    // Probe setup and the runner.
    NotConfigured = "not-configured" => "The environment lacks what the probe needs (e.g. a webhook URL or secret).",
    Input = "input" => "An input the probe reads (a file, a name) is missing or unusable.",
    Panic = "panic" => "The probe crashed (a bug in golive); other probes were not affected.",
}

impl std::fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error class golive does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown error class `{0}`")]
pub struct UnknownErrorClass(pub String);

impl std::str::FromStr for ErrorClass {
    type Err = UnknownErrorClass;

    /// The class with this wire string or old spelling.
    fn from_str(s: &str) -> Result<ErrorClass, UnknownErrorClass> {
        ErrorClass::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s || c.aliases().contains(&s))
            .ok_or_else(|| UnknownErrorClass(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_round_trips_through_serde_and_text() {
        for &class in ErrorClass::ALL {
            let json = serde_json::to_string(&class).unwrap();
            assert_eq!(json, format!("\"{}\"", class.as_str()), "serde and as_str agree");
            assert_eq!(serde_json::from_str::<ErrorClass>(&json).unwrap(), class);
            assert_eq!(class.to_string().parse::<ErrorClass>(), Ok(class));
            for alias in class.aliases() {
                assert_eq!(alias.parse::<ErrorClass>(), Ok(class));
                assert_eq!(serde_json::from_str::<ErrorClass>(&format!("\"{alias}\"")).unwrap(), class);
            }
        }
    }

    #[test]
    fn wire_strings_are_unique_kebab_case() {
        let mut seen = std::collections::BTreeSet::new();
        for &class in ErrorClass::ALL {
            for s in std::iter::once(class.as_str()).chain(class.aliases().iter().copied()) {
                assert!(seen.insert(s), "{s} named twice");
                assert!(s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'), "{s}");
            }
        }
    }

    #[test]
    fn an_unknown_class_is_an_error() {
        assert_eq!("handshake-failur".parse::<ErrorClass>(), Err(UnknownErrorClass("handshake-failur".into())));
    }

    #[test]
    fn the_readme_table_lists_every_class() {
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md");
        let section = readme.split("\n## Error classes\n").nth(1).expect("README.md has a section \"Error classes\"");
        let section = section.split("\n## ").next().unwrap_or_default();
        let missing: Vec<&str> = ErrorClass::ALL
            .iter()
            .map(|c| c.as_str())
            .filter(|s| !section.contains(&format!("\n| `{s}` | ")))
            .collect();
        assert!(missing.is_empty(), "README.md's \"Error classes\" table lacks {missing:?}");
        let rows = section.lines().filter(|l| l.starts_with("| `")).count();
        assert_eq!(rows, ErrorClass::ALL.len(), "one row per class, no row for a class that is gone");
    }
}
