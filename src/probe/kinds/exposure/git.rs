//! Source control through the machine's git: every blob reachable from any
//! ref (`git rev-list --all --objects`), streamed through one
//! `git cat-file --batch` process, then the working tree's changed and
//! untracked files (not the ignored ones: a `.env` kept out of git is where a
//! backend secret belongs). For a blob with a finding, the commit that
//! introduced it (`git log --all --find-object`).

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};

use super::matcher::Matcher;
use super::scan::{Found, Modes, Scanner};

/// A finding in the repository.
#[derive(Debug, Clone)]
pub struct RepoFinding {
    /// The commit that introduced the blob (`None` for the working tree).
    pub commit: Option<String>,
    /// The path, relative to the repository.
    pub path: String,
    /// The blob id (`None` for the working tree).
    pub blob: Option<String>,
    /// Whether HEAD still holds this blob at this path (`None`: unknown or working tree).
    pub in_head: Option<bool>,
    /// What and where in the file.
    pub found: Found,
}

/// What a repository scan saw.
#[derive(Debug, Default)]
pub struct RepoScan {
    /// Findings, history first.
    pub findings: Vec<RepoFinding>,
    /// Findings beyond the bound.
    pub more: usize,
    /// Blobs read from history.
    pub blobs: u64,
    /// Bytes of blobs read.
    pub blob_bytes: u64,
    /// Working-tree files read (changed or untracked).
    pub files: u64,
    /// Bytes of those files.
    pub file_bytes: u64,
    /// A shallow clone (`git clone --depth N`, CI checkouts): the history
    /// before its cut was not there to scan, so the scan proves nothing about it.
    pub shallow: bool,
    /// Blobs of history listed but not in this clone (a partial clone).
    pub missing: u64,
    /// The deadline stopped the scan; the findings so far are kept.
    pub cancelled: bool,
}

/// Why a repository could not be scanned.
#[derive(Debug)]
pub enum GitError {
    /// No git on this machine.
    Unavailable(String),
    /// git said no (not a repository, a broken object); its message.
    Failed(String),
    /// The scan was stopped (deadline).
    Cancelled,
}

/// A git child that is killed and reaped when dropped (a deadline or a panic
/// never leaves a git process behind).
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn git(repo: &Path) -> Command {
    let mut c = Command::new("git");
    c.arg("-C").arg(repo).env("GIT_TERMINAL_PROMPT", "0").env_remove("GIT_DIR").env_remove("GIT_WORK_TREE");
    c
}

fn spawn(cmd: &mut Command) -> Result<ChildGuard, GitError> {
    cmd.spawn().map(ChildGuard).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => GitError::Unavailable("git is not installed (not found on PATH)".into()),
        _ => GitError::Unavailable(format!("cannot run git: {e}")),
    })
}

/// Runs a short git command and returns its stdout, or git's first error line.
fn output(repo: &Path, args: &[&str]) -> Result<Vec<u8>, GitError> {
    let out = git(repo).args(args).stdin(Stdio::null()).output().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => GitError::Unavailable("git is not installed (not found on PATH)".into()),
        _ => GitError::Unavailable(format!("cannot run git: {e}")),
    })?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let first = err.lines().find(|l| !l.trim().is_empty()).unwrap_or("no message").trim().to_string();
        return Err(GitError::Failed(format!("`git {}` failed: {first}", args.join(" "))));
    }
    Ok(out.stdout)
}

/// Scans the repository at `repo`: history, then the working tree. A scan
/// the deadline stops keeps what it found (`cancelled`): a leak found is a
/// leak, whatever happened after.
pub fn scan_repo(repo: &Path, m: &Matcher, cancel: &AtomicBool) -> Result<RepoScan, GitError> {
    let mut scan = RepoScan::default();
    // Fails early and clearly when `repo` is not a git repository.
    output(repo, &["rev-parse", "--git-dir"])?;
    scan.shallow = is_shallow(repo)?;
    match scan_history(repo, m, cancel, &mut scan).and_then(|()| scan_worktree(repo, m, cancel, &mut scan)) {
        Ok(()) => {}
        Err(GitError::Cancelled) => scan.cancelled = true,
        Err(e) => return Err(e),
    }
    name_commits(repo, &mut scan, cancel);
    Ok(scan)
}

/// Whether `repo` is a shallow clone: `git rev-parse --is-shallow-repository`
/// (git 2.15+), or, for an older git that prints the option back, a
/// `shallow` file in the git folder.
fn is_shallow(repo: &Path) -> Result<bool, GitError> {
    let said = output(repo, &["rev-parse", "--is-shallow-repository"])?;
    match String::from_utf8_lossy(&said).trim() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => {
            let dir = output(repo, &["rev-parse", "--absolute-git-dir"])?;
            Ok(Path::new(String::from_utf8_lossy(&dir).trim()).join("shallow").exists())
        }
    }
}

/// Every blob reachable from any ref, once each, through `git cat-file --batch`.
pub fn scan_history(repo: &Path, m: &Matcher, cancel: &AtomicBool, scan: &mut RepoScan) -> Result<(), GitError> {
    let mut list = spawn(
        git(repo)
            .args(["rev-list", "--all", "--objects", "--filter=object:type=blob", "--filter-provided-objects"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    )?;
    let mut batch = spawn(
        git(repo).args(["cat-file", "--batch"]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null()),
    )?;
    let listed = list.0.stdout.take().ok_or_else(|| GitError::Failed("no rev-list output".into()))?;
    let mut ask = batch.0.stdin.take().ok_or_else(|| GitError::Failed("no cat-file input".into()))?;
    let answers = batch.0.stdout.take().ok_or_else(|| GitError::Failed("no cat-file output".into()))?;
    // The writer feeds blob ids to cat-file and hands their paths to the reader
    // in the same order; the bounded channel keeps memory flat for any history.
    let (paths, inbox) = std::sync::mpsc::sync_channel::<(String, String)>(1024);
    let writer = std::thread::spawn(move || {
        let mut lines = BufReader::with_capacity(64 * 1024, listed);
        let mut line = String::new();
        let mut out = std::io::BufWriter::new(&mut ask);
        loop {
            line.clear();
            match lines.read_line(&mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            let text = line.trim_end_matches('\n');
            // Commits are listed without a path; blobs as `<id> <path>`.
            let Some((id, path)) = text.split_once(' ') else { continue };
            if writeln!(out, "{id}").is_err() {
                break;
            }
            // Flushed when the reader would otherwise wait for an id still in the buffer.
            if lines.buffer().is_empty() && out.flush().is_err() {
                break;
            }
            if paths.send((id.to_string(), path.to_string())).is_err() {
                break;
            }
        }
        let _ = out.flush();
    });
    let mut reader = BufReader::with_capacity(256 * 1024, answers);
    let mut scanner = Scanner::new(m, Modes::default());
    let mut header = String::new();
    let mut chunk = vec![0u8; 256 * 1024];
    let result = (|| {
        for (id, path) in inbox.iter() {
            if cancel.load(Ordering::Relaxed) {
                return Err(GitError::Cancelled);
            }
            header.clear();
            reader.read_line(&mut header).map_err(|e| GitError::Failed(format!("reading cat-file: {e}")))?;
            let mut parts = header.split_whitespace();
            let (_, kind, size) = (parts.next(), parts.next(), parts.next());
            let Some(size) = size.and_then(|s| s.parse::<u64>().ok()) else {
                // `<id> missing` (a promisor object not fetched): not scanned, and said so.
                scan.missing += 1;
                continue;
            };
            scanner.reset();
            let mut left = size;
            while left > 0 {
                let want = chunk.len().min(left as usize);
                let n =
                    reader.read(&mut chunk[..want]).map_err(|e| GitError::Failed(format!("reading a blob: {e}")))?;
                if n == 0 {
                    return Err(GitError::Failed("cat-file ended in the middle of a blob".into()));
                }
                if kind == Some("blob") {
                    scanner.feed(&chunk[..n]);
                }
                left -= n as u64;
                if cancel.load(Ordering::Relaxed) {
                    return Err(GitError::Cancelled);
                }
            }
            let mut lf = [0u8; 1];
            reader.read_exact(&mut lf).map_err(|e| GitError::Failed(format!("reading cat-file: {e}")))?;
            scanner.finish();
            scan.blobs += 1;
            scan.blob_bytes += size;
            for found in scanner.found.drain(..) {
                keep(
                    scan,
                    RepoFinding { commit: None, path: path.clone(), blob: Some(id.clone()), in_head: None, found },
                );
            }
            scan.more += scanner.more;
        }
        Ok(())
    })();
    drop(reader);
    drop(inbox);
    drop(batch);
    let _ = writer.join();
    result?;
    let status = list.0.wait().map_err(|e| GitError::Failed(format!("waiting for rev-list: {e}")))?;
    if !status.success() {
        let mut err = String::new();
        if let Some(mut e) = list.0.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        let first = err.lines().find(|l| !l.trim().is_empty()).unwrap_or("no message").trim().to_string();
        return Err(GitError::Failed(format!("`git rev-list --all --objects` failed: {first}")));
    }
    Ok(())
}

fn keep(scan: &mut RepoScan, f: RepoFinding) {
    if scan.findings.len() < super::scan::MAX_FINDINGS {
        scan.findings.push(f);
    } else {
        scan.more += 1;
    }
}

/// Files of the working tree that history does not hold as they are:
/// modified and untracked, not ignored (`git ls-files -m -o --exclude-standard`).
fn scan_worktree(repo: &Path, m: &Matcher, cancel: &AtomicBool, scan: &mut RepoScan) -> Result<(), GitError> {
    let listed = output(repo, &["ls-files", "-z", "-m", "-o", "--exclude-standard"])?;
    let mut scanner = Scanner::new(m, Modes::default());
    let mut seen = std::collections::HashSet::new();
    for raw in listed.split(|&b| b == 0).filter(|p| !p.is_empty()) {
        if cancel.load(Ordering::Relaxed) {
            return Err(GitError::Cancelled);
        }
        let rel = String::from_utf8_lossy(raw).into_owned();
        if !seen.insert(rel.clone()) {
            continue;
        }
        let path = repo.join(&rel);
        // Deleted files are listed as modified; symlinks are not followed.
        let Ok(meta) = std::fs::symlink_metadata(&path) else { continue };
        if !meta.is_file() {
            continue;
        }
        scanner.reset();
        if super::files::scan_file(&path, &mut scanner, cancel).is_err() {
            continue;
        }
        scan.files += 1;
        scan.file_bytes += meta.len();
        for found in scanner.found.drain(..) {
            keep(scan, RepoFinding { commit: None, path: rel.clone(), blob: None, in_head: None, found });
        }
        scan.more += scanner.more;
    }
    Ok(())
}

/// Names the commit that introduced each blob with a finding (oldest first),
/// and whether HEAD still has it at that path.
fn name_commits(repo: &Path, scan: &mut RepoScan, cancel: &AtomicBool) {
    let mut known: std::collections::HashMap<String, Option<String>> = Default::default();
    for f in &mut scan.findings {
        let Some(blob) = &f.blob else { continue };
        // Each lookup walks the history: stop at the deadline, the findings stand without their commit.
        if cancel.load(Ordering::Relaxed) {
            break;
        }
        let at_head = output(repo, &["rev-parse", "--verify", "--quiet", &format!("HEAD:{}", f.path)]);
        f.in_head = Some(at_head.is_ok_and(|o| String::from_utf8_lossy(&o).trim() == blob.as_str()));
        let commit = known
            .entry(blob.clone())
            .or_insert_with(|| {
                let find = format!("--find-object={blob}");
                output(repo, &["log", "--all", "--format=%H", &find, "--reverse"])
                    .ok()
                    .and_then(|o| String::from_utf8_lossy(&o).lines().next().map(|l| l.trim().to_string()))
                    .filter(|c| !c.is_empty())
            })
            .clone();
        f.commit = commit;
    }
}

/// The bytes of a blob from `offset` on, at most `max` (to read a PEM block found in it).
pub fn blob_bytes(repo: &Path, blob: &str, offset: u64, max: usize) -> Option<Vec<u8>> {
    let mut child = spawn(
        git(repo).args(["cat-file", "blob", blob]).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::null()),
    )
    .ok()?;
    let out = child.0.stdout.take()?;
    let mut r = BufReader::new(out);
    std::io::copy(&mut (&mut r).take(offset), &mut std::io::sink()).ok()?;
    let mut buf = Vec::with_capacity(max);
    r.take(max as u64).read_to_end(&mut buf).ok()?;
    Some(buf)
}
