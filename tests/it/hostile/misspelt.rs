//! Misspelt names: a feature, a stage, a key, an environment, a pack, a probe
//! id given to `--skip` or `--only`, a tag. Each is a configuration error
//! (exit 2) with "did you mean", never a probe silently left off.

use super::{Tally, run_in};

/// One misspelling and the name it must suggest.
pub struct Case {
    /// What is misspelt.
    pub name: &'static str,
    /// golive's arguments.
    args: &'static [&'static str],
    /// The lines of `[env.staging]` after its pack and base_url (empty: no golive.toml).
    env: &'static str,
    /// The suggestion expected.
    meant: &'static str,
}

/// Every misspelling tried.
pub fn cases() -> Vec<Case> {
    const VERIFY: &[&str] = &["verify", "--env", "staging"];
    vec![
        Case { name: "a feature (`3ds-otp` for `3ds`)", args: VERIFY, env: "features = [\"3ds-otp\"]", meant: "3ds" },
        Case {
            name: "a feature (`wallet` for `wallets`)",
            args: VERIFY,
            env: "features = [\"wallet\"]",
            meant: "wallets",
        },
        Case {
            name: "a feature in list (`physical-cards`)",
            args: &["list", "--env", "staging"],
            env: "features = [\"physical-cards\"]",
            meant: "physical-card",
        },
        Case { name: "a stage (`prod`)", args: VERIFY, env: "stage = \"prod\"", meant: "production" },
        Case { name: "a key of [env.*] (`featurs`)", args: VERIFY, env: "featurs = [\"3ds\"]", meant: "features" },
        Case {
            name: "an environment (`stagin`)",
            args: &["verify", "--env", "stagin"],
            env: "features = []",
            meant: "staging",
        },
        Case {
            name: "a probe id for --skip",
            args: &["verify", "--env", "demo", "--skip", "axys-tsl"],
            env: "",
            meant: "axys-tls",
        },
        Case {
            name: "a probe id for --only",
            args: &["verify", "--env", "demo", "--only", "pai-api-kye"],
            env: "",
            meant: "pai-api-key",
        },
        Case {
            name: "a probe id for --skip in a watch",
            args: &["verify", "--env", "demo", "--watch", "1s", "--skip", "axys-fcrnds"],
            env: "",
            meant: "axys-fcrdns",
        },
        Case {
            name: "a tag (`lauch-day`)",
            args: &["verify", "--env", "demo", "--tag", "lauch-day"],
            env: "",
            meant: "launch-day",
        },
        Case {
            name: "a tag in the wrong case (`Launch-Day`)",
            args: &["verify", "--env", "demo", "--tag", "Launch-Day"],
            env: "",
            meant: "launch-day",
        },
    ]
}

/// Runs one case: exit 2 and the suggestion.
pub fn check(case: &Case) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    if !case.env.is_empty() {
        let text = format!("[env.staging]\npack = \"axys\"\nbase_url = \"https://api.example.test\"\n{}\n", case.env);
        std::fs::write(dir.path().join("golive.toml"), text).map_err(|e| e.to_string())?;
    }
    let ended = run_in(dir.path(), case.args)?;
    if ended.code != Some(2) {
        return Err(format!("exit {:?}, expected 2: {}", ended.code, ended.stderr));
    }
    if !ended.stderr.contains(&format!("did you mean `{}`", case.meant)) {
        return Err(format!("no \"did you mean `{}`\": {}", case.meant, ended.stderr));
    }
    Ok(())
}

/// Every case tried.
pub fn tally() -> Tally {
    Tally::of(&cases(), |c| c.name.to_string(), check)
}

/// `features = ["3ds-otp"]` (the feature is `3ds`) was accepted and the probe
/// merely listed as off; every misspelt name is now exit 2 with a suggestion.
#[test]
fn a_misspelt_feature_stage_key_id_or_tag_is_exit_2_with_did_you_mean() {
    tally().assert_held();
}
