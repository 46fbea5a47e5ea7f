//! Shallow history and sources with nothing in them: the exposure probe never
//! passes a repository whose history it could not read (a `--depth 1` clone,
//! as `actions/checkout` and GitLab's `GIT_DEPTH` make), a folder that is not
//! a repository, an empty repository, or bundle and log paths that hold no
//! file. Every repository here is made with the git CLI and cloned for real.

use std::path::Path;

use golive::config::Exposure;
use golive::report::{ProbeReport, Status};

use super::Tally;
use crate::exposure::{KEY, commit, env, git, probe, repo, shown, write};

/// A repository whose history holds the API key, committed then removed.
fn leaked_then_removed() -> tempfile::TempDir {
    let dir = repo();
    write(dir.path(), "src/config.js", &format!("export const apiKey = \"{KEY}\";\n"));
    commit(dir.path(), "add config");
    std::fs::remove_file(dir.path().join("src/config.js")).expect("rm");
    commit(dir.path(), "remove the key");
    git(dir.path(), &["config", "uploadpack.allowFilter", "true"]);
    dir
}

/// `git clone ARGS file://SOURCE` into a new folder.
fn clone(source: &Path, args: &[&str]) -> tempfile::TempDir {
    let into = tempfile::tempdir().expect("dir");
    let url = format!("file://{}", source.display());
    let mut all: Vec<&str> = vec!["clone", "-q"];
    all.extend(args);
    all.extend([url.as_str(), "."]);
    git(into.path(), &all);
    into
}

/// One source set-up and the verdict it must (not) get.
pub struct Case {
    /// What the case is.
    pub name: &'static str,
    make: fn() -> (Vec<tempfile::TempDir>, Exposure),
    /// What the report must say, all of it.
    says: &'static [&'static str],
    /// The status it must end with.
    status: Status,
}

fn repo_at(dir: &Path) -> Exposure {
    Exposure { repo: Some(dir.to_path_buf()), ..Exposure::default() }
}

/// Every case: clones of every depth, the fix applied, and empty sources.
pub fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "the full history (control): the removed key is found",
            make: || {
                let src = leaked_then_removed();
                let full = clone(src.path(), &[]);
                let e = repo_at(full.path());
                (vec![src, full], e)
            },
            says: &["no longer in HEAD, still in history"],
            status: Status::Fail,
        },
        Case {
            name: "a --depth 1 clone (actions/checkout's default)",
            make: || {
                let src = leaked_then_removed();
                let shallow = clone(src.path(), &["--depth", "1"]);
                let e = repo_at(shallow.path());
                (vec![src, shallow], e)
            },
            says: &["shallow clone", "git fetch --unshallow", "fetch-depth: 0", "GIT_DEPTH: 0"],
            status: Status::Fail,
        },
        Case {
            name: "a --depth 2 --single-branch clone of a clean repository",
            make: || {
                let src = repo();
                write(src.path(), "b.txt", "b\n");
                commit(src.path(), "b");
                write(src.path(), "c.txt", "c\n");
                commit(src.path(), "c");
                let shallow = clone(src.path(), &["--depth", "2", "--single-branch"]);
                let e = repo_at(shallow.path());
                (vec![src, shallow], e)
            },
            says: &["history not scanned", "shallow clone"],
            status: Status::Fail,
        },
        Case {
            name: "a shallow clone made whole with git fetch --unshallow",
            make: || {
                let src = leaked_then_removed();
                let shallow = clone(src.path(), &["--depth", "1"]);
                git(shallow.path(), &["fetch", "-q", "--unshallow"]);
                let e = repo_at(shallow.path());
                (vec![src, shallow], e)
            },
            says: &["no longer in HEAD, still in history"],
            status: Status::Fail,
        },
        Case {
            name: "a blobless partial clone (--filter=blob:none)",
            make: || {
                let src = leaked_then_removed();
                let partial = clone(src.path(), &["--filter=blob:none"]);
                let e = repo_at(partial.path());
                (vec![src, partial], e)
            },
            // git fetches the blobs it lacks from the clone's source, or they are named as not scanned.
            says: &[],
            status: Status::Fail,
        },
        Case {
            name: "a folder that is not a git repository",
            make: || {
                let dir = tempfile::tempdir().expect("dir");
                let e = repo_at(dir.path());
                (vec![dir], e)
            },
            says: &["not a git repository"],
            status: Status::Error,
        },
        Case {
            name: "a repository with no commit",
            make: || {
                let dir = tempfile::tempdir().expect("dir");
                git(dir.path(), &["init", "-q"]);
                let e = repo_at(dir.path());
                (vec![dir], e)
            },
            says: &["nothing to scan", "no commit"],
            status: Status::Warn,
        },
        Case {
            name: "a bundle folder with no file in it",
            make: || {
                let dir = tempfile::tempdir().expect("dir");
                std::fs::create_dir(dir.path().join("dist")).expect("mkdir");
                let e = Exposure { bundles: vec![dir.path().join("dist")], ..Exposure::default() };
                (vec![dir], e)
            },
            says: &["a folder with no file in it", "nothing was proven"],
            status: Status::Warn,
        },
        Case {
            name: "a bundle path that does not exist",
            make: || {
                let dir = tempfile::tempdir().expect("dir");
                let e = Exposure { bundles: vec![dir.path().join("dist")], ..Exposure::default() };
                (vec![dir], e)
            },
            says: &["nothing was proven"],
            status: Status::Warn,
        },
        Case {
            name: "a log glob that matches nothing",
            make: || {
                let dir = tempfile::tempdir().expect("dir");
                let glob = dir.path().join("logs/*.log").display().to_string();
                let e = Exposure { logs: vec![glob], ..Exposure::default() };
                (vec![dir], e)
            },
            says: &["nothing was proven"],
            status: Status::Warn,
        },
        Case {
            name: "log files that are all empty",
            make: || {
                let dir = tempfile::tempdir().expect("dir");
                std::fs::write(dir.path().join("app.log"), "").expect("log");
                let e = Exposure { logs: vec![dir.path().join("*.log").display().to_string()], ..Exposure::default() };
                (vec![dir], e)
            },
            says: &["all empty"],
            status: Status::Warn,
        },
        Case {
            name: "a clean full repository beside an empty bundle folder: the empty source is still said",
            make: || {
                let src = repo();
                std::fs::create_dir(src.path().join("dist")).expect("mkdir");
                let e = Exposure { bundles: vec![src.path().join("dist")], ..repo_at(src.path()) };
                (vec![src], e)
            },
            says: &["a folder with no file in it"],
            status: Status::Warn,
        },
    ]
}

/// Runs one case: its probe's status and what it says.
pub fn check(case: &Case) -> Result<(), String> {
    let (_keep, exposure) = (case.make)();
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    let report: ProbeReport = runtime.block_on(probe(env(exposure)));
    let text = shown(&report);
    if report.status != case.status {
        return Err(format!("ended {}, expected {}: {text}", report.status, case.status));
    }
    if let Some(missing) = case.says.iter().find(|s| !text.contains(*s)) {
        return Err(format!("does not say `{missing}`: {text}"));
    }
    if text.contains(KEY) {
        return Err("the key is shown".into());
    }
    Ok(())
}

/// Every case tried.
pub fn tally() -> Tally {
    Tally::of(&cases(), |c| c.name.to_string(), check)
}

/// A `git clone --depth 1` of a repository whose history holds a removed
/// secret passed the exposure probe (the full history failed it); a shallow
/// clone now fails saying history was not scanned and how to fetch it.
#[test]
fn a_shallow_clone_never_passes_the_exposure_scan_and_says_how_to_fetch_the_history() {
    tally().assert_held();
}
