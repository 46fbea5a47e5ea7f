//! What the exposure scan could not look at, said as checks so that no source
//! ends `pass` without having been read: a shallow or partial clone (the
//! history it lacks, where a removed secret still lives, is not there), a
//! repository with nothing in it, a scan the deadline stopped, files or pages
//! that are all empty.

use std::path::Path;

use super::git::RepoScan;
use crate::report::Status;

/// The cause of a `shallow-history` failure.
pub const SHALLOW_CAUSE: &str = "the repository is a shallow or partial clone (CI checkouts are, by default): a secret \
committed and later removed lives in the history such a clone does not have, so the scan cannot clear it";

/// The fix of a `shallow-history` failure.
pub const SHALLOW_FIX: &str = "scan a clone with the whole history: `git fetch --unshallow` (and `git fetch --refetch` \
after a partial clone), or in GitHub Actions `actions/checkout` with `fetch-depth: 0`, in GitLab CI `GIT_DEPTH: 0` \
(the golive Action and GitLab template set it when the exposure probe runs)";

/// The checks a repository scan owes besides its findings: each a status
/// (`fail` for missing history, `error` for a stopped scan, `warn` for an
/// empty repository) and its message. Empty when the whole history was read.
pub fn repo(repo: &Path, scan: &RepoScan) -> Vec<(Status, String)> {
    let mut out = Vec::new();
    let shown = repo.display();
    if scan.shallow {
        out.push((
            Status::Fail,
            format!(
                "history not scanned: {shown} is a shallow clone, so commits before its cut (and the secrets they may hold) \
were not there to read; fetch the whole history (`git fetch --unshallow`; `fetch-depth: 0` in actions/checkout, \
`GIT_DEPTH: 0` in GitLab CI) and run the probe again"
            ),
        ));
    }
    if scan.missing > 0 {
        out.push((
            Status::Fail,
            format!(
                "history not scanned: {} of {shown}'s history are not in this clone (a partial clone, e.g. \
`--filter=blob:none`); fetch them (`git fetch --refetch`, or clone without a filter) and run the probe again",
                crate::report::text::count(i64::try_from(scan.missing).unwrap_or(i64::MAX), "blob", "blobs")
            ),
        ));
    }
    if scan.cancelled {
        out.push((
            Status::Error,
            format!(
                "the scan of the history of {shown} did not finish before the probe's deadline (the findings above stand); \
raise --timeout (or `timeout` in the environment)"
            ),
        ));
    }
    if !scan.cancelled && scan.blobs == 0 && scan.files == 0 && scan.missing == 0 {
        out.push((
            Status::Warn,
            format!("nothing to scan: {shown} has no commit and no file outside .gitignore; point `repo` at the application's checkout"),
        ));
    }
    out
}

/// The warning when every file (or page) of a source is empty: read, but
/// nothing was proven by reading it.
pub fn all_empty(noun: &str, count: u64) -> String {
    let what = crate::report::text::count(i64::try_from(count).unwrap_or(i64::MAX), noun, &format!("{noun}s"));
    format!("{what} read, all empty: nothing was proven; check that the paths point at the real {noun}s")
}
