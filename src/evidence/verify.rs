//! Checking an evidence folder: the manifest's signature by a trusted key,
//! the manifest's hashes, that every expected file is listed and no unlisted
//! file was added, and that every file parses.

use std::collections::BTreeSet;
use std::path::Path;

use super::sign::{self, Checked, SIGNATURE};
use super::{EvidenceError, FILES, MANIFEST, manifest};

/// Lines of a damaged manifest named one by one; the rest are counted.
const BAD_LINES_SHOWN: usize = 5;

/// Something wrong with one file of an evidence folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file, relative to the folder.
    pub file: String,
    /// What is wrong with it.
    pub why: String,
}

/// The outcome of checking a folder that is an evidence folder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// The key whose valid signature the manifest carries, trusted or not.
    pub signed_by: Option<String>,
    /// Files whose hash matched and which parsed, in manifest order (the
    /// signature first, when it is valid and by the trusted key).
    pub ok: Vec<String>,
    /// Everything wrong, in manifest order, then unlisted files.
    pub problems: Vec<Problem>,
}

impl VerifyReport {
    fn problem(&mut self, file: &str, why: impl Into<String>) {
        self.problems.push(Problem { file: file.to_string(), why: why.into() });
    }
}

/// Checks the evidence folder `dir`, trusting the signature of the public key
/// `trusted` only (none: a valid signature proves nothing about its signer,
/// which is a problem too). An error means it is not an evidence folder at
/// all (missing, not a folder, no manifest); problems in the report mean it
/// was changed, damaged or cannot be shown to be intact.
pub fn verify(dir: &Path, trusted: Option<&[u8]>) -> Result<VerifyReport, EvidenceError> {
    let shown = dir.display();
    if !dir.is_dir() {
        let what = if dir.exists() { "is not a folder" } else { "does not exist" };
        return Err(EvidenceError::new(
            format!("{shown} {what}"),
            "pass the folder that `golive verify --evidence DIR` wrote",
        ));
    }
    let manifest_path = dir.join(MANIFEST);
    if !manifest_path.exists() {
        return Err(EvidenceError::new(
            format!("{shown} is not an evidence folder: it has no {MANIFEST}"),
            "pass the folder that `golive verify --evidence DIR` wrote",
        ));
    }
    let bytes = crate::files::read_regular(&manifest_path, crate::files::MAX_STATE_BYTES).map_err(|e| {
        EvidenceError::new(format!("cannot read {}: {e}", manifest_path.display()), "check its permissions")
    })?;
    let mut report = VerifyReport::default();
    signature(dir, &bytes, trusted, &mut report);
    // A manifest that is not text was changed or replaced: a problem, not an unreadable folder.
    let text = match std::str::from_utf8(&bytes) {
        Ok(t) => std::borrow::Cow::Borrowed(t),
        Err(e) => {
            report.problem(MANIFEST, format!("is not UTF-8 text ({e}): it was changed or replaced"));
            String::from_utf8_lossy(&bytes)
        }
    };
    let (entries, bad_lines) = manifest::parse(&text);
    let more = bad_lines.len().saturating_sub(BAD_LINES_SHOWN);
    for (line, why) in bad_lines.into_iter().take(BAD_LINES_SHOWN) {
        report.problem(MANIFEST, format!("line {line} {why}"));
    }
    if more > 0 {
        report.problem(MANIFEST, format!("and {more} more lines like these"));
    }
    let mut listed: BTreeSet<String> = BTreeSet::new();
    for entry in &entries {
        if !listed.insert(entry.name.clone()) {
            report.problem(MANIFEST, format!("lists {} twice", entry.name));
            continue;
        }
        if !plain_name(&entry.name) {
            report.problem(MANIFEST, format!("lists `{}`, which is not a file name of this folder", entry.name));
            continue;
        }
        let bytes = match crate::files::read_regular(&dir.join(&entry.name), MAX_ENTRY_BYTES) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                report.problem(&entry.name, format!("is listed in {MANIFEST} but missing"));
                continue;
            }
            Err(e) => {
                report.problem(&entry.name, format!("cannot be read: {e}"));
                continue;
            }
        };
        let before = report.problems.len();
        if manifest::sha256_hex(&bytes) != entry.sha256 {
            report.problem(
                &entry.name,
                format!("does not match its SHA-256 in {MANIFEST}: it changed after it was written"),
            );
        }
        if let Err(why) = parses(&entry.name, &bytes) {
            report.problem(&entry.name, why);
        }
        if report.problems.len() == before {
            report.ok.push(entry.name.clone());
        }
    }
    for name in FILES {
        if !listed.contains(name) {
            report.problem(name, format!("is not listed in {MANIFEST}: the evidence is incomplete"));
        }
    }
    let present = std::fs::read_dir(dir)
        .map_err(|e| EvidenceError::new(format!("cannot list {shown}: {e}"), "check its permissions"))?;
    let mut unlisted: Vec<String> = present
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name != MANIFEST && name != SIGNATURE && !listed.contains(name))
        .collect();
    unlisted.sort();
    for name in unlisted {
        report.problem(&name, format!("is not listed in {MANIFEST}: it was added after the evidence was written"));
    }
    Ok(report)
}

/// The largest evidence file golive hashes: far above what a run writes
/// (bodies are kept as 64 Ki-character excerpts), far below what would
/// exhaust a CI runner's memory.
const MAX_ENTRY_BYTES: u64 = 512 * 1024 * 1024;

/// Checks `MANIFEST.sig` against the manifest's bytes and the trusted key.
fn signature(dir: &Path, manifest: &[u8], trusted: Option<&[u8]>, report: &mut VerifyReport) {
    let file = match crate::files::read_regular(&dir.join(SIGNATURE), 64 * 1024) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return report
                .problem(SIGNATURE, "is missing: nothing proves who wrote the manifest or that it was not recomputed");
        }
        Err(e) => return report.problem(SIGNATURE, format!("cannot be read: {e}")),
    };
    let signer = match sign::check(&file, manifest) {
        Checked::Valid(key) => key,
        Checked::Invalid(why) => return report.problem(SIGNATURE, why),
    };
    report.signed_by = Some(signer.clone());
    match trusted.map(sign::public_key_text) {
        Some(t) if t == signer => report.ok.push(SIGNATURE.to_string()),
        Some(t) => report.problem(
            SIGNATURE,
            format!("is signed by {signer}, not by the trusted key {t}: the folder was signed again by someone else"),
        ),
        None => report.problem(
            SIGNATURE,
            format!(
                "is signed by {signer}, the key the folder names itself, which proves nothing about who signed: pass --public-key with the public key you were given"
            ),
        ),
    }
}

/// A name of a file directly in the folder: no separators, no `.` or `..`.
fn plain_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\'])
}

/// Whether a file parses as its extension says: `.json` one JSON document,
/// `.jsonl` one JSON object per line.
fn parses(name: &str, bytes: &[u8]) -> Result<(), String> {
    if name.ends_with(".json") {
        return serde_json::from_slice::<serde_json::Value>(bytes).map(|_| ()).map_err(|e| format!("is not JSON: {e}"));
    }
    if name.ends_with(".jsonl") {
        let text = std::str::from_utf8(bytes).map_err(|e| format!("is not UTF-8 text: {e}"))?;
        for (i, line) in text.lines().enumerate() {
            match serde_json::from_str::<serde_json::Value>(line) {
                Ok(serde_json::Value::Object(_)) => {}
                Ok(_) => return Err(format!("line {} is not a JSON object", i + 1)),
                Err(e) => return Err(format!("line {} is not JSON: {e}", i + 1)),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_are_checked_line_by_line() {
        assert!(parses("t.jsonl", b"").is_ok());
        assert!(parses("t.jsonl", b"{\"a\":1}\n{\"b\":2}\n").is_ok());
        assert_eq!(
            parses("t.jsonl", b"{\"a\":1}\n\n").unwrap_err(),
            "line 2 is not JSON: EOF while parsing a value at line 1 column 0"
        );
        assert_eq!(parses("t.jsonl", b"[1]\n").unwrap_err(), "line 1 is not a JSON object");
        assert!(parses("r.json", b"{").is_err());
        assert!(!plain_name("../etc/passwd") && !plain_name("..") && plain_name("run.json"));
    }
}
