//! Probe kind `environment`: the values an integration needs are configured,
//! and those with a known format have it (e.g. an organization id `org_…` or a
//! UUID). Nothing is sent anywhere; secret values are checked but never shown,
//! and no value at all appears in a message (only its name and what is wrong).

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use regex::Regex;
use secrecy::ExposeSecret;
use serde::Deserialize;

use crate::config::keys::{self, Shown};
use crate::config::{Environment, Input};
use crate::probe::{BuildContext, Probe, ProbeContext};
use crate::report::{Check, Outcome, Status};
use crate::spec::Diagnosis;

/// The `environment` probe's parameters.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "EnvironmentParams")]
pub(crate) struct Params {
    /// Names of environment values that must be set.
    require: Vec<String>,
    /// Formats some of them must have: name → regular expression.
    #[serde(default)]
    patterns: BTreeMap<String, String>,
    /// How each format reads for a human, e.g. "org_… or a UUID".
    #[serde(default)]
    hints: BTreeMap<String, String>,
}

struct EnvironmentProbe {
    require: Vec<String>,
    patterns: Vec<(String, Regex, String)>,
}

/// Builds an `environment` probe: `require = [names]`, `patterns = { name = regex }`.
pub fn build(p: Params, cx: &BuildContext<'_>) -> Result<Arc<dyn Probe>, String> {
    let declared = |name: &str| cx.pack.inputs.iter().any(|(n, _)| n == name);
    let checkable = || keys::KEYS.iter().filter(|k| k.checkable).map(|k| k.name);
    for name in p.require.iter().chain(p.patterns.keys()) {
        if !checkable().any(|k| k == name) && !declared(name) && !name.starts_with("vars.") {
            let known: Vec<&str> = checkable().chain(cx.pack.inputs.iter().map(|(n, _)| n.as_str())).collect();
            return Err(format!("`{name}` is not an environment value; use one of {} or vars.NAME", known.join(", ")));
        }
    }
    let patterns = p
        .patterns
        .into_iter()
        .map(|(name, re)| {
            let hint = p.hints.get(&name).cloned().unwrap_or_else(|| format!("matching /{re}/"));
            Regex::new(&re).map(|r| (name.clone(), r, hint)).map_err(|e| format!("patterns.{name}: invalid regex: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Arc::new(EnvironmentProbe { require: p.require, patterns }))
}

/// A value of the environment as text (secrets exposed only to be checked), or `None` when unset.
fn value(env: &Environment, name: &str) -> Option<String> {
    let own = keys::get(name).filter(|k| k.checkable).map(|k| (k.show)(env));
    match own {
        Some(shown) => match shown {
            Shown::Unset | Shown::Flag(_) | Shown::Duration(_) => None,
            Shown::Text(t) => Some(t),
            // As `${base_url}` reads it.
            Shown::Url(u) => Some(keys::url_text(u)),
            Shown::Path(p) => Some(p.display().to_string()),
            Shown::Secret(s) => Some(s.value.expose_secret().to_string()),
            Shown::List(items) => (!items.is_empty()).then(|| format!("{items:?}")),
            Shown::Table { text, .. } => text,
        },
        None => match env.input(name) {
            Some(Input::Secret(s)) => Some(s.value.expose_secret().to_string()),
            Some(Input::Path(p)) => Some(p.display().to_string()),
            Some(Input::Text(v)) => Some(v.clone()),
            None => env.var(name.strip_prefix("vars.").unwrap_or(name)),
        },
    }
    .filter(|v| !v.trim().is_empty())
}

#[async_trait]
impl Probe for EnvironmentProbe {
    async fn run(&self, cx: &ProbeContext) -> Outcome {
        let mut out = Outcome::default();
        let mut missing = Vec::new();
        for name in &self.require {
            let (status, message) = match value(&cx.env, name) {
                Some(_) => (Status::Pass, format!("{name} is set")),
                None => {
                    missing.push(name.clone());
                    (Status::Fail, format!("{name} is not set"))
                }
            };
            out.check(
                Check::new(name.clone(), status, message)
                    .with_values("set", if status == Status::Pass { "set" } else { "unset" }),
            );
        }
        let mut malformed = Vec::new();
        for (name, re, hint) in &self.patterns {
            let Some(v) = value(&cx.env, name) else { continue };
            // The value is never shown: it may be a secret, and the hint says enough.
            let ok = re.is_match(&v);
            let message = if ok {
                format!("{name} has the expected format")
            } else {
                format!("{name}: expected {hint}, got another format")
            };
            if !ok {
                malformed.push(format!("{name} ({hint})"));
            }
            out.check(
                Check::new(format!("{name} format"), if ok { Status::Pass } else { Status::Fail }, message)
                    .with_values(
                        hint.clone(),
                        if ok { hint.clone() } else { "another format (value not shown)".into() },
                    ),
            );
        }
        if !missing.is_empty() || !malformed.is_empty() {
            let mut cause = Vec::new();
            if !missing.is_empty() {
                cause.push(format!("environment `{}` does not set {}", cx.env.name, missing.join(", ")));
            }
            if !malformed.is_empty() {
                cause.push(format!("malformed: {}", malformed.join(", ")));
            }
            out.diagnosis = Some(Diagnosis {
                cause: cause.join("; "),
                fix: format!(
                    "set these in [env.{}] of golive.toml (secrets as {{ env = \"VAR\" }} or {{ file = \"path\" }}), copied from the partner's credential set",
                    cx.env.name
                ),
            });
        }
        out
    }
}

/// The `environment` kind, as [`super::Kind`] (one line in its list).
pub(super) struct EnvironmentKind;

impl super::Kind for EnvironmentKind {
    type Params = Params;
    const BUILD: super::Build<Self::Params> = build;

    super::needs_and_sends_nothing!(
        "It judges what the environment sets (nothing is required for it to run) and checks values locally: nothing is sent."
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key the kind may check is read from the environment when set,
    /// and is missing when not: none is listed without a way to read it.
    #[test]
    fn every_checkable_key_of_the_catalogue_is_read_when_set_and_missing_when_not() {
        let full = keys::tests::full("canary");
        let empty = Environment::default();
        let checkable: Vec<&str> = keys::KEYS.iter().filter(|k| k.checkable).map(|k| k.name).collect();
        assert!(checkable.len() >= 11, "{checkable:?}");
        for name in checkable {
            assert!(value(&full, name).is_some(), "{name} set");
            assert!(value(&empty, name).is_none(), "{name} unset");
        }
        // As `${base_url}` reads it: no trailing slash for a pattern to trip on.
        assert_eq!(value(&full, "base_url").as_deref(), Some("https://192.0.2.1/v2"));
        assert_eq!(value(&full, "webhook").as_deref(), Some("https://198.51.100.7/hooks"));
    }
}
