//! The `/probe` query: blackbox_exporter's `module` and `target`, golive's
//! `only` and `tag`, and `debug`. Every parameter is checked; an unknown one,
//! an unknown module or a target that is not this exporter's environment is a
//! 400 that says what is accepted, never a silent "run everything".
//!
//! - `module=ID|TAG`: a probe id, else a tag (blackbox_exporter's module: what
//!   to run). Repeatable; an id counts as `only=ID`, a tag as `tag=TAG`.
//! - `target=ENV`: the environment (blackbox_exporter's target: where). One
//!   exporter serves one environment, so it must be that one.
//! - `only=ID`, `tag=TAG`: repeatable; given both, a probe must meet both.
//! - `debug=true`: the probes' log and result as text instead of metrics.

use super::{BadQuery, ProbeMeta};

/// What a `/probe` query asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selected<'a> {
    /// The read-only probes to answer for, in plan order.
    pub ids: Vec<&'a str>,
    /// `debug=true`: the log and result as text.
    pub debug: bool,
}

/// Every parameter `/probe` takes, for error messages.
const TAKES: &str = "module=ID|TAG, target=ENV, only=ID, tag=TAG and debug=true";

/// Parses and checks a `/probe` query against the environment's probes.
pub fn select<'a>(env_name: &str, probes: &'a [ProbeMeta], query: &str) -> Result<Selected<'a>, BadQuery> {
    let mut only = Vec::new();
    let mut tags = Vec::new();
    let mut debug = false;
    for (key, value) in form_pairs(query) {
        match key.as_str() {
            "only" => only.push(value),
            "tag" => tags.push(value),
            "module" => {
                if probes.iter().any(|p| p.id == value) {
                    only.push(value);
                } else if probes.iter().any(|p| p.tags.contains(&value)) {
                    tags.push(value);
                } else {
                    return Err(BadQuery(format!(
                        "no module `{}`: a module is a probe id or a tag of environment `{env_name}`: {}",
                        shorten(&value),
                        modules(probes)
                    )));
                }
            }
            "target" if value == env_name => {}
            "target" => {
                return Err(BadQuery(format!(
                    "target `{}` is not this exporter's environment `{env_name}`: target names the environment \
                     (run one golive serve per environment); choose probes with module=ID|TAG",
                    shorten(&value)
                )));
            }
            "debug" => {
                debug = match value.as_str() {
                    "true" | "1" => true,
                    "false" | "0" => false,
                    other => {
                        return Err(BadQuery(format!("debug=`{}`: use debug=true or debug=false", shorten(other))));
                    }
                }
            }
            other => return Err(BadQuery(format!("unknown parameter `{}`: /probe takes {TAKES}", shorten(other)))),
        }
    }
    for id in &only {
        match probes.iter().find(|p| &p.id == id) {
            None => {
                return Err(BadQuery(format!(
                    "no probe `{}` runs in environment `{env_name}` (`golive list --env {env_name}` shows them)",
                    shorten(id),
                )));
            }
            Some(p) if p.mutating => {
                return Err(BadQuery(format!(
                    "probe `{id}` changes data on the partner's side: golive serve never runs a mutating probe (run it once with `golive verify --only {id} --allow-mutations`)"
                )));
            }
            Some(_) => {}
        }
    }
    if let Some(tag) = tags.iter().find(|t| !probes.iter().any(|p| p.tags.contains(t))) {
        return Err(BadQuery(format!("no probe of environment `{env_name}` has the tag `{}`", shorten(tag))));
    }
    let ids: Vec<&str> = probes
        .iter()
        .filter(|p| !p.mutating)
        .filter(|p| only.is_empty() || only.contains(&p.id))
        .filter(|p| tags.is_empty() || p.tags.iter().any(|t| tags.contains(t)))
        .map(|p| p.id.as_str())
        .collect();
    if ids.is_empty() {
        return Err(BadQuery(format!(
            "the query selects no read-only probe of environment `{env_name}` (mutating probes never run here)"
        )));
    }
    Ok(Selected { ids, debug })
}

/// The modules of an environment, for a 400: its read-only probe ids, then its tags.
pub fn modules(probes: &[ProbeMeta]) -> String {
    let ids: Vec<&str> = probes.iter().filter(|p| !p.mutating).map(|p| p.id.as_str()).collect();
    let mut tags: Vec<&str> =
        probes.iter().filter(|p| !p.mutating).flat_map(|p| p.tags.iter().map(String::as_str)).collect();
    tags.sort_unstable();
    tags.dedup();
    format!("probes {}; tags {}", ids.join(", "), tags.join(", "))
}

/// The `key=value` pairs of a query string, percent-decoded.
fn form_pairs(query: &str) -> Vec<(String, String)> {
    let Ok(url) = reqwest::Url::parse(&format!("http://q/?{query}")) else { return Vec::new() };
    url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

/// At most 80 characters of user input, for an error message.
fn shorten(text: &str) -> String {
    let mut out: String = text.chars().filter(|c| !c.is_control()).take(80).collect();
    if text.chars().count() > 80 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(id: &str, tags: &[&str], mutating: bool) -> ProbeMeta {
        ProbeMeta {
            id: id.into(),
            pack: "p".into(),
            kind: "http".into(),
            title: id.into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            mutating,
            needs: Vec::new(),
        }
    }

    fn probes() -> Vec<ProbeMeta> {
        vec![meta("auth", &["launch-day"], false), meta("cert", &["staging"], false), meta("flow", &["staging"], true)]
    }

    #[test]
    fn a_module_is_a_probe_id_or_a_tag() {
        let p = probes();
        assert_eq!(select("demo", &p, "module=auth").map(|s| s.ids), Ok(vec!["auth"]));
        assert_eq!(select("demo", &p, "module=staging&target=demo").map(|s| s.ids), Ok(vec!["cert"]));
        assert_eq!(select("demo", &p, "").map(|s| s.ids), Ok(vec!["auth", "cert"]));
        assert!(select("demo", &p, "debug=true").is_ok_and(|s| s.debug));
    }

    #[test]
    fn an_unknown_module_is_refused_naming_the_modules() {
        let e = select("demo", &probes(), "module=nope").unwrap_err().0;
        assert!(e.contains("no module `nope`") && e.contains("probes auth, cert;") && e.contains("launch-day"), "{e}");
        assert!(!e.contains("flow"), "a mutating probe is no module: {e}");
    }

    #[test]
    fn a_probe_id_as_target_is_refused_not_ignored() {
        let e = select("demo", &probes(), "target=auth").unwrap_err().0;
        assert!(e.contains("target `auth` is not this exporter's environment `demo`"), "{e}");
        let e = select("demo", &probes(), "targt=demo").unwrap_err().0;
        assert!(e.contains("unknown parameter `targt`") && e.contains("module=ID|TAG"), "{e}");
        assert!(select("demo", &probes(), "debug=yes").is_err());
    }
}
