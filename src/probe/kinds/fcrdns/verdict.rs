//! Verdicts of FCrDNS: one check per calling IP and per certificate name,
//! each saying what was asked and answered, and a partner-neutral diagnosis
//! naming the broken link and the fix.
//!
//! NXDOMAIN and NODATA are answers (the record is absent: `fail`); SERVFAIL,
//! REFUSED, a timeout or a network error give no verdict (`error`).

use std::net::IpAddr;

use super::lookup::{IpLookup, NameLookup, PtrName, answer_text};
use super::names::{CertName, Match};
use crate::net::dns::{DnsFailure, Family};
use crate::report::{Check, Status};
use crate::spec::{Diagnosis, ErrorClass};

/// A check and, when it did not pass, its diagnosis and error class.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// The check for the report.
    pub check: Check,
    /// Cause and fix, when the check did not pass.
    pub diagnosis: Option<Diagnosis>,
    /// The DNS error class, for `error` verdicts.
    pub class: Option<ErrorClass>,
}

fn verdict(name: String, status: Status, message: String, diagnosis: Option<Diagnosis>) -> Verdict {
    Verdict { check: Check::new(name, status, message), diagnosis, class: None }
}

fn diag(cause: String, fix: String) -> Option<Diagnosis> {
    Some(Diagnosis { cause, fix })
}

/// The port(s) the nameservers are asked on, from `servers` as the resolver
/// lists them (`127.0.0.1:5353, [2001:db8::53]:53`); 53 for the system resolver.
fn dns_ports(servers: &str) -> String {
    let mut ports: Vec<u16> = Vec::new();
    for server in servers.split(", ") {
        if let Ok(addr) = server.trim().parse::<std::net::SocketAddr>()
            && !ports.contains(&addr.port())
        {
            ports.push(addr.port());
        }
    }
    if ports.is_empty() {
        ports.push(53);
    }
    ports.iter().map(ToString::to_string).collect::<Vec<_>>().join(" and ")
}

/// What to do when a lookup got no usable answer.
fn no_verdict_fix(failure: &DnsFailure, servers: &str) -> String {
    match failure {
        DnsFailure::Timeout => format!(
            "check that {servers} answers from here (UDP and TCP port {}), or raise the probe's timeout; the records themselves are unknown",
            dns_ports(servers)
        ),
        DnsFailure::ServFail => {
            "the servers of that zone failed to answer (broken delegation or DNSSEC): ask its DNS operator to check it, then run again".into()
        }
        DnsFailure::Refused => format!(
            "{servers} refused the query: set `nameservers` to a resolver that answers for this zone, or ask the zone's operator"
        ),
        DnsFailure::NxDomain | DnsFailure::NoData | DnsFailure::Other(_) => {
            format!("check the `nameservers` setting ({servers}) and the network path to it, then run again")
        }
    }
}

/// The verdict for one calling IP. `suggest` is the certificate name its PTR
/// should point to; `max_ptr` the bound on PTR names considered.
pub fn ip_verdict(l: &IpLookup, cert: &[CertName], suggest: &str, max_ptr: usize, servers: &str) -> Verdict {
    let ip = l.ip;
    let rtype = Family::of(ip).rtype();
    let check_name = format!("ip {ip}");
    let mut asked = vec![format!("PTR {} → {}", l.reverse, answer_text(&l.ptr))];
    asked.extend(l.names.iter().map(|n| format!("{rtype} {} → {}", n.name, answer_text(&n.forward))));
    let asked = format!("{ip}: {}", asked.join("; "));
    let set_ptr = format!(
        "ask the owner of the address block — usually your cloud provider, by support ticket for an elastic/static IP — to set PTR {ip} → {suggest}"
    );
    let names = match &l.ptr {
        Err(f) if !f.is_answer() => {
            let mut v = verdict(
                check_name,
                Status::Error,
                format!("{asked}: no verdict, the PTR lookup got {}", f.got()),
                diag(
                    format!("the PTR lookup for {ip} ({}) got {} from {servers}: no verdict", l.reverse, f.got()),
                    no_verdict_fix(f, servers),
                ),
            );
            v.class = Some(f.class());
            return v;
        }
        Err(f) => {
            let cause = format!("no PTR for {ip} ({} for {})", f.label(), l.reverse);
            return verdict(check_name, Status::Fail, format!("{asked}: no PTR record"), diag(cause, set_ptr));
        }
        Ok(names) if names.is_empty() => {
            let cause = format!("no PTR for {ip} ({} has no PTR record)", l.reverse);
            return verdict(check_name, Status::Fail, format!("{asked}: no PTR record"), diag(cause, set_ptr));
        }
        Ok(names) => names,
    };
    let good: Vec<&PtrName> = l.names.iter().filter(|n| n.in_cert.in_cert() && n.confirms(ip)).collect();
    let unknown: Vec<&PtrName> =
        l.names.iter().filter(|n| n.in_cert.in_cert() && n.forward.as_ref().is_err_and(|f| !f.is_answer())).collect();
    let others: Vec<&PtrName> = l.names.iter().filter(|n| !(n.in_cert.in_cert() && n.confirms(ip))).collect();
    let unchecked = names.len().saturating_sub(max_ptr);
    let list = |v: &[&PtrName]| v.iter().map(|n| n.name.as_str()).collect::<Vec<_>>().join(", ");
    let reasons = |v: &[&PtrName]| v.iter().map(|n| reason(n, ip, cert)).collect::<Vec<_>>().join("; ");

    if !good.is_empty() && others.is_empty() && unchecked == 0 {
        let conclusion = if good.len() == 1 {
            format!("consistent: {} is in the certificate and resolves back to {ip}", good[0].name)
        } else {
            format!(
                "consistent: all {} PTR names ({}) are in the certificate and resolve back to {ip} (note: one PTR name is usual)",
                good.len(),
                list(&good)
            )
        };
        return verdict(check_name, Status::Pass, format!("{asked}: {conclusion}"), None);
    }
    if !good.is_empty() {
        let mut problems = Vec::new();
        if !others.is_empty() {
            problems.push(format!("the other PTR names do not: {}", reasons(&others)));
        }
        if unchecked > 0 {
            let s = if unchecked == 1 { "" } else { "s" };
            problems.push(format!("{unchecked} more PTR name{s} not checked (max_ptr is {max_ptr})"));
        }
        let problems = problems.join("; ");
        return verdict(
            check_name,
            Status::Warn,
            format!("{asked}: {} proves FCrDNS, but {problems}", list(&good)),
            diag(
                format!("{ip} has {} PTR names and only {} proves FCrDNS; {problems}", names.len(), list(&good)),
                format!(
                    "ask the owner of the address block to remove the other PTR records of {ip}, so that every PTR name is {}",
                    good[0].name
                ),
            ),
        );
    }
    if let Some(first) = unknown.first() {
        let failure = match &first.forward {
            Err(f) => f.clone(),
            Ok(_) => DnsFailure::Other("unknown".into()),
        };
        let mut v = verdict(
            check_name,
            Status::Error,
            format!("{asked}: no verdict, {rtype} {} got {}", first.name, failure.got()),
            diag(
                format!(
                    "PTR {ip} → {} is in the certificate, but its {rtype} lookup got {} from {servers}: no verdict",
                    first.name,
                    failure.got()
                ),
                no_verdict_fix(&failure, servers),
            ),
        );
        v.class = Some(failure.class());
        return v;
    }
    let Some(first) = others.first() else {
        return verdict(check_name, Status::Error, format!("{asked}: no PTR name was checked"), None);
    };
    let (cause, fix) = broken_link(first, ip, cert, suggest, &set_ptr);
    verdict(check_name, Status::Fail, format!("{asked}: {}", reasons(&others)), diag(cause, fix))
}

/// Why a PTR name does not prove FCrDNS for `ip`, in one clause.
fn reason(n: &PtrName, ip: IpAddr, cert: &[CertName]) -> String {
    let rtype = Family::of(ip).rtype();
    match (&n.in_cert, &n.forward) {
        (Match::WildcardOnly(w), _) => {
            format!("{} is covered only by the wildcard SAN {w}, and a wildcard never matches", n.name)
        }
        (Match::No, _) => format!("{} is not a name in the certificate ({})", n.name, cert_list(cert)),
        (Match::Exact | Match::Address(_), Ok(addrs)) if !addrs.contains(&ip) => {
            format!("{} is in the certificate, but its {rtype} records do not include {ip}", n.name)
        }
        (Match::Exact | Match::Address(_), Ok(_)) => format!("{} proves FCrDNS", n.name),
        (Match::Exact | Match::Address(_), Err(f)) if f.is_answer() => {
            format!("{} is in the certificate, but has no {rtype} record ({})", n.name, f.label())
        }
        (Match::Exact | Match::Address(_), Err(f)) => {
            format!("{} is in the certificate, but its {rtype} lookup got no answer ({}): unknown", n.name, f.label())
        }
    }
}

/// The cause and fix of the first broken link of a PTR name.
fn broken_link(n: &PtrName, ip: IpAddr, cert: &[CertName], suggest: &str, set_ptr: &str) -> (String, String) {
    let rtype = Family::of(ip).rtype();
    match (&n.in_cert, &n.forward) {
        (Match::WildcardOnly(w), _) => (
            format!(
                "PTR {ip} → {}, which the certificate covers only with the wildcard SAN {w}; a wildcard never proves FCrDNS",
                n.name
            ),
            format!(
                "add {} as an exact dNSName SAN (a new CSR and certificate), or have the PTR point to a name the certificate lists exactly ({suggest})",
                n.name.trim_end_matches('.')
            ),
        ),
        (Match::No, _) => (
            format!("PTR {ip} → {}, which is not a name in the certificate ({})", n.name, cert_list(cert)),
            set_ptr.to_string(),
        ),
        (Match::Exact | Match::Address(_), Ok(_)) => (
            format!(
                "PTR {ip} → {} is in the certificate, but {rtype} {} → {}, not {ip} (forward and reverse DNS disagree)",
                n.name,
                n.name,
                answer_text(&n.forward)
            ),
            format!(
                "add {ip} to the {rtype} records of {} in its DNS zone (or correct calling_ips if {ip} is no longer your egress address)",
                n.name.trim_end_matches('.')
            ),
        ),
        (Match::Exact | Match::Address(_), Err(f)) => (
            format!("PTR {ip} → {} is in the certificate, but {rtype} {} → {}", n.name, n.name, f.label()),
            format!("create the record {} {rtype} {ip} in its DNS zone", n.name.trim_end_matches('.')),
        ),
    }
}

fn cert_list(cert: &[CertName]) -> String {
    if cert.is_empty() {
        return "it names no domain".into();
    }
    short_list(cert)
}

/// How many items a message lists before "and N more": a check names one IP
/// or name, and a list of a thousand in each of a thousand checks helps no one.
const LISTED: usize = 10;

/// The first [`LISTED`] items, comma-separated, then how many were left out.
fn short_list<T: ToString>(items: &[T]) -> String {
    let mut text = items.iter().take(LISTED).map(ToString::to_string).collect::<Vec<_>>().join(", ");
    if items.len() > LISTED {
        text.push_str(&format!(" and {} more", items.len() - LISTED));
    }
    text
}

/// The verdict for one certificate name: its A/AAAA records must include at
/// least one calling IP.
pub fn name_verdict(l: &NameLookup, calling: &[IpAddr], servers: &str) -> Verdict {
    let name = l.name.to_string();
    let check_name = format!("name {name}");
    let calling_text = || short_list(calling);
    match &l.name {
        CertName::Wildcard(w) => {
            return verdict(
                check_name,
                Status::Warn,
                format!("{w} is a wildcard: it cannot be resolved and never matches a PTR name"),
                diag(
                    format!("the certificate name {w} is a wildcard, which FCrDNS cannot use"),
                    "list the exact host names that send requests as dNSName SANs".into(),
                ),
            );
        }
        CertName::Ip(ip) if calling.contains(ip) => {
            let message = format!("IP SAN {ip} is a calling IP (compared as addresses, not resolved)");
            return verdict(check_name, Status::Pass, message, None);
        }
        CertName::Ip(ip) => {
            return verdict(
                check_name,
                Status::Warn,
                format!("IP SAN {ip} is none of the calling IPs ({}) (compared as addresses)", calling_text()),
                diag(
                    format!("the certificate's IP SAN {ip} is not a calling IP"),
                    "check calling_ips, or request a certificate without this IP SAN".into(),
                ),
            );
        }
        CertName::Dns(_) => {}
    }
    let asked = l.answers.iter().map(|(f, a)| format!("{} {name} → {}", f.rtype(), answer_text(a))).collect::<Vec<_>>();
    let asked = asked.join("; ");
    let seen: Vec<IpAddr> = l.answers.iter().filter_map(|(_, a)| a.as_ref().ok()).flatten().copied().collect();
    let hits: Vec<String> = seen.iter().filter(|ip| calling.contains(ip)).map(ToString::to_string).collect();
    if !hits.is_empty() {
        return verdict(check_name, Status::Pass, format!("{asked}: includes calling IP {}", hits.join(", ")), None);
    }
    if let Some(f) = l.answers.iter().find_map(|(_, a)| a.as_ref().err().filter(|f| !f.is_answer())) {
        let mut v = verdict(
            check_name,
            Status::Error,
            format!("{asked}: no verdict ({})", f.label()),
            diag(
                format!("the lookup of {name} got {} from {servers}: no verdict", f.got()),
                no_verdict_fix(f, servers),
            ),
        );
        v.class = Some(f.class());
        return v;
    }
    let first_v4 = calling.iter().find(|ip| ip.is_ipv4()).or(calling.first());
    let example = first_v4.map_or_else(String::new, |ip| format!(" (e.g. {name} {} {ip})", Family::of(*ip).rtype()));
    let (conclusion, cause) = if seen.is_empty() {
        let labels = l.answers.iter().map(|(_, a)| answer_text(a)).collect::<Vec<_>>();
        let what = if labels.iter().all(|t| t == "NXDOMAIN") { "does not exist" } else { "has no A or AAAA record" };
        (format!("{name} {what}"), format!("the certificate name {name} {what} in DNS"))
    } else {
        let (seen_text, calling_text) = (short_list(&seen), calling_text());
        (
            format!("points elsewhere: none of the calling IPs ({calling_text})"),
            format!("the certificate name {name} resolves to {seen_text}, not to a calling IP ({calling_text})"),
        )
    };
    verdict(
        check_name,
        Status::Fail,
        format!("{asked}: {conclusion}"),
        diag(
            cause,
            format!(
                "point the A/AAAA records of {name} at the calling IP(s){example}, or correct calling_ips if the egress addresses changed"
            ),
        ),
    )
}

/// The probe's diagnosis: the first failure, else the first error, else the
/// first warning, saying how many other checks need attention.
pub fn overall(verdicts: &[Verdict]) -> Option<Diagnosis> {
    let rank = [Status::Fail, Status::Error, Status::Warn];
    let first = rank.iter().find_map(|s| verdicts.iter().find(|v| v.check.status == *s && v.diagnosis.is_some()))?;
    let mut d = first.diagnosis.clone()?;
    let more = verdicts.iter().filter(|v| v.check.status != Status::Pass).count().saturating_sub(1);
    if more > 0 {
        d.cause.push_str(&format!(" ({more} more check{} did not pass)", if more == 1 { "" } else { "s" }));
    }
    Some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lists_in_messages_stop_after_ten_and_say_how_many_more() {
        let ips: Vec<IpAddr> = (1..=250u8).map(|i| IpAddr::from([198, 51, 100, i])).collect();
        let text = short_list(&ips);
        assert!(text.starts_with("198.51.100.1, 198.51.100.2,"), "{text}");
        assert!(text.ends_with("198.51.100.10 and 240 more"), "{text}");
        assert_eq!(short_list(&ips[..3]), "198.51.100.1, 198.51.100.2, 198.51.100.3");
    }

    /// "got a timeout", not "got timeout"; and the advice names the port the
    /// nameserver is really asked on, not always 53.
    #[test]
    fn a_timed_out_lookup_reads_as_english_and_names_the_real_port() {
        let ip: IpAddr = "203.0.113.10".parse().unwrap();
        let lookup =
            IpLookup { ip, reverse: "10.113.0.203.in-addr.arpa.".into(), ptr: Err(DnsFailure::Timeout), names: vec![] };
        let v = ip_verdict(&lookup, &[], "api.merchant.example", 4, "127.0.0.1:5353");
        assert!(v.check.message.contains("the PTR lookup got a timeout"), "{v:?}");
        let d = v.diagnosis.expect("diagnosis");
        assert!(d.cause.contains("got a timeout from 127.0.0.1:5353"), "{d:?}");
        assert!(d.fix.contains("UDP and TCP port 5353") && !d.fix.contains("port 53)"), "{d:?}");
        let system = ip_verdict(&lookup, &[], "api.merchant.example", 4, "the system resolver");
        assert!(system.diagnosis.expect("diagnosis").fix.contains("UDP and TCP port 53)"));
        let other = DnsFailure::Other("connection reset".into());
        assert_eq!(other.got(), "an error: connection reset");
    }
}
