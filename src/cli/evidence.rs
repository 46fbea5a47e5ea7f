//! `golive evidence verify DIR`: checks an evidence folder's signature (by a
//! trusted key), its manifest and that every file parses. Exit 0 when all is
//! well, 1 naming each bad file and why (a changed, damaged or unsigned
//! folder, or one signed by another key), 2 when DIR is missing or not an
//! evidence folder, or the trusted key cannot be read.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use crate::config::ConfigError;
use crate::evidence::{self, EvidenceError, sign};
use crate::exit;
use crate::plan::Plan;
use crate::report::RunSummary;
use crate::report::reporter::Evidence;

/// `golive evidence` subcommands.
#[derive(Debug, Subcommand)]
pub enum EvidenceCommand {
    /// Check an evidence folder: MANIFEST.sig is a valid signature by the trusted key, every
    /// SHA-256 in MANIFEST.sha256 matches, no file is missing or added, and every file parses.
    Verify(VerifyArgs),
}

/// `golive evidence verify` options.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  golive verify --env staging --evidence out/\n  golive evidence verify out/\n  golive evidence verify out/ --public-key ed25519:BASE64   (an auditor, with the key the team gave)"
)]
pub struct VerifyArgs {
    /// The folder `golive verify --evidence DIR` wrote.
    dir: PathBuf,
    /// The signer's public key: `ed25519:BASE64` or its file (the `.pub` beside the signing key)
    /// [default: the local signing key's, see --evidence-key of verify].
    #[arg(long, value_name = "KEY")]
    public_key: Option<String>,
}

/// Runs a `golive evidence` subcommand.
pub async fn run(command: EvidenceCommand) -> Result<u8, ConfigError> {
    match command {
        EvidenceCommand::Verify(args) => verify(&args.dir, args.public_key.as_deref()),
    }
}

/// The public key to trust: the one given, or the local signing key's own.
fn trusted_key(given: Option<&str>) -> Result<Option<(Vec<u8>, String)>, ConfigError> {
    if let Some(given) = given {
        let key = sign::read_public_key(given).map_err(|e| {
            ConfigError::usage(format!("--public-key: {e}")).help("pass `ed25519:BASE64` or the signer's .pub file")
        })?;
        return Ok(Some((key, "given with --public-key".to_string())));
    }
    let local = sign::default_key_path();
    if !local.exists() {
        return Ok(None);
    }
    let key = sign::read_public_key(&local.to_string_lossy())
        .map_err(|e| ConfigError::usage(e).help("pass the signer's public key with --public-key"))?;
    Ok(Some((key, format!("this machine's signing key, {}", local.display()))))
}

fn verify(dir: &std::path::Path, public_key: Option<&str>) -> Result<u8, ConfigError> {
    let trusted = trusted_key(public_key)?;
    let report = evidence::verify(dir, trusted.as_ref().map(|(k, _)| k.as_slice())).map_err(usage)?;
    let mut out = std::io::stdout().lock();
    // A closed stdout loses the listing; the exit code still says it all.
    let mut say = |line: String| {
        let _ = writeln!(out, "{line}");
    };
    for name in &report.ok {
        say(format!("OK      {name}"));
    }
    for p in &report.problems {
        say(format!("FAILED  {}: {}", p.file, p.why));
    }
    if report.problems.is_empty() {
        let files = report.ok.iter().filter(|f| *f != evidence::SIGNATURE).count();
        let (signer, whose) = match (&report.signed_by, &trusted) {
            (Some(s), Some((_, w))) => (s.as_str(), w.as_str()),
            _ => ("?", "?"),
        };
        say(format!("{}: evidence intact ({files} files), signed by {signer} ({whose})", dir.display()));
        Ok(exit::OK)
    } else {
        let files: std::collections::BTreeSet<&str> = report.problems.iter().map(|p| p.file.as_str()).collect();
        eprintln!(
            "golive: {} is not shown to be intact: {} file{} changed, missing, added, unreadable or not signed by a trusted key",
            dir.display(),
            files.len(),
            if files.len() == 1 { "" } else { "s" }
        );
        Ok(exit::FAIL)
    }
}

/// Says on stderr that a signing key was just made, and what to do with it.
pub fn announce_new_key(signer: &evidence::Signer) {
    if signer.created {
        eprintln!(
            "golive: made the evidence signing key {} (mode 0600); its public key, {}, is also in {}: give it to whoever checks the evidence (`golive evidence verify DIR --public-key KEY`), and keep the key itself private",
            signer.path.display(),
            signer.public_key(),
            sign::public_key_path(&signer.path).display()
        );
    }
}

/// An evidence error as a usage error (exit 2), with its remedy.
pub fn usage(e: EvidenceError) -> ConfigError {
    ConfigError::usage(e.message).help(e.help)
}

/// The evidence of a run as one of the reporter's outputs: written into `dir`,
/// signed by `signer`, and said on stderr with how to check it.
pub fn output<'a>(dir: &'a Path, plan: &'a Plan, signer: &'a sign::Signer) -> Evidence<'a, RunSummary> {
    let write = move |summary: &RunSummary| {
        let written = evidence::write(dir, summary, plan, signer).map_err(|e| e.to_string())?;
        Ok(format!(
            "evidence written to {} ({} trace records, {} state transitions); check it with `golive evidence verify {}`",
            dir.display(),
            written.trace,
            written.states,
            dir.display()
        ))
    };
    Evidence { dir, write: Box::new(write) }
}
