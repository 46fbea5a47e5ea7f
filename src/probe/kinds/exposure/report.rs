//! Turns the scans into checks, facts, an error class and a diagnosis: each
//! finding names the secret (never its value), where it is (commit, path,
//! line; URL; file:line) and a masked excerpt.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use super::Results;
use super::files::FileScan;
use super::git::{GitError, RepoScan};
use super::scan::{Found, Kind};
use crate::report::{Check, Outcome, Status};
use crate::spec::{Diagnosis, ErrorClass};

/// Bytes read after a PEM BEGIN line to recognise the key.
const PEM_WINDOW: usize = 16 * 1024;

/// Marks the PEM blocks of the repository that are the configured client key;
/// returns where they are.
pub(super) fn identify_repo_keys(repo: &Path, scan: &mut RepoScan, configured: Option<&[u8]>) -> Vec<String> {
    let Some(configured) = configured else { return Vec::new() };
    let mut out = Vec::new();
    for f in &mut scan.findings {
        let Kind::PemKey { offset } = f.found.kind else { continue };
        let bytes = match &f.blob {
            Some(blob) => super::git::blob_bytes(repo, blob, offset, PEM_WINDOW),
            None => read_at(&repo.join(&f.path), offset),
        };
        if bytes.and_then(|b| super::key_id(&b)).is_some_and(|id| id == configured) {
            mark(&mut f.found);
            out.push(f.path.clone());
        }
    }
    out
}

/// Marks the PEM blocks of files that are the configured client key.
pub(super) fn identify_file_keys(scan: &mut FileScan, configured: Option<&[u8]>) -> Vec<String> {
    let Some(configured) = configured else { return Vec::new() };
    let mut out = Vec::new();
    for f in &mut scan.findings {
        let Kind::PemKey { offset } = f.found.kind else { continue };
        if read_at(&f.path, offset).and_then(|b| super::key_id(&b)).is_some_and(|id| id == configured) {
            mark(&mut f.found);
            out.push(f.path.display().to_string());
        }
    }
    out
}

fn mark(found: &mut Found) {
    found.excerpt.push_str(" — the configured client_key (same public-key fingerprint)");
}

fn read_at(path: &Path, offset: u64) -> Option<Vec<u8>> {
    let mut f = std::fs::File::open(path).ok()?;
    f.seek(SeekFrom::Start(offset)).ok()?;
    let mut buf = Vec::with_capacity(PEM_WINDOW);
    f.take(PEM_WINDOW as u64).read_to_end(&mut buf).ok()?;
    Some(buf)
}

/// What a finding is, by name only.
fn what(kind: &Kind) -> String {
    match kind {
        Kind::Secret { name, form: "raw" } => format!("secret `{name}`"),
        Kind::Secret { name, form } => format!("secret `{name}` ({form})"),
        Kind::PemKey { .. } => "a PEM private key block".to_string(),
        Kind::PartnerKey(name) => name.clone(),
        Kind::Card => "an unmasked card number".to_string(),
        Kind::Cvv => "a CVV/CVC field with its value".to_string(),
        Kind::HeaderLiteral => "an API key header written with its value".to_string(),
    }
}

fn mib(bytes: u64) -> String {
    match bytes {
        b if b < 1024 => count(b, "byte", "bytes"),
        b if b < 1024 * 1024 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0)),
    }
}

fn count(n: u64, one: &str, many: &str) -> String {
    crate::report::text::count(i64::try_from(n).unwrap_or(i64::MAX), one, many)
}

/// The error classes of this kind, kebab-case, for pack diagnoses.
pub mod class {
    use crate::spec::ErrorClass;

    /// A configured secret or partner key in the repository's history or working tree.
    pub const SECRET_IN_SOURCE: ErrorClass = ErrorClass::SecretInSourceControl;
    /// A PEM private key block in the repository.
    pub const KEY_IN_SOURCE: ErrorClass = ErrorClass::PrivateKeyInSourceControl;
    /// A secret, private key or API key literal in a bundle or a live page.
    pub const SECRET_IN_FRONT_END: ErrorClass = ErrorClass::SecretInFrontEnd;
    /// A card number not masked, or a CVV value, in a log.
    pub const CARD_IN_LOGS: ErrorClass = ErrorClass::CardDataInLogs;
    /// A configured secret or private key in a log.
    pub const SECRET_IN_LOGS: ErrorClass = ErrorClass::SecretInLogs;
    /// git is not installed or could not run.
    pub const GIT_UNAVAILABLE: ErrorClass = ErrorClass::GitUnavailable;
    /// git refused (not a repository, a broken object).
    pub const GIT_FAILED: ErrorClass = ErrorClass::GitFailed;
    /// A shallow or partial clone: the history it lacks was not scanned.
    pub const SHALLOW: ErrorClass = ErrorClass::ShallowHistory;
    /// A configured page could not be read.
    pub const PAGE_UNREACHABLE: ErrorClass = ErrorClass::PageUnreachable;
    /// The scan did not end before the probe's deadline.
    pub const TIMEOUT: ErrorClass = ErrorClass::Timeout;
}

struct Verdict<'o> {
    out: &'o mut Outcome,
    fail: Option<ErrorClass>,
    error: Option<ErrorClass>,
    /// Every failing class, in the order first found.
    fails: Vec<ErrorClass>,
}

impl Verdict<'_> {
    fn fail(&mut self, name: &str, class: ErrorClass, message: String) {
        self.fail.get_or_insert(class);
        if !self.fails.contains(&class) {
            self.fails.push(class);
        }
        self.out.check(Check::new(name, Status::Fail, message));
    }
    fn error(&mut self, name: &str, class: ErrorClass, message: String) {
        self.error.get_or_insert(class);
        self.out.check(Check::new(name, Status::Error, message));
    }
    fn more(&mut self, name: &str, more: usize) {
        if more > 0 {
            self.out.check(Check::new(name, Status::Fail, format!("and {more} more findings not listed")));
        }
    }
}

/// Fills the outcome from the scans of every configured source.
pub(super) fn outcome(out: &mut Outcome, r: &Results, env_name: &str) {
    let mut v = Verdict { out, fail: None, error: None, fails: Vec::new() };
    if let Some((repo, scan)) = &r.repo {
        repo_checks(&mut v, repo, scan, env_name);
    }
    if let Some(scan) = &r.bundles {
        file_checks(&mut v, "front end", "bundle", scan, false);
    }
    if let Some(scan) = &r.pages {
        page_checks(&mut v, scan);
    }
    if let Some(scan) = &r.logs {
        file_checks(&mut v, "logs", "log", scan, true);
    }
    if !r.configured_key.is_empty() {
        v.out.fact("configured_client_key_found_in", r.configured_key.clone());
    }
    let class = v.fail.or(v.error);
    // One cause and fix per kind of leak found, the first one first.
    v.out.diagnosis = v.fail.map(|_| {
        let parts: Vec<Diagnosis> = v.fails.iter().map(|c| diagnosis(*c)).collect();
        Diagnosis {
            cause: parts.iter().map(|d| d.cause.as_str()).collect::<Vec<_>>().join("; and "),
            fix: parts.iter().map(|d| d.fix.as_str()).collect::<Vec<_>>().join(". And: "),
        }
    });
    if let Some(c) = class {
        v.out.signals.error_class = Some(c);
    }
}

fn repo_checks(v: &mut Verdict<'_>, repo: &Path, scan: &Result<RepoScan, GitError>, env_name: &str) {
    const NAME: &str = "source control";
    let scan = match scan {
        Ok(s) => s,
        Err(GitError::Unavailable(why)) => {
            return v.error(
                NAME,
                class::GIT_UNAVAILABLE,
                format!(
                    "cannot scan {}: {why}; install git, or remove `repo` from `exposure` in [env.{env_name}]",
                    repo.display()
                ),
            );
        }
        Err(GitError::Failed(why)) => {
            return v.error(NAME, class::GIT_FAILED, format!("cannot scan {}: {why}", repo.display()));
        }
        Err(GitError::Cancelled) => {
            return v.error(NAME, class::TIMEOUT, deadline(&format!("the history of {}", repo.display())));
        }
    };
    v.out.fact("repo_blobs", scan.blobs);
    v.out.fact("repo_blob_bytes", scan.blob_bytes);
    v.out.fact("worktree_files", scan.files);
    // What was not there to scan is never a pass (see `super::unscanned`).
    for (status, message) in super::unscanned::repo(repo, scan) {
        match status {
            Status::Fail => v.fail(NAME, class::SHALLOW, message),
            Status::Error => v.error(NAME, class::TIMEOUT, message),
            _ => drop(v.out.check(Check::new(NAME, status, message))),
        }
    }
    for f in &scan.findings {
        let class =
            if matches!(f.found.kind, Kind::PemKey { .. }) { class::KEY_IN_SOURCE } else { class::SECRET_IN_SOURCE };
        let place = match (&f.commit, f.in_head) {
            (Some(c), Some(false)) => {
                format!("in commit {} at {}:{} (no longer in HEAD, still in history)", short(c), f.path, f.found.line)
            }
            (Some(c), _) => format!("in commit {} at {}:{}", short(c), f.path, f.found.line),
            (None, _) if f.blob.is_some() => format!("in history at {}:{}", f.path, f.found.line),
            (None, _) => format!("in the working tree (not committed yet) at {}:{}", f.path, f.found.line),
        };
        v.fail(NAME, class, format!("{} {place}: {}", what(&f.found.kind), f.found.excerpt));
    }
    v.more(NAME, scan.more);
    if scan.findings.is_empty() && scan.more == 0 && super::unscanned::repo(repo, scan).is_empty() {
        v.out.check(Check::new(
            NAME,
            Status::Pass,
            format!(
                "{} ({}) of every ref's history and {} of {}: no configured secret, no private key block, no partner key",
                count(scan.blobs, "blob", "blobs"),
                mib(scan.blob_bytes),
                count(scan.files, "changed or untracked file", "changed or untracked files"),
                repo.display()
            ),
        ));
    }
}

fn short(commit: &str) -> &str {
    &commit[..commit.len().min(12)]
}

fn deadline(what: &str) -> String {
    format!(
        "the scan of {what} did not finish before the probe's deadline; raise --timeout (or `timeout` in the environment)"
    )
}

fn file_checks(v: &mut Verdict<'_>, name: &str, noun: &str, scan: &FileScan, logs: bool) {
    if logs {
        v.out.fact("log_files", scan.files);
        v.out.fact("log_bytes", scan.bytes);
    } else {
        v.out.fact("bundle_files", scan.files);
        v.out.fact("bundle_bytes", scan.bytes);
    }
    for f in &scan.findings {
        let class = match (&f.found.kind, logs) {
            (Kind::Card | Kind::Cvv, _) => class::CARD_IN_LOGS,
            (_, true) => class::SECRET_IN_LOGS,
            (_, false) => class::SECRET_IN_FRONT_END,
        };
        v.fail(
            name,
            class,
            format!("{} in {}:{}: {}", what(&f.found.kind), f.path.display(), f.found.line, f.found.excerpt),
        );
    }
    v.more(name, scan.more);
    if scan.cancelled {
        v.error(name, class::TIMEOUT, deadline(&format!("the {noun} files")));
    }
    for m in &scan.missing {
        v.out.check(Check::new(name, Status::Warn, format!("no {noun} file at `{m}`: nothing was proven for it")));
    }
    for u in &scan.unreadable {
        v.out.check(Check::new(name, Status::Warn, format!("not read: {u}")));
    }
    if scan.files > 0 && scan.bytes == 0 {
        v.out.check(Check::new(name, Status::Warn, super::unscanned::all_empty(noun, scan.files)));
    }
    if scan.findings.is_empty() && scan.more == 0 && scan.files > 0 && scan.bytes > 0 && !scan.cancelled {
        let what = if logs {
            "no card number that is not masked, no CVV value, no configured secret or private key"
        } else {
            "no configured secret, private key or API key header with its value"
        };
        v.out.check(Check::new(
            name,
            Status::Pass,
            format!(
                "{} ({}): {what}",
                count(scan.files, &format!("{noun} file"), &format!("{noun} files")),
                mib(scan.bytes)
            ),
        ));
    }
}

fn page_checks(v: &mut Verdict<'_>, scan: &super::frontend::PageScan) {
    const NAME: &str = "front end";
    v.out.fact("pages", scan.pages);
    v.out.fact("scripts", scan.scripts);
    v.out.fact("page_bytes", scan.bytes);
    for f in &scan.findings {
        v.fail(
            NAME,
            class::SECRET_IN_FRONT_END,
            format!("{} in {} line {}: {}", what(&f.found.kind), f.url, f.found.line, f.found.excerpt),
        );
    }
    v.more(NAME, scan.more);
    for e in &scan.errors {
        v.error(NAME, class::PAGE_UNREACHABLE, format!("not read: {e}"));
    }
    for c in &scan.cut {
        v.out.check(Check::new(NAME, Status::Warn, format!("scan cut by its bound: {c}")));
    }
    if scan.pages > 0 && scan.bytes == 0 {
        v.out.check(Check::new(NAME, Status::Warn, super::unscanned::all_empty("page", scan.pages as u64)));
    }
    if scan.findings.is_empty() && scan.more == 0 && scan.pages > 0 && scan.bytes > 0 {
        v.out.check(Check::new(
            NAME,
            Status::Pass,
            format!(
                "{} and {} ({}): no configured secret, private key or API key header with its value",
                count(scan.pages as u64, "page", "pages"),
                count(scan.scripts as u64, "same-site script", "same-site scripts"),
                mib(scan.bytes)
            ),
        ));
    }
}

fn diagnosis(class: ErrorClass) -> Diagnosis {
    let (cause, fix) = match class {
        class::SECRET_IN_SOURCE => (
            "a secret of this environment is in the repository: anyone with a clone, a fork or a CI cache has it, \
and deleting the file does not remove it from history",
            "rotate the secret first (a new key or secret from the partner; the old one is burnt), then rewrite history \
(`git filter-repo --replace-text`, or BFG), force-push every branch and tag, and have every clone re-cloned; \
keep the new value in the backend's environment variables or a secrets manager, never in a file git tracks",
        ),
        class::KEY_IN_SOURCE => (
            "a private key is in the repository (the mTLS key must live in a secrets manager, never in source control)",
            "treat the key as compromised: make a new key and CSR, have the new certificate issued and the old one \
revoked; then remove the file from history (`git filter-repo --invert-paths --path <file>`), force-push, re-clone",
        ),
        class::SECRET_IN_FRONT_END => (
            "a secret or an API key reaches the browser: every visitor can read it from the bundle or the page",
            "move every call that carries the key to the backend (the browser calls your server, your server calls the \
partner), rebuild and redeploy the front end, and rotate the key: it has been public",
        ),
        class::CARD_IN_LOGS => (
            "card data is written to logs: a full card number (PAN) or a CVV, which PCI DSS forbids storing after \
authorization",
            "stop logging the card details response (log the last four digits at most), then purge the affected logs \
and their copies (archives, log shipping, backups)",
        ),
        class::SHALLOW => (super::unscanned::SHALLOW_CAUSE, super::unscanned::SHALLOW_FIX),
        class::SECRET_IN_LOGS => (
            "a secret of this environment is written to logs",
            "stop logging request headers and credentials, purge the affected logs and their copies, and rotate the secret",
        ),
        _ => ("the exposure scan found a leak", "see the findings"),
    };
    Diagnosis { cause: cause.to_string(), fix: fix.to_string() }
}
