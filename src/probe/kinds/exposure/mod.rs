//! Probe kind `exposure`: the environment's own secrets are not in source
//! control, not in the shipped front end, and card data is not in the logs.
//!
//! golive holds the real values, so it looks for exactly them (no pattern
//! guessing, no false positives from look-alikes) in the encodings they take
//! in the wild, plus any PEM private key block (the configured client key
//! recognised by its public-key fingerprint) and partner key formats the
//! partner documents. Three optional sources, from `exposure = { ... }` in the
//! environment: `repo` (every blob of every ref's history, and the working
//! tree), `bundles` and `pages` (the front end), `logs` (files and globs).
//! Findings name the secret and show a masked excerpt: no secret or card
//! number is ever printed, stored in evidence or logged.
//!
//! Blocking work (git, files) runs on `spawn_blocking` and stops at the
//! probe's deadline: a dropped probe sets the cancel flag, the loops stop at
//! their next chunk and the git children are killed.

mod files;
mod frontend;
mod git;
mod matcher;
mod report;
mod scan;
mod unscanned;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use async_trait::async_trait;
use secrecy::ExposeSecret;
use serde::Deserialize;

pub use files::{FileScan, scan_logs};
pub use git::{GitError, RepoScan, scan_repo};
pub use matcher::{Matcher, PartnerKey};

use crate::config::Environment;
use crate::probe::{BuildContext, Probe, ProbeContext};
use crate::report::{Check, Outcome, Phase, Status};

/// A partner key format in the pack: `prefix` (interpolated with the
/// environment's values when the probe runs, e.g. `$${account_id}_`, doubled
/// `$` so the plan leaves it alone) and the `rest` regex that must follow it.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "PartnerKey")]
struct RawPartnerKey {
    /// The key's name in findings.
    name: String,
    /// What the key starts with, e.g. "$${account_id}_".
    prefix: String,
    /// The regular expression the rest of the key matches.
    rest: String,
}

/// The `exposure` probe's parameters.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ExposureParams")]
pub(crate) struct Params {
    /// Partner key formats the partner documents.
    #[serde(default)]
    partner_keys: Vec<RawPartnerKey>,
}

struct ExposureProbe {
    partner_keys: Vec<(RawPartnerKey, regex::bytes::Regex)>,
}

/// Builds an `exposure` probe: `partner_keys = [{ name, prefix, rest }]` (optional).
fn build(p: Params, _cx: &BuildContext<'_>) -> Result<Arc<dyn Probe>, String> {
    let partner_keys = p
        .partner_keys
        .into_iter()
        .map(|k| {
            let re = regex::bytes::Regex::new(&format!("^(?:{})", k.rest))
                .map_err(|e| format!("partner_keys `{}`: invalid `rest` regex: {e}", k.name))?;
            Ok((k, re))
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Arc::new(ExposureProbe { partner_keys }))
}

/// Every secret of the environment, by the name golive.toml gives it.
pub fn secrets(env: &Environment) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = env
        .secrets()
        .into_iter()
        .map(|(name, s)| (name.to_string(), s.value.expose_secret().as_bytes().to_vec()))
        .collect();
    // A line of the key's body is enough to leak it, with or without its PEM header.
    if let Some(line) = env.client_key.as_deref().and_then(key_body_line) {
        out.push(("client_key".to_string(), line));
    }
    out
}

/// The first full base64 line of a PEM key file's body.
fn key_body_line(path: &std::path::Path) -> Option<Vec<u8>> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines().map(str::trim).find(|l| l.len() >= 60 && !l.starts_with("-----")).map(|l| l.as_bytes().to_vec())
}

/// A private key's identity: SHA-256 of its public key (SPKI), so the same key
/// in another encoding (PKCS#1, PKCS#8) is still recognised.
pub fn key_id(pem: &[u8]) -> Option<Vec<u8>> {
    use rustls_pki_types::PrivateKeyDer;
    use rustls_pki_types::pem::PemObject;
    use sha2::Digest;
    let key = PrivateKeyDer::from_pem_slice(pem).ok()?;
    let signing = crate::net::tls::provider().key_provider.load_private_key(key.clone_key()).ok();
    let public = signing.and_then(|s| s.public_key().map(|spki| sha2::Sha256::digest(spki.as_ref()).to_vec()));
    Some(public.unwrap_or_else(|| sha2::Sha256::digest(key.secret_der()).to_vec()))
}

/// Sets the cancel flag when the probe's future is dropped (the deadline).
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Ends a task when dropped (the source timer, when the probe ends first).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// When the sources stop: the probe's deadline less a tenth of its time
/// (between 50 ms and 2 s), left to report what they found.
fn source_deadline(cx: &ProbeContext) -> Instant {
    let budget = cx.remaining();
    let margin = (budget / 10).clamp(std::time::Duration::from_millis(50), std::time::Duration::from_secs(2));
    Instant::now() + budget.saturating_sub(margin)
}

/// What the three sources gave.
#[derive(Default)]
struct Results {
    repo: Option<(PathBuf, Result<RepoScan, GitError>)>,
    bundles: Option<FileScan>,
    pages: Option<frontend::PageScan>,
    logs: Option<FileScan>,
    /// PEM blocks found that are the configured client key: (source, location).
    configured_key: Vec<String>,
}

#[async_trait]
impl Probe for ExposureProbe {
    async fn run(&self, cx: &ProbeContext) -> Outcome {
        let mut out = Outcome::default();
        let env = &cx.env;
        let Some(exposure) = env
            .exposure
            .clone()
            .filter(|e| e.repo.is_some() || !e.bundles.is_empty() || !e.pages.is_empty() || !e.logs.is_empty())
        else {
            out.check(Check::new(
                "sources",
                Status::Skip,
                format!(
                    "nothing to scan: environment `{}` sets no `exposure` sources; add e.g. \
exposure = {{ repo = \".\", bundles = [\"dist/\"], pages = [\"${{website_url}}/\"], logs = [\"/var/log/app/*.log\"] }} \
to [env.{}] of golive.toml",
                    env.name, env.name
                ),
            ));
            out.signals.error_class = Some(crate::spec::ErrorClass::ExposureNotConfigured);
            return out;
        };
        let partner = self
            .partner_keys
            .iter()
            .filter_map(|(k, re)| {
                let prefix = crate::config::interpolate::interpolate_str(&k.prefix, &|n| env.var(n)).ok()?;
                Some(PartnerKey { name: k.name.clone(), prefix, rest: re.clone() })
            })
            .collect();
        let secrets = secrets(env);
        let names: Vec<String> = {
            let mut n: Vec<String> = secrets.iter().map(|(n, _)| n.clone()).collect();
            n.dedup();
            n
        };
        let matcher = Arc::new(Matcher::new(&secrets, partner));
        drop(secrets);
        let cancel = Arc::new(AtomicBool::new(false));
        let _guard = CancelOnDrop(cancel.clone());
        // Every source stops a little before the probe's deadline, keeping what
        // it found: one slow page must not turn leaks found elsewhere into a
        // probe that timed out (an `error` that drops its findings).
        let until = source_deadline(cx);
        let _timer = {
            let cancel = cancel.clone();
            AbortOnDrop(tokio::spawn(async move {
                tokio::time::sleep_until(until.into()).await;
                cancel.store(true, Ordering::Relaxed);
            }))
        };
        let configured = env.client_key.as_deref().and_then(|p| std::fs::read(p).ok()).and_then(|pem| key_id(&pem));
        let started = Instant::now();

        let repo_job = exposure.repo.clone().map(|repo| {
            let (m, c, configured) = (matcher.clone(), cancel.clone(), configured.clone());
            tokio::task::spawn_blocking(move || {
                let mut scan = scan_repo(&repo, &m, &c);
                let mut mine = Vec::new();
                if let Ok(s) = &mut scan {
                    mine = report::identify_repo_keys(&repo, s, configured.as_deref());
                }
                (repo, scan, mine)
            })
        });
        let bundle_job = (!exposure.bundles.is_empty()).then(|| {
            let (m, c, b, configured) = (matcher.clone(), cancel.clone(), exposure.bundles.clone(), configured.clone());
            tokio::task::spawn_blocking(move || {
                let mut s = files::scan_bundles(&b, &m, &c);
                let mine = report::identify_file_keys(&mut s, configured.as_deref());
                (s, mine)
            })
        });
        let log_job = (!exposure.logs.is_empty()).then(|| {
            let (m, c, l, configured) = (matcher.clone(), cancel.clone(), exposure.logs.clone(), configured.clone());
            tokio::task::spawn_blocking(move || {
                let mut s = files::scan_logs(&l, &m, &c);
                let mine = report::identify_file_keys(&mut s, configured.as_deref());
                (s, mine)
            })
        });
        let pages = async {
            if exposure.pages.is_empty() {
                return None;
            }
            Some(match cx.clients.http().await {
                Ok(client) => frontend::scan_pages(client, &exposure.pages, &matcher, &cx.trace, until).await,
                Err(e) => frontend::PageScan { errors: vec![e], ..Default::default() },
            })
        };
        let mut results = Results { pages: pages.await, ..Default::default() };
        let panicked = |e: tokio::task::JoinError| format!("the scan stopped unexpectedly: {e}");
        if let Some(job) = repo_job {
            match job.await {
                Ok((repo, scan, mine)) => {
                    results.configured_key.extend(mine);
                    results.repo = Some((repo, scan));
                }
                Err(e) => {
                    out.check(Check::new("source control", Status::Error, panicked(e)));
                    out.signals.error_class.get_or_insert(crate::spec::ErrorClass::Panic);
                }
            }
        }
        for (job, slot) in [(bundle_job, &mut results.bundles), (log_job, &mut results.logs)] {
            if let Some(job) = job {
                match job.await {
                    Ok((scan, mine)) => {
                        results.configured_key.extend(mine);
                        *slot = Some(scan);
                    }
                    Err(e) => {
                        out.check(Check::new("files", Status::Error, panicked(e)));
                        out.signals.error_class.get_or_insert(crate::spec::ErrorClass::Panic);
                    }
                }
            }
        }
        out.phases.push(Phase { name: "scan".into(), duration_ms: started.elapsed().as_millis() as u64 });
        out.fact("secrets_searched", names);
        report::outcome(&mut out, &results, &env.name);
        out
    }
}

/// The `exposure` kind, as [`super::Kind`] (one line in its list).
pub(super) struct Exposure;

impl super::Kind for Exposure {
    type Params = Params;
    const BUILD: super::Build<Self::Params> = build;

    super::needs_and_sends_nothing!(
        "Without `exposure` sources it runs and ends `skip`, saying what to add (most environments have none yet, and that must not stop their gate); it reads pages, files and logs looking for secrets and sends none."
    );
}
