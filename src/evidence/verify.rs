//! Checking an evidence folder: the manifest's hashes, that every expected file
//! is listed and no unlisted file was added, and that every file parses.

use std::collections::BTreeSet;
use std::path::Path;

use super::{EvidenceError, FILES, MANIFEST, manifest};

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
    /// Files whose hash matched and which parsed, in manifest order.
    pub ok: Vec<String>,
    /// Everything wrong, in manifest order, then unlisted files.
    pub problems: Vec<Problem>,
}

impl VerifyReport {
    fn problem(&mut self, file: &str, why: impl Into<String>) {
        self.problems.push(Problem { file: file.to_string(), why: why.into() });
    }
}

/// Checks the evidence folder `dir`. An error means it is not one at all
/// (missing, not a folder, no manifest); problems in the report mean it was
/// changed or damaged.
pub fn verify(dir: &Path) -> Result<VerifyReport, EvidenceError> {
    let shown = dir.display();
    if !dir.is_dir() {
        let what = if dir.exists() { "is not a folder" } else { "does not exist" };
        return Err(EvidenceError::new(
            format!("{shown} {what}"),
            "pass the folder that `golive verify --evidence DIR` wrote",
        ));
    }
    let manifest_path = dir.join(MANIFEST);
    if !manifest_path.is_file() {
        return Err(EvidenceError::new(
            format!("{shown} is not an evidence folder: it has no {MANIFEST}"),
            "pass the folder that `golive verify --evidence DIR` wrote",
        ));
    }
    let text = std::fs::read_to_string(&manifest_path).map_err(|e| {
        EvidenceError::new(format!("cannot read {}: {e}", manifest_path.display()), "check its permissions")
    })?;
    let mut report = VerifyReport::default();
    let (entries, bad_lines) = manifest::parse(&text);
    for (line, why) in bad_lines {
        report.problem(MANIFEST, format!("line {line} {why}"));
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
        let bytes = match std::fs::read(dir.join(&entry.name)) {
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
        .filter(|name| name != MANIFEST && !listed.contains(name))
        .collect();
    unlisted.sort();
    for name in unlisted {
        report.problem(&name, format!("is not listed in {MANIFEST}: it was added after the evidence was written"));
    }
    Ok(report)
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
