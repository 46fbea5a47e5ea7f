//! Helpers shared by the integration tests: running the binary, building plans.

#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

use golive::config::{Environment, Pack, pack};
use golive::plan::{Plan, Selection};
use golive::report::RunSummary;
use golive::runner::{self, RunOptions};

/// Runs the golive binary with arguments, in `dir` (the crate root by default),
/// without colour and without CI noise; stdin is closed.
pub fn golive(args: &[&str]) -> Output {
    golive_in(Path::new(env!("CARGO_MANIFEST_DIR")), args, &[])
}

/// Runs the golive binary in a folder with extra environment variables.
pub fn golive_in(dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_golive"));
    cmd.args(args).current_dir(dir).env("NO_COLOR", "1").stdin(std::process::Stdio::null());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().expect("the golive binary runs")
}

/// stdout as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Parses a pack from text (named `test.toml` in errors).
pub fn pack_from(text: &str) -> Pack {
    pack::parse(golive::config::SourceFile { path: "test.toml".into(), text: text.into() })
        .unwrap_or_else(|e| panic!("test pack is valid:\n{e}"))
}

/// Builds a plan of one environment and pack and runs it.
pub async fn run_pack(env: Environment, pack: Pack, sel: &Selection, opts: &RunOptions) -> RunSummary {
    let plan = Plan::build("test", vec![(env, pack)], sel).unwrap_or_else(|e| panic!("plan builds:\n{e}"));
    runner::run(&plan, opts, &mut |_| {}).await
}

/// An environment pointing at a base URL.
pub fn env_at(base_url: &str) -> Environment {
    Environment {
        name: "test".into(),
        pack: "test".into(),
        base_url: Some(reqwest::Url::parse(base_url).expect("valid url")),
        ..Environment::default()
    }
}
