//! `golive cert inspect`: the facts and findings of local certificate files,
//! from the same analysis as the `cert` probe ([`crate::certs`]).

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
        after_help = "Examples:\n  golive cert inspect certs/program.crt --key certs/program.key\n  golive cert inspect certs/program.crt --format json | jq .rsa_modulus_md5"
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
    /// Roots the chain must verify to (PEM).
    #[arg(long, value_name = "PATH")]
    ca_bundle: Option<PathBuf>,
    /// Warn when the certificate expires within N days.
    #[arg(long, value_name = "N", default_value_t = 30)]
    warn_days: u32,
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

async fn inspect(args: InspectArgs) -> Result<u8, ConfigError> {
    // A generic inspection: thresholds only; pack rules belong to the `cert` probe.
    let policy = Policy { warn_days: i64::from(args.warn_days), require_client_auth: false, ..Policy::default() };
    let inputs = Inputs { cert: args.cert, key: args.key, ca_bundle: args.ca_bundle };
    let job = {
        let inputs = inputs.clone();
        tokio::task::spawn_blocking(move || certs::inspect(&inputs, &policy, time::OffsetDateTime::now_utc()))
    };
    let inspection = job.await.map_err(|e| ConfigError::usage(format!("inspecting the certificate failed: {e}")))?;
    let status = inspection.status();
    let lost = super::stdout::report("the inspection", |out| match args.format {
        InspectFormat::Json => serde_json::to_writer_pretty(&mut *out, &document(&inspection, &inputs))
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out)),
        InspectFormat::Human => human(&inspection, &inputs, out),
    });
    Ok(exit::with_lost_outputs(exit::for_status(status, false), lost))
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

fn human(inspection: &Inspection, inputs: &Inputs, out: &mut dyn Write) -> std::io::Result<()> {
    let row = |out: &mut dyn Write, label: &str, value: &str| writeln!(out, "{label:<16} {value}");
    row(out, "certificate", &inputs.cert.display().to_string())?;
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
    if let Some(d) = inspection.diagnosis(inputs) {
        writeln!(out, "cause: {}\nfix:   {}", d.cause, d.fix)?;
    }
    Ok(())
}
