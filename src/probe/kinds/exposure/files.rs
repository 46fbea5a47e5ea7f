//! Files on disk: front-end bundles (a file or a folder, searched
//! recursively, symlinks not followed) and logs (files or globs), each read
//! in fixed chunks, never whole.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use super::matcher::Matcher;
use super::scan::{Found, MAX_FINDINGS, Modes, Scanner};

/// Folders a bundle walk never enters.
const SKIP_DIRS: &[&str] = &[".git", "node_modules"];

/// A finding in a file.
#[derive(Debug, Clone)]
pub struct FileFinding {
    /// The file.
    pub path: PathBuf,
    /// What and where.
    pub found: Found,
}

/// What a file scan saw.
#[derive(Debug, Default)]
pub struct FileScan {
    /// Findings.
    pub findings: Vec<FileFinding>,
    /// Findings beyond the bound.
    pub more: usize,
    /// Files read.
    pub files: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Configured paths or globs that matched no file.
    pub missing: Vec<String>,
    /// Files that could not be read, with why.
    pub unreadable: Vec<String>,
    /// Whether the scan was stopped (deadline).
    pub cancelled: bool,
}

/// Streams one file through `scanner` in 256 KiB chunks.
pub fn scan_file(path: &Path, scanner: &mut Scanner<'_>, cancel: &AtomicBool) -> std::io::Result<()> {
    let mut file = std::fs::File::open(path)?;
    let mut chunk = vec![0u8; 256 * 1024];
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Err(std::io::Error::other("cancelled"));
        }
        let n = file.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        scanner.feed(&chunk[..n]);
    }
    scanner.finish();
    Ok(())
}

fn scan_one(path: &Path, scanner: &mut Scanner<'_>, cancel: &AtomicBool, out: &mut FileScan) {
    scanner.reset();
    match scan_file(path, scanner, cancel) {
        Ok(()) => {
            out.files += 1;
            out.bytes += scanner.bytes;
            scanner.bytes = 0;
            for found in scanner.found.drain(..) {
                if out.findings.len() < MAX_FINDINGS {
                    out.findings.push(FileFinding { path: path.to_path_buf(), found });
                } else {
                    out.more += 1;
                }
            }
            out.more += scanner.more;
        }
        Err(_) if cancel.load(Ordering::Relaxed) => out.cancelled = true,
        Err(e) => out.unreadable.push(format!("{}: {}", path.display(), e.kind())),
    }
}

/// Every file under each bundle path (a file or a folder).
pub fn scan_bundles(paths: &[PathBuf], m: &Matcher, cancel: &AtomicBool) -> FileScan {
    let mut out = FileScan::default();
    let mut scanner = Scanner::new(m, Modes { cards: false, headers: true });
    for root in paths {
        let Ok(meta) = std::fs::metadata(root) else {
            out.missing.push(root.display().to_string());
            continue;
        };
        if meta.is_file() {
            scan_one(root, &mut scanner, cancel, &mut out);
            continue;
        }
        // A folder with no file in it (a build that did not run) proves nothing.
        let (files_before, unreadable_before) = (out.files, out.unreadable.len());
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                out.unreadable.push(format!("{}: cannot list", dir.display()));
                continue;
            };
            let mut entries: Vec<_> = entries.flatten().collect();
            entries.sort_by_key(|e| e.file_name());
            for e in entries {
                if out.cancelled {
                    return out;
                }
                let Ok(ft) = e.file_type() else { continue };
                let name = e.file_name();
                if ft.is_dir() && !SKIP_DIRS.iter().any(|s| name == *s) {
                    stack.push(e.path());
                } else if ft.is_file() {
                    scan_one(&e.path(), &mut scanner, cancel, &mut out);
                }
            }
        }
        if out.files == files_before && out.unreadable.len() == unreadable_before {
            out.missing.push(format!("{} (a folder with no file in it)", root.display()));
        }
    }
    out
}

/// Every file each log path or glob names.
pub fn scan_logs(patterns: &[String], m: &Matcher, cancel: &AtomicBool) -> FileScan {
    let mut out = FileScan::default();
    let mut scanner = Scanner::new(m, Modes { cards: true, headers: false });
    for pattern in patterns {
        let mut matched = 0;
        match glob::glob(pattern) {
            Ok(paths) => {
                for path in paths.flatten() {
                    if out.cancelled {
                        return out;
                    }
                    if std::fs::metadata(&path).is_ok_and(|m| m.is_file()) {
                        matched += 1;
                        scan_one(&path, &mut scanner, cancel, &mut out);
                    }
                }
            }
            Err(e) => out.unreadable.push(format!("{pattern}: not a valid glob ({})", e.msg)),
        }
        if matched == 0 {
            out.missing.push(pattern.clone());
        }
    }
    out
}
