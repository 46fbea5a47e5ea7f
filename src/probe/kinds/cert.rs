//! Probe kind `cert`: the environment's client certificate chain and key, as
//! local files, judged by [`crate::certs`] against the pack's [`Policy`]
//! (expiry thresholds, key type and size, wildcards, required names, clientAuth,
//! chain order and, with `client_chain` (or `ca_bundle`), trust).

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;

use crate::certs::{self, Inputs, Policy};
use crate::probe::{BuildContext, Probe, ProbeContext};
use crate::report::{Check, Outcome, Phase, Status};
use crate::spec::{Diagnosis, ErrorClass};

/// A built `cert` probe.
struct CertProbe {
    policy: Policy,
}

/// Builds a `cert` probe from its parameters (a [`Policy`]).
pub fn build(policy: Policy, _cx: &BuildContext<'_>) -> Result<Arc<dyn Probe>, String> {
    policy.validate()?;
    Ok(Arc::new(CertProbe { policy }))
}

#[async_trait]
impl Probe for CertProbe {
    async fn run(&self, cx: &ProbeContext) -> Outcome {
        let mut out = Outcome::default();
        let Some(cert) = cx.env.client_cert.clone() else {
            out.check(Check::new(
                "certificate",
                Status::Error,
                format!(
                    "no client certificate: set `client_cert` (and `client_key`) in [env.{}] of golive.toml to the PEM files",
                    cx.env.name
                ),
            ));
            out.signals.error_class = Some(ErrorClass::CertNotConfigured);
            out.diagnosis = Some(Diagnosis {
                cause: "the environment names no client certificate".to_string(),
                fix: format!(
                    "add `client_cert = \"certs/program.crt\"` and `client_key = \"certs/program.key\"` to [env.{}]",
                    cx.env.name
                ),
            });
            return out;
        };
        let roots = cx.env.client_roots().map(|(_, p)| p.to_path_buf());
        let inputs = Inputs { cert, key: cx.env.client_key.clone(), ca_bundle: roots };
        let policy = self.policy.clone();
        let started = Instant::now();
        let job = {
            let inputs = inputs.clone();
            tokio::task::spawn_blocking(move || certs::inspect(&inputs, &policy, time::OffsetDateTime::now_utc()))
        };
        let inspection = match job.await {
            Ok(i) => i,
            Err(e) => {
                out.check(Check::new("certificate", Status::Error, format!("reading the certificate failed: {e}")));
                out.signals.error_class = Some(ErrorClass::Panic);
                return out;
            }
        };
        out.phases.push(Phase { name: "files".into(), duration_ms: started.elapsed().as_millis() as u64 });
        out.fact("client_cert", inputs.cert.display().to_string());
        if let Some(leaf) = inspection.leaf() {
            out.fact("subject", leaf.subject.clone());
            out.fact("issuer", leaf.issuer.clone());
            out.fact("sans", leaf.sans.clone());
            out.fact("not_after", leaf.not_after.clone());
            out.fact("days_left", leaf.days_left);
            // The thresholds beside the days left: the HTML report draws them.
            out.fact("warn_days", self.policy.warn_days);
            out.fact("fail_days", self.policy.fail_days);
            out.fact("key_type", leaf.key_type.label());
            out.fact("key_bits", leaf.key_bits);
            out.fact("spki_sha256", leaf.spki_sha256.clone());
            out.fact("sha256", leaf.sha256.clone());
            if let Some(md5) = &leaf.rsa_modulus_md5 {
                out.fact("rsa_modulus_md5", md5.clone());
            }
            out.fact("chain_length", inspection.chain.len());
        }
        for check in inspection.checks() {
            out.check(check);
        }
        if inspection.leaf().is_some() && inputs.key.is_none() {
            out.check(Check::new(
                "key-match",
                Status::Error,
                format!(
                    "no private key to compare: set `client_key` in [env.{}] of golive.toml to the key the CSR was made with",
                    cx.env.name
                ),
            ));
            out.signals.error_class.get_or_insert(ErrorClass::KeyNotConfigured);
        }
        if let Some(class) = inspection.error_class() {
            out.signals.error_class = Some(class);
        }
        out.diagnosis = inspection.diagnosis(&inputs).or_else(|| {
            inputs.key.is_none().then(|| Diagnosis {
                cause: "the environment names no private key, so the key-certificate match cannot be confirmed"
                    .to_string(),
                fix: format!("add `client_key = \"certs/program.key\"` to [env.{}]", cx.env.name),
            })
        });
        out
    }
}

/// The `cert` kind, as [`super::Kind`] (one line in its list).
pub(crate) struct Cert;

impl super::Kind for Cert {
    type Params = crate::certs::Policy;
    const BUILD: super::Build<Self::Params> = build;

    fn needs(&self, q: &super::Query<'_>) -> Vec<super::Need> {
        use super::Need;
        use crate::config::keys;
        let super::Query { env, .. } = *q;
        vec![
            Need::new(keys::CLIENT_CERT.name, "the program certificate it checks", env.client_cert.is_some()),
            // Without the key the match cannot be confirmed: the probe errors.
            Need::new(
                keys::CLIENT_KEY.name,
                "the private key it matches against the certificate",
                env.client_key.is_some(),
            ),
        ]
    }

    fn sends(&self, _q: &super::Query<'_>) -> Vec<crate::probe::inputs::Sent> {
        // It reads local files: nothing leaves the machine.
        Vec::new()
    }
}
