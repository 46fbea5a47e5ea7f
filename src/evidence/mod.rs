//! The evidence folder for a partner's auditor (`golive verify --evidence DIR`)
//! and its check (`golive evidence verify DIR`).
//!
//! One run writes seven files, each private (0600, in a 0700 folder: they hold
//! full traces) and through a temporary name and a rename, the manifest and
//! its signature last:
//!
//! | file | holds |
//! |---|---|
//! | `run.json` | the report: the `--format json` document |
//! | `trace.jsonl` | one JSON object per line: every HTTP exchange (`type = "http"`: method, URL, status, headers, bodies, timings), DNS query (`"dns"`) and TLS handshake (`"tls"`: version, cipher, server chain, acceptable client CA names, failure), each with the `probe` id added |
//! | `states.jsonl` | one state transition per line, `{probe, entity, field, from, to, at}` (e.g. a cardholder's `status` 4 → 3); empty when no probe recorded any |
//! | `report.html` | the report as one self-contained HTML page (`--report html`), for the auditor to look at |
//! | `environment.json` | golive version, packs (name, sha256, source), the environments with secrets shown as their references (`{ env = "VAR" }`), OS, architecture, the clock |
//! | `MANIFEST.sha256` | the SHA-256 of every other file, as `sha256sum` prints them, so `sha256sum -c MANIFEST.sha256` checks it |
//! | `MANIFEST.sig` | the manifest's Ed25519 signature and the public key that made it (see [`sign`]) |
//!
//! Every string written goes through the plan's [`crate::redact::Redactor`]
//! again (secrets in every form, card numbers), even though the runner has
//! redacted the report already: evidence leaves the building.
//! What this module does not do: run probes (see [`crate::runner`]) or print.

pub mod manifest;
pub mod sign;
mod verify;
mod write;

pub use sign::{SIGNATURE, Signer};
pub use verify::{Problem, VerifyReport, verify};
pub use write::{Written, prepare, write};

/// The report document.
pub const RUN: &str = "run.json";
/// HTTP, DNS and TLS trace records, one JSON object per line.
pub const TRACE: &str = "trace.jsonl";
/// State transitions, one JSON object per line.
pub const STATES: &str = "states.jsonl";
/// Tool, packs, configuration (secrets as references), OS and clock.
pub const ENVIRONMENT: &str = "environment.json";
/// The report as an HTML page, redacted like the rest.
pub const REPORT: &str = "report.html";
/// `sha256sum -c`-compatible hashes of every other file.
pub const MANIFEST: &str = "MANIFEST.sha256";
/// The files a complete evidence folder holds besides the manifest, in writing order.
pub const FILES: [&str; 5] = [RUN, TRACE, STATES, ENVIRONMENT, REPORT];

/// Why evidence could not be written or checked at all: names the folder or
/// file and says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} ({help})")]
pub struct EvidenceError {
    /// What went wrong, naming the path.
    pub message: String,
    /// What to do about it.
    pub help: String,
}

impl EvidenceError {
    /// An error with its remedy.
    pub fn new(message: impl Into<String>, help: impl Into<String>) -> Self {
        EvidenceError { message: message.into(), help: help.into() }
    }
}
