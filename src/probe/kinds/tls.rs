//! Probe kind `tls`: the partner API's server certificate chain, without a
//! client certificate — TLS version, the chain's subject, issuer, SANs,
//! not-after of the leaf and the earliest in the chain, SHA-256 fingerprint,
//! expiry thresholds, and a hostname mismatch or an untrusted chain named as such.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde::Deserialize;

use crate::certs::facts::CertFacts;
use crate::net::handshake::{self, Failure, Observed, Rejection, Timings};
use crate::net::tls;
use crate::probe::{BuildContext, Probe, ProbeContext};
use crate::report::text::count;
use crate::report::{Check, Outcome, Phase, Status};
use crate::spec::Diagnosis;

/// The `tls` probe's parameters.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "TlsParams")]
pub(crate) struct Params {
    /// The endpoint, e.g. `${base_url}`; only its host and port are used.
    url: String,
    /// Days left under which the chain warns.
    #[serde(default = "thirty")]
    warn_days: i64,
    /// Days left under which the chain fails.
    #[serde(default)]
    fail_days: i64,
}

fn thirty() -> i64 {
    30
}

/// A built `tls` probe.
struct TlsProbe {
    host: String,
    port: u16,
    warn_days: i64,
    fail_days: i64,
}

/// Builds a `tls` probe.
pub fn build(p: Params, _cx: &BuildContext<'_>) -> Result<Arc<dyn Probe>, String> {
    let url = reqwest::Url::parse(&p.url).map_err(|e| format!("invalid url `{}`: {e}", p.url))?;
    if url.scheme() != "https" {
        return Err(format!("tls needs an https URL, got `{url}`"));
    }
    let host = url.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']').to_string();
    if p.fail_days > p.warn_days {
        return Err(format!("fail_days ({}) is larger than warn_days ({})", p.fail_days, p.warn_days));
    }
    Ok(Arc::new(TlsProbe {
        host,
        port: url.port_or_known_default().unwrap_or(443),
        warn_days: p.warn_days,
        fail_days: p.fail_days,
    }))
}

#[async_trait]
impl Probe for TlsProbe {
    async fn run(&self, cx: &ProbeContext) -> Outcome {
        let mut out = Outcome::default();
        let env = cx.env.clone();
        let verifier = match tokio::task::spawn_blocking(move || tls::server_verifier(&env)).await {
            Ok(Ok(v)) => v,
            Ok(Err(e)) => {
                out.check(Check::new("trust store", Status::Error, e));
                return out;
            }
            Err(e) => {
                out.check(Check::new("trust store", Status::Error, e.to_string()));
                return out;
            }
        };
        let observed = Arc::new(Mutex::new(Observed::default()));
        let mut timings = Timings::default();
        let (host, port) = (self.host.as_str(), self.port);
        let connect = handshake::connect(host, port, verifier, None, observed.clone(), &mut timings);
        let result = tokio::time::timeout(cx.remaining(), connect).await;
        for (name, d) in [("dns", timings.dns), ("connect", timings.connect), ("tls", timings.tls)] {
            out.phases.push(Phase { name: name.into(), duration_ms: d.as_millis() as u64 });
        }
        let chain: Vec<CertFacts> = observed
            .lock()
            .map(|o| o.server_chain.iter().filter_map(|c| CertFacts::from_der(c).ok()).collect())
            .unwrap_or_default();
        let mut failure = None;
        match result {
            Ok(Ok(stream)) => {
                let (_, conn) = stream.get_ref();
                let version = conn.protocol_version().map_or_else(String::new, |v| format!("{v:?}"));
                out.fact("tls_version", version.clone());
                out.fact(
                    "cipher_suite",
                    conn.negotiated_cipher_suite().map_or_else(String::new, |c| format!("{:?}", c.suite())),
                );
                out.check(Check::new(
                    "handshake",
                    Status::Pass,
                    format!(
                        "{host}:{port} speaks {} with a trusted certificate valid for {host}",
                        version.replace("TLSv1_", "TLS 1.").replace("TLSv", "TLS ")
                    ),
                ));
            }
            Ok(Err(failed)) => {
                let status = if failed.rejection.is_verdict() { Status::Fail } else { Status::Error };
                failure = Some(failed.to_json());
                out.check(Check::new("handshake", status, failed.message));
                out.signals.error_class = Some(failed.rejection.class());
                out.diagnosis = Some(diagnosis(failed.rejection, host));
            }
            Err(_) => {
                let failed = Failure {
                    rejection: Rejection::Timeout,
                    message: format!("no TLS handshake with {host}:{port} before the deadline"),
                };
                failure = Some(failed.to_json());
                out.check(Check::new("handshake", Status::Error, failed.message));
                out.signals.error_class = Some(failed.rejection.class());
            }
        }
        self.judge_chain(&chain, &mut out);
        cx.trace.record(
            "tls",
            serde_json::json!({
                "host": host, "port": port,
                "version": out.facts.get("tls_version"),
                "cipher_suite": out.facts.get("cipher_suite"),
                "server_chain": out.facts.get("server_chain"),
                "phases": out.phases,
                "failure": failure,
            }),
        );
        out
    }
}

impl TlsProbe {
    /// Facts of the chain, and expiry of the leaf and of the earliest certificate.
    fn judge_chain(&self, chain: &[CertFacts], out: &mut Outcome) {
        let Some(leaf) = chain.first() else { return };
        let summary: Vec<serde_json::Value> = chain
            .iter()
            .map(|c| {
                serde_json::json!({
                    "subject": c.subject, "issuer": c.issuer, "sans": c.sans,
                    "not_after": c.not_after, "days_left": c.days_left, "sha256": c.sha256,
                })
            })
            .collect();
        out.fact("server_chain", summary);
        out.fact("leaf_sha256", leaf.sha256.clone());
        // The thresholds beside the days left: the HTML report draws them.
        out.fact("warn_days", self.warn_days);
        out.fact("fail_days", self.fail_days);
        out.check(self.expiry("leaf", leaf));
        if let Some(earliest) = chain.iter().skip(1).min_by_key(|c| c.not_after_at)
            && earliest.not_after_at < leaf.not_after_at
        {
            out.check(self.expiry("chain", earliest));
        }
    }

    fn expiry(&self, what: &str, c: &CertFacts) -> Check {
        let days = c.days_left;
        let (status, message) = if days < 0 {
            (
                Status::Fail,
                format!("{what} `{}` expired {} ago (on {})", c.short_name(), count(-days, "day", "days"), c.not_after),
            )
        } else if days <= self.fail_days {
            (
                Status::Fail,
                format!("{what} `{}` expires on {} ({} left)", c.short_name(), c.not_after, count(days, "day", "days")),
            )
        } else if days <= self.warn_days {
            (
                Status::Warn,
                format!(
                    "{what} `{}` expires on {}: {} left, within {} days",
                    c.short_name(),
                    c.not_after,
                    count(days, "day", "days"),
                    self.warn_days
                ),
            )
        } else {
            (
                Status::Pass,
                format!(
                    "{what} `{}` is valid until {} ({} left)",
                    c.short_name(),
                    c.not_after,
                    count(days, "day", "days")
                ),
            )
        };
        Check::new(format!("{what} expiry"), status, message)
            .with_values(format!("more than {} days", self.warn_days), format!("{days} days"))
    }
}

fn diagnosis(r: Rejection, host: &str) -> Diagnosis {
    let (cause, fix) = match r {
        Rejection::HostnameMismatch => (
            format!("the server's certificate is not valid for `{host}` (hostname mismatch)"),
            "check the host in base_url: the partner's certificate names the hosts it serves".to_string(),
        ),
        Rejection::ServerUntrusted => (
            "the server's certificate chain does not lead to a trusted root (untrusted server certificate)".to_string(),
            "set server_ca to the partner's CA bundle, or check that base_url is the partner's host and not an intercepting proxy".to_string(),
        ),
        Rejection::ServerCertExpired => (
            "the server's certificate has expired or is not yet valid".to_string(),
            "tell the partner, and check this machine's clock".to_string(),
        ),
        other => (format!("the TLS connection failed ({})", other.class()), "check base_url and the network path".to_string()),
    };
    Diagnosis { cause, fix }
}

/// The `tls` kind, as [`super::Kind`] (one line in its list).
pub(super) struct Tls;

impl super::Kind for Tls {
    type Params = Params;
    const BUILD: super::Build<Self::Params> = build;

    super::needs_and_sends_nothing!(
        "A handshake that only reads the server's chain: it needs no key and sends no secret."
    );
}
