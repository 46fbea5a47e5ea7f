//! `golive evidence verify DIR`: checks an evidence folder's manifest and that
//! every file parses. Exit 0 when all is well, 1 naming each bad file and why,
//! 2 when DIR is missing or not an evidence folder.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::config::ConfigError;
use crate::evidence::{self, EvidenceError};
use crate::exit;

/// `golive evidence` subcommands.
#[derive(Debug, Subcommand)]
pub enum EvidenceCommand {
    /// Check an evidence folder: every SHA-256 in MANIFEST.sha256 matches, no file
    /// is missing or added, and every file parses.
    Verify(VerifyArgs),
}

/// `golive evidence verify` options.
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  golive verify --env staging --evidence out/\n  golive evidence verify out/")]
pub struct VerifyArgs {
    /// The folder `golive verify --evidence DIR` wrote.
    dir: PathBuf,
}

/// Runs a `golive evidence` subcommand.
pub async fn run(command: EvidenceCommand) -> Result<u8, ConfigError> {
    match command {
        EvidenceCommand::Verify(args) => verify(&args.dir),
    }
}

fn verify(dir: &std::path::Path) -> Result<u8, ConfigError> {
    let report = evidence::verify(dir).map_err(usage)?;
    // A closed pipe ends the listing quietly; the exit code is the verdict.
    let _ = super::stdout::write(|out| {
        for name in &report.ok {
            writeln!(out, "OK      {name}")?;
        }
        for p in &report.problems {
            writeln!(out, "FAILED  {}: {}", p.file, p.why)?;
        }
        if report.problems.is_empty() {
            writeln!(out, "{}: evidence intact ({} files)", dir.display(), report.ok.len())?;
        }
        Ok(())
    });
    if report.problems.is_empty() {
        Ok(exit::OK)
    } else {
        let files: std::collections::BTreeSet<&str> = report.problems.iter().map(|p| p.file.as_str()).collect();
        eprintln!(
            "golive: {} is not intact: {} file{} changed, missing, added or unreadable",
            dir.display(),
            files.len(),
            if files.len() == 1 { "" } else { "s" }
        );
        Ok(exit::FAIL)
    }
}

/// An evidence error as a usage error (exit 2), with its remedy.
pub fn usage(e: EvidenceError) -> ConfigError {
    ConfigError::usage(e.message).help(e.help)
}
