//! The certificate's names as FCrDNS sees them, and how a PTR name is matched
//! against them.
//!
//! Names come from the CN when it is a DNS name (a CN such as "Example
//! Merchant Ltd" is not) and from the dNSName SANs; iPAddress SANs are kept
//! as addresses. Matching ignores letter case and a trailing dot; a wildcard
//! SAN never matches and is named as the reason.

use std::fmt;
use std::net::IpAddr;
use std::path::Path;

use x509_parser::extensions::GeneralName;

/// One name of the certificate (or of the probe's `names`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertName {
    /// An exact DNS name, lower case, without the trailing dot.
    Dns(String),
    /// A wildcard such as `*.example.com`, lower case.
    Wildcard(String),
    /// An address (an iPAddress SAN, or a name that is an address literal).
    Ip(IpAddr),
}

impl fmt::Display for CertName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CertName::Dns(n) | CertName::Wildcard(n) => f.write_str(n),
            CertName::Ip(ip) => write!(f, "{ip}"),
        }
    }
}

/// A name without its trailing dot, lower case: the form names are compared in.
pub fn normalize(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// An address as FCrDNS compares it: `::ffff:a.b.c.d` is the IPv4 address.
pub fn normalize_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// Classifies a name: an address, a wildcard or a DNS name; `None` when it is
/// none of these (e.g. "Example Merchant Ltd").
pub fn parse(text: &str) -> Option<CertName> {
    let text = text.trim();
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(CertName::Ip(normalize_ip(ip)));
    }
    let name = normalize(text);
    if let Some(rest) = name.strip_prefix("*.") {
        return is_dns_name(rest).then(|| CertName::Wildcard(name.clone()));
    }
    is_dns_name(&name).then_some(CertName::Dns(name))
}

/// A host name of at least two labels of letters, digits, `-` and `_`.
fn is_dns_name(name: &str) -> bool {
    let labels: Vec<&str> = name.split('.').collect();
    name.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// The names of the leaf certificate in a PEM file: the CN when it is a DNS
/// name, the dNSName SANs and the iPAddress SANs, without duplicates.
pub fn from_cert(path: &Path) -> Result<Vec<CertName>, String> {
    let certs = crate::net::tls::load_certs(path)?;
    let Some(leaf) = certs.first() else {
        return Err(format!("certificate file {} holds no certificate", path.display()));
    };
    let (_, cert) = x509_parser::parse_x509_certificate(leaf.as_ref())
        .map_err(|e| format!("certificate file {}: the first certificate cannot be parsed: {e}", path.display()))?;
    let mut names = Vec::new();
    for cn in cert.subject().iter_common_name() {
        if let Some(name) = cn.as_str().ok().and_then(parse) {
            names.push(name);
        }
    }
    let san = cert
        .subject_alternative_name()
        .map_err(|e| format!("certificate file {}: the subjectAltName extension is invalid: {e}", path.display()))?;
    for general in san.iter().flat_map(|s| s.value.general_names.iter()) {
        let name = match general {
            GeneralName::DNSName(dns) => parse(dns),
            GeneralName::IPAddress(bytes) => ip_from_bytes(bytes).map(|ip| CertName::Ip(normalize_ip(ip))),
            _ => None,
        };
        names.extend(name);
    }
    let mut unique: Vec<CertName> = Vec::with_capacity(names.len());
    for n in names {
        if !unique.contains(&n) {
            unique.push(n);
        }
    }
    Ok(unique)
}

fn ip_from_bytes(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from),
        _ => None,
    }
}

/// How a PTR name relates to the certificate's names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    /// It is one of the certificate's DNS names.
    Exact,
    /// It is an address literal equal to an iPAddress SAN (compared as addresses).
    Address(IpAddr),
    /// Only a wildcard SAN would cover it, and a wildcard never proves FCrDNS.
    WildcardOnly(String),
    /// It is not in the certificate.
    No,
}

impl Match {
    /// Whether the PTR name counts as a certificate name.
    pub fn in_cert(&self) -> bool {
        match self {
            Match::Exact | Match::Address(_) => true,
            Match::WildcardOnly(_) | Match::No => false,
        }
    }
}

/// Matches a PTR name against the certificate's names.
pub fn match_ptr(ptr: &str, names: &[CertName]) -> Match {
    let ptr = normalize(ptr);
    if let Ok(ip) = ptr.parse::<IpAddr>() {
        let ip = normalize_ip(ip);
        return if names.contains(&CertName::Ip(ip)) { Match::Address(ip) } else { Match::No };
    }
    if names.iter().any(|n| matches!(n, CertName::Dns(d) if *d == ptr)) {
        return Match::Exact;
    }
    let wildcard = names.iter().find_map(|n| match n {
        CertName::Wildcard(w) => {
            let suffix = &w[1..];
            let covered = ptr.strip_suffix(suffix).is_some_and(|label| !label.is_empty() && !label.contains('.'));
            covered.then(|| w.clone())
        }
        CertName::Dns(_) | CertName::Ip(_) => None,
    });
    wildcard.map_or(Match::No, Match::WildcardOnly)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_company_name_is_not_a_dns_name() {
        assert_eq!(parse("Example Merchant Ltd"), None);
        assert_eq!(parse("API.Example.com."), Some(CertName::Dns("api.example.com".into())));
        assert_eq!(parse("*.example.com"), Some(CertName::Wildcard("*.example.com".into())));
        assert_eq!(parse("::ffff:203.0.113.1"), Some(CertName::Ip("203.0.113.1".parse().unwrap())));
    }

    #[test]
    fn ptr_matching_ignores_case_and_trailing_dot_and_names_wildcards() {
        let names = vec![CertName::Dns("api.example.com".into()), CertName::Wildcard("*.example.net".into())];
        assert_eq!(match_ptr("API.example.COM.", &names), Match::Exact);
        assert_eq!(match_ptr("a.example.net.", &names), Match::WildcardOnly("*.example.net".into()));
        assert_eq!(match_ptr("a.b.example.net.", &names), Match::No);
        assert_eq!(match_ptr("other.example.com.", &names), Match::No);
    }
}
