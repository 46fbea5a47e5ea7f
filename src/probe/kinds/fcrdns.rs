//! Probe kind `fcrdns`: forward-confirmed reverse DNS for every calling IP.
//!
//! For each calling IP: its PTR names (all, bounded by `max_ptr`), each of
//! which must be a certificate name whose A/AAAA records contain the IP. For
//! each certificate name: its A/AAAA records must include a calling IP. One
//! check per IP and per name; lookups run concurrently with a bound, through
//! the run's shared resolver ([`crate::net::dns`]). Certificate names come
//! from the environment's `client_cert` unless the probe lists `names`.

mod lookup;
mod names;
mod verdict;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde::Deserialize;

use self::lookup::{Lookups, ip_fact, name_fact};
use self::names::{CertName, normalize_ip};
use crate::probe::{BuildContext, Probe, ProbeContext};
use crate::report::{Check, Outcome, Phase, Status};
use crate::spec::{Diagnosis, ErrorClass};

/// The default bound on PTR names considered per IP.
const DEFAULT_MAX_PTR: usize = 10;
/// The default bound on DNS queries in flight.
const DEFAULT_CONCURRENCY: usize = 32;

/// The `fcrdns` probe's parameters.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "FcrdnsParams")]
pub(crate) struct Params {
    /// Certificate names to use instead of those of `client_cert`.
    names: Option<Vec<String>>,
    /// Calling IPs to use instead of the environment's.
    calling_ips: Option<Vec<String>>,
    /// At most this many PTR names are followed per IP.
    #[serde(default = "default_max_ptr")]
    max_ptr: usize,
    /// At most this many DNS queries in flight.
    #[serde(default = "default_concurrency")]
    concurrency: usize,
}

fn default_max_ptr() -> usize {
    DEFAULT_MAX_PTR
}
fn default_concurrency() -> usize {
    DEFAULT_CONCURRENCY
}

/// A built `fcrdns` probe.
struct FcrdnsProbe {
    names: Option<Vec<CertName>>,
    calling_ips: Option<Vec<IpAddr>>,
    max_ptr: usize,
    concurrency: usize,
}

/// Builds an `fcrdns` probe from its parameters.
pub fn build(p: Params, _cx: &BuildContext<'_>) -> Result<Arc<dyn Probe>, String> {
    if !(1..=100).contains(&p.max_ptr) {
        return Err(format!("`max_ptr` is {}; give a number from 1 to 100", p.max_ptr));
    }
    if !(1..=1024).contains(&p.concurrency) {
        return Err(format!("`concurrency` is {}; give a number from 1 to 1024", p.concurrency));
    }
    let names = p
        .names
        .map(|list| {
            list.iter()
                .map(|n| {
                    names::parse(n).ok_or_else(|| {
                        format!("`names` entry `{n}` is not a DNS name or an address (e.g. \"api.example.com\")")
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?;
    let calling_ips = p
        .calling_ips
        .map(|list| {
            list.iter()
                .map(|ip| {
                    ip.trim()
                        .parse::<IpAddr>()
                        .map_err(|_| format!("`calling_ips` entry `{ip}` is not an IP address (e.g. \"203.0.113.10\")"))
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?;
    Ok(Arc::new(FcrdnsProbe { names, calling_ips, max_ptr: p.max_ptr, concurrency: p.concurrency }))
}

impl FcrdnsProbe {
    /// The calling IPs, IPv4-mapped addresses as IPv4, without duplicates.
    fn ips(&self, cx: &ProbeContext) -> Result<Vec<IpAddr>, Diagnosis> {
        let raw = self.calling_ips.as_ref().unwrap_or(&cx.env.calling_ips);
        let mut ips: Vec<IpAddr> = Vec::with_capacity(raw.len());
        for ip in raw.iter().map(|ip| normalize_ip(*ip)) {
            if !ips.contains(&ip) {
                ips.push(ip);
            }
        }
        if ips.is_empty() {
            return Err(Diagnosis {
                cause: "no calling IPs to check".into(),
                fix: format!(
                    "list the egress addresses in `calling_ips` of [env.{}] in golive.toml (e.g. [\"203.0.113.10\"])",
                    cx.env.name
                ),
            });
        }
        Ok(ips)
    }

    /// The certificate's names and where they came from.
    fn names(&self, cx: &ProbeContext) -> Result<(Vec<CertName>, String), Diagnosis> {
        if let Some(names) = &self.names {
            return Ok((names.clone(), "the probe's `names`".into()));
        }
        let Some(path) = &cx.env.client_cert else {
            return Err(Diagnosis {
                cause: "no certificate names to check: the environment has no client_cert".into(),
                fix: format!(
                    "set `client_cert` in [env.{}] of golive.toml, or list `names` in the probe's params",
                    cx.env.name
                ),
            });
        };
        let names = names::from_cert(path).map_err(|why| Diagnosis {
            cause: why,
            fix: "point client_cert at the PEM certificate the partner will see (the leaf first)".into(),
        })?;
        Ok((names, format!("certificate {}", path.display())))
    }
}

fn input_error(mut out: Outcome, name: &str, d: Diagnosis) -> Outcome {
    out.check(Check::new(name, Status::Error, format!("{}; {}", d.cause, d.fix)));
    out.signals.error_class = Some(ErrorClass::Input);
    out.diagnosis = Some(d);
    out
}

#[async_trait]
impl Probe for FcrdnsProbe {
    async fn run(&self, cx: &ProbeContext) -> Outcome {
        let mut out = Outcome::default();
        let ips = match self.ips(cx) {
            Ok(ips) => ips,
            Err(d) => return input_error(out, "calling_ips", d),
        };
        let (cert, source) = match self.names(cx) {
            Ok(n) => n,
            Err(d) => return input_error(out, "certificate", d),
        };
        out.fact("names_source", source.clone());
        out.fact("names", cert.iter().map(ToString::to_string).collect::<Vec<_>>());
        let resolver = match cx.clients.dns().await {
            Ok(r) => r,
            Err(e) => {
                let d =
                    Diagnosis { cause: e, fix: "set `nameservers` in the environment, e.g. [\"192.0.2.53\"]".into() };
                return input_error(out, "resolver", d);
            }
        };
        out.fact("nameservers", resolver.servers.clone());
        if !cert.iter().any(|n| matches!(n, CertName::Dns(_))) {
            out.check(Check::new(
                "certificate",
                Status::Fail,
                format!("{source} names no domain to resolve (no DNS-name CN, no exact dNSName SAN)"),
            ));
            out.diagnosis = Some(Diagnosis {
                cause: format!("{source} names no domain, so no PTR name can match it"),
                fix: "use a certificate whose CN or a dNSName SAN is the domain the calling IPs' PTR records name"
                    .into(),
            });
        }

        // Stop a little before the runner's deadline, so timeouts are reported per lookup.
        let remaining = cx.remaining();
        let stop_at = Instant::now() + remaining - (remaining / 10).min(Duration::from_millis(250));
        let lookups = Lookups::new(resolver, self.concurrency, tokio::time::Instant::from_std(stop_at));
        let started = Instant::now();
        let (ip_lookups, name_lookups) = futures::join!(
            futures::future::join_all(ips.iter().map(|ip| lookups.ip(*ip, &cert, self.max_ptr))),
            futures::future::join_all(cert.iter().map(|n| lookups.name(n))),
        );
        out.phases.push(Phase { name: "dns".into(), duration_ms: started.elapsed().as_millis() as u64 });

        let mut verdicts = Vec::with_capacity(ips.len() + cert.len());
        let resolving = resolving_names(&name_lookups);
        let fallback = suggested_fallback(&cert);
        for l in &ip_lookups {
            let suggest = resolving.get(&l.ip).map_or(fallback.as_str(), |n| n.as_str());
            verdicts.push(verdict::ip_verdict(l, &cert, suggest, self.max_ptr, &resolver.servers));
        }
        for l in &name_lookups {
            verdicts.push(verdict::name_verdict(l, &ips, &resolver.servers));
        }
        let ip_facts: Vec<_> = ip_lookups.iter().map(ip_fact).collect();
        let name_facts: Vec<_> = name_lookups.iter().map(name_fact).collect();
        // The evidence: every question and answer, with the resolver that was asked.
        for lookup in ip_facts.iter().chain(&name_facts) {
            cx.trace.record("dns", serde_json::json!({ "resolver": resolver.servers, "lookup": lookup }));
        }
        out.fact("lookups", ip_facts);
        out.fact("name_lookups", name_facts);
        let status =
            Status::combine(out.checks.iter().map(|c| c.status).chain(verdicts.iter().map(|v| v.check.status)));
        if status == Status::Error {
            out.signals.error_class = verdicts.iter().find_map(|v| v.class);
        }
        if out.diagnosis.is_none() {
            out.diagnosis = verdict::overall(&verdicts);
        }
        out.checks.extend(verdicts.into_iter().map(|v| v.check));
        out
    }
}

/// The certificate name the PTR of an IP should point to: the first name
/// whose forward records already contain the IP (built once, in one pass).
fn resolving_names(lookups: &[lookup::NameLookup]) -> std::collections::HashMap<IpAddr, String> {
    let mut names = std::collections::HashMap::new();
    for l in lookups {
        for ip in l.answers.iter().filter_map(|(_, a)| a.as_ref().ok()).flatten() {
            names.entry(*ip).or_insert_with(|| l.name.to_string());
        }
    }
    names
}

/// The PTR target to suggest for an IP no certificate name resolves to: the
/// first DNS name of the certificate.
fn suggested_fallback(cert: &[CertName]) -> String {
    cert.iter()
        .find(|n| matches!(n, CertName::Dns(_)))
        .map(ToString::to_string)
        .unwrap_or_else(|| "a domain named in the client certificate".into())
}

/// The `fcrdns` kind, as [`super::Kind`] (one line in its list).
pub(super) struct Fcrdns;

impl super::Kind for Fcrdns {
    type Params = Params;
    const BUILD: super::Build<Self::Params> = build;

    fn needs(&self, q: &super::Query<'_>) -> Vec<super::Need> {
        use super::Need;
        use crate::config::keys;
        let super::Query { params, env, .. } = *q;
        let listed = |name: &str| params.get(name).and_then(toml::Value::as_array).is_some_and(|a| !a.is_empty());
        let mut out = Vec::new();
        if !listed("calling_ips") {
            out.push(Need::new(
                keys::CALLING_IPS.name,
                "the IPs whose reverse DNS it checks",
                !env.calling_ips.is_empty(),
            ));
        }
        if !listed("names") {
            out.push(Need::new(
                keys::CLIENT_CERT.name,
                "the certificate names PTR records must match (or `names` in the probe's params)",
                env.client_cert.is_some(),
            ));
        }
        out
    }

    fn sends(&self, _q: &super::Query<'_>) -> Vec<crate::probe::inputs::Sent> {
        // DNS lookups and a local certificate: no secret.
        Vec::new()
    }
}
