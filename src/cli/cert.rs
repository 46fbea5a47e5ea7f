//! `golive cert inspect`: the facts and findings of local certificate files,
//! from the same analysis as the `cert` probe ([`crate::certs`]); with
//! `--pack`, held to that pack's certificate policy and diagnosed with its
//! rules, as `verify` does.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use crate::certs::{self, Inputs, Inspection, KeyMatch, Policy};
use crate::config::ConfigError;
use crate::exit;
use crate::report::Status;
use crate::report::text::count;

/// `golive cert` subcommands.
#[derive(Debug, Subcommand)]
pub enum CertCommand {
    /// Print the facts of a PEM certificate (and key): names, validity, key,
    /// fingerprints, key match, chain; exit code as for `verify`.
    #[command(
        after_help = "Examples:\n  golive cert inspect certs/program.crt --key certs/program.key\n  golive cert inspect certs/program.crt --key certs/program.key --pack axys   # the pack's policy, as verify applies it\n  golive cert inspect certs/program.crt --format json | jq .rsa_modulus_md5"
    )]
    Inspect(InspectArgs),
}

/// What `cert inspect` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InspectFormat {
    /// Aligned lines for a terminal.
    Human,
    /// One JSON object.
    Json,
}

/// `golive cert inspect` options.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The PEM certificate chain, leaf first.
    #[arg(value_name = "CERT")]
    cert: PathBuf,
    /// The private key (PEM: PKCS#1, PKCS#8, SEC1 or Ed25519) to compare with the certificate.
    #[arg(long, value_name = "KEY")]
    key: Option<PathBuf>,
    /// The CAs that issued the certificate, up to its root (PEM): the chain must verify to them
    /// (`client_chain` in golive.toml; `--ca-bundle` is still accepted).
    #[arg(long, value_name = "PATH", alias = "ca-bundle")]
    client_chain: Option<PathBuf>,
    /// Warn when the certificate expires within N days [default: 30, or the pack's].
    #[arg(long, value_name = "N")]
    warn_days: Option<u32>,
    /// Hold the certificate to this pack's policy (built-in name or file), as its `cert` probe
    /// does: key type and size, wildcards, required names, clientAuth, expiry thresholds.
    #[arg(long, value_name = "PACK")]
    pack: Option<String>,
    /// The output format.
    #[arg(long, value_enum, default_value = "human")]
    format: InspectFormat,
}

/// Runs a `golive cert` subcommand.
pub async fn run(command: CertCommand) -> Result<u8, ConfigError> {
    match command {
        CertCommand::Inspect(args) => inspect(args).await,
    }
}

/// The policy of the first `cert` probe of a pack, with its diagnoses (the
/// probe's own, then the pack's).
struct PackPolicy {
    pack: String,
    probe: String,
    policy: Policy,
    rules: Vec<crate::config::DiagnosisRule>,
}

fn pack_policy(name: &str) -> Result<PackPolicy, ConfigError> {
    let pack = crate::config::pack::load(name, None)?;
    let Some(spec) = pack.probes.iter().find(|p| crate::probe::kinds::is::<crate::probe::kinds::cert::Cert>(p.kind))
    else {
        return Err(ConfigError::usage(format!("pack `{}` has no `cert` probe, so no certificate policy", pack.name))
            .help("drop --pack for a generic inspection, or name a pack with a `cert` probe"));
    };
    let mut params = toml::Value::Table(spec.params.clone());
    crate::config::interpolate::interpolate_value(&mut params, &|_| None).map_err(|name| {
        ConfigError::at(
            &pack.source,
            spec.params_span.clone(),
            format!("probe `{}` uses `${{{name}}}`, which only an environment sets", spec.id),
        )
        .help("inspect through the environment instead: `golive verify --env ENV --only ".to_string() + &spec.id + "`")
    })?;
    let policy: Policy = params.try_into().map_err(|e: toml::de::Error| {
        ConfigError::at(&pack.source, spec.params_span.clone(), format!("probe `{}`: {}", spec.id, e.message()))
    })?;
    policy.validate().map_err(|why| ConfigError::at(&pack.source, spec.params_span.clone(), why))?;
    let rules = spec.diagnoses.iter().chain(&pack.diagnoses).cloned().collect();
    Ok(PackPolicy { pack: pack.name.clone(), probe: spec.id.clone(), policy, rules })
}

async fn inspect(args: InspectArgs) -> Result<u8, ConfigError> {
    let from_pack = args.pack.as_deref().map(pack_policy).transpose()?;
    let mut policy = match &from_pack {
        Some(p) => p.policy.clone(),
        // A generic inspection: thresholds only; pack rules come with --pack.
        None => Policy { require_client_auth: false, ..Policy::default() },
    };
    if let Some(days) = args.warn_days {
        policy.warn_days = i64::from(days);
        policy.fail_days = policy.fail_days.min(policy.warn_days);
    }
    let inputs = Inputs { cert: args.cert, key: args.key, ca_bundle: args.client_chain };
    let job = {
        let (inputs, policy) = (inputs.clone(), policy.clone());
        tokio::task::spawn_blocking(move || certs::inspect(&inputs, &policy, time::OffsetDateTime::now_utc()))
    };
    let inspection = job.await.map_err(|e| ConfigError::usage(format!("inspecting the certificate failed: {e}")))?;
    let status = inspection.status();
    // The pack's diagnosis first, as the probe's would be; else the generic one.
    let pack_diagnosis = from_pack.as_ref().and_then(|p| {
        let signals = crate::spec::Signals { error_class: inspection.error_class(), ..Default::default() };
        crate::config::DiagnosisRule::first_match(&p.rules, &signals)
    });
    let diagnosis = pack_diagnosis.or_else(|| inspection.diagnosis(&inputs));
    let applied = from_pack.as_ref().map(|p| Applied { pack: &p.pack, probe: &p.probe, policy: &policy });
    let lost = crate::report::reporter::to_stdout("the inspection", |out| match args.format {
        InspectFormat::Json => {
            let mut doc = document(&inspection, &inputs);
            doc["diagnosis"] = json!(diagnosis);
            doc["policy"] = applied.as_ref().map_or(Value::Null, Applied::to_json);
            serde_json::to_writer_pretty(&mut *out, &doc).map_err(std::io::Error::from).and_then(|()| writeln!(out))
        }
        InspectFormat::Human => human(&inspection, &inputs, applied.as_ref(), diagnosis.as_ref(), out),
    });
    Ok(exit::with_lost_outputs(exit::for_status(status, false), lost.as_slice()))
}

/// The JSON document of `cert inspect --format json`.
pub fn document(inspection: &Inspection, inputs: &Inputs) -> Value {
    let mut doc = json!({
        "schema": 1,
        "file": inputs.cert.display().to_string(),
        "key_file": inputs.key.as_ref().map(|k| k.display().to_string()),
        "subject": null, "issuer": null, "sans": [], "not_before": null, "not_after": null,
        "days_left": null, "key_type": null, "key_bits": null, "rsa_modulus_md5": null,
        "spki_sha256": null, "sha256": null,
    });
    if let (Some(leaf), Value::Object(map)) = (inspection.leaf(), &mut doc)
        && let Ok(Value::Object(facts)) = serde_json::to_value(leaf)
    {
        map.extend(facts);
    }
    let key_matches = inspection.key.as_ref().and_then(|k| match k.matches {
        KeyMatch::Match => Some(true),
        KeyMatch::Mismatch => Some(false),
        KeyMatch::Unknown(_) => None,
    });
    let key = inspection.key.as_ref().map(|k| {
        json!({
            "format": k.format,
            "key_type": k.public.as_ref().map(|p| p.key_type),
            "key_bits": k.public.as_ref().map(|p| p.bits),
            "rsa_modulus_md5": k.public.as_ref().and_then(|p| p.rsa_modulus.as_deref()).map(certs::facts::openssl_modulus_md5),
        })
    });
    let findings: Vec<_> = inspection.checks().into_iter().filter(|c| c.status != Status::Pass).collect();
    if let Value::Object(map) = &mut doc {
        map.insert("key_matches".into(), json!(key_matches));
        map.insert("key".into(), json!(key));
        map.insert("chain".into(), json!(inspection.chain));
        map.insert("status".into(), json!(inspection.status()));
        map.insert("checks".into(), json!(inspection.checks()));
        map.insert("findings".into(), json!(findings));
        map.insert("diagnosis".into(), json!(inspection.diagnosis(inputs)));
    }
    doc
}

/// The pack policy an inspection applied (`--pack`).
struct Applied<'a> {
    pack: &'a str,
    probe: &'a str,
    policy: &'a Policy,
}

impl Applied<'_> {
    /// The rules in words, e.g. `rsa key, at least 2048 bits, no wildcard names, ...`.
    fn rules(&self) -> String {
        let p = self.policy;
        let mut rules = Vec::new();
        if let Some(t) = p.key_type {
            rules.push(format!("{} key", t.label()));
        }
        if let Some(bits) = p.min_key_bits {
            rules.push(format!("at least {bits} bits"));
        }
        if p.forbid_wildcards {
            rules.push("no wildcard names".to_string());
        }
        if !p.required_names.is_empty() {
            rules.push(format!("names {}", p.required_names.join(", ")));
        }
        if p.require_client_auth {
            rules.push("clientAuth".to_string());
        }
        rules.push(format!("warn within {} days, fail within {}", p.warn_days, p.fail_days));
        rules.join(", ")
    }

    fn to_json(&self) -> Value {
        json!({
            "pack": self.pack,
            "probe": self.probe,
            "key_type": self.policy.key_type.map(|t| t.label()),
            "min_key_bits": self.policy.min_key_bits,
            "forbid_wildcards": self.policy.forbid_wildcards,
            "required_names": self.policy.required_names,
            "require_client_auth": self.policy.require_client_auth,
            "warn_days": self.policy.warn_days,
            "fail_days": self.policy.fail_days,
        })
    }
}

fn human(
    inspection: &Inspection,
    inputs: &Inputs,
    applied: Option<&Applied<'_>>,
    diagnosis: Option<&crate::spec::Diagnosis>,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let row = |out: &mut dyn Write, label: &str, value: &str| writeln!(out, "{label:<16} {value}");
    row(out, "certificate", &inputs.cert.display().to_string())?;
    if let Some(a) = applied {
        row(out, "policy", &format!("pack {} (probe {}): {}", a.pack, a.probe, a.rules()))?;
    }
    if let Some(leaf) = inspection.leaf() {
        row(out, "subject", &leaf.subject)?;
        row(out, "issuer", &leaf.issuer)?;
        row(out, "sans", &if leaf.sans.is_empty() { "-".to_string() } else { leaf.sans.join(", ") })?;
        row(out, "not before", &leaf.not_before)?;
        let left = if leaf.days_left < 0 {
            format!("expired {} ago", count(-leaf.days_left, "day", "days"))
        } else {
            format!("{} left", count(leaf.days_left, "day", "days"))
        };
        row(out, "not after", &format!("{} ({left})", leaf.not_after))?;
        row(out, "key", &certs::policy::describe_key(leaf))?;
        if let Some(md5) = &leaf.rsa_modulus_md5 {
            row(out, "modulus md5", &format!("{md5}  (openssl x509 -noout -modulus -in CERT | openssl md5)"))?;
        }
        row(out, "spki sha256", &leaf.spki_sha256)?;
        row(out, "sha256", &leaf.sha256)?;
        if let Some(eku) = &leaf.extended_key_usage {
            row(out, "key usage", &eku.join(", "))?;
        }
        row(
            out,
            "chain",
            &format!("{} in the file", count(inspection.chain.len() as i64, "certificate", "certificates")),
        )?;
    }
    let key = match (&inputs.key, &inspection.key) {
        (None, _) => "not checked (pass --key KEY)".to_string(),
        (Some(_), Some(k)) => match &k.matches {
            KeyMatch::Match => format!("yes ({} key)", k.format),
            KeyMatch::Mismatch => format!("NO: the {} key does not belong to this certificate", k.format),
            KeyMatch::Unknown(why) => format!("unknown: {why}"),
        },
        (Some(_), None) => "not checked (the key file could not be read)".to_string(),
    };
    row(out, "key matches", &key)?;
    row(out, "status", &inspection.status().as_str().to_uppercase())?;
    for check in inspection.checks().iter().filter(|c| c.status != Status::Pass) {
        writeln!(out, "  {:<5} {}: {}", check.status.as_str(), check.name, check.message)?;
    }
    if let Some(d) = diagnosis {
        writeln!(out, "cause: {}\nfix:   {}", d.cause, d.fix)?;
    }
    Ok(())
}
