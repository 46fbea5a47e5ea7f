//! `golive report merge`: JSON reports of one environment, run from several
//! egress networks (NAT gateways, regions, self-hosted CI runners), merged
//! into one report with one verdict.
//!
//! Per probe, the merged report keeps the verdict of each egress (a check
//! named `egress NAME`, followed by that egress's own findings prefixed with
//! its name, and an `egresses` fact mapping each egress to its status); the
//! probe's status is the worst of them, so a probe fails when any egress fails
//! it. Facts, phases and the diagnosis come from the worst egress's report.
//! The result is an ordinary [`RunSummary`]: every renderer works on it.

use std::collections::BTreeMap;

use super::{Check, Counts, ProbeReport, RunSummary, SCHEMA_VERSION, Status};

/// One report to merge: where it came from (for messages) and what it says.
pub struct Input {
    /// The file it was read from.
    pub path: String,
    /// The report.
    pub summary: RunSummary,
}

/// Why reports cannot be merged: a usage error (exit 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeError(pub String);

impl std::fmt::Display for MergeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The egress name of a report: its `egress`, else its file's stem.
fn egress_of(input: &Input) -> String {
    input.summary.egress.clone().unwrap_or_else(|| {
        std::path::Path::new(&input.path)
            .file_stem()
            .map_or_else(|| input.path.clone(), |s| s.to_string_lossy().into_owned())
    })
}

/// Merges reports of the same environment into one.
pub fn merge(inputs: &[Input]) -> Result<RunSummary, MergeError> {
    let Some(first) = inputs.first() else {
        return Err(MergeError("no report to merge".into()));
    };
    for input in inputs {
        if input.summary.schema != SCHEMA_VERSION {
            return Err(MergeError(format!(
                "{} is a report of schema {}, and this golive reads schema {SCHEMA_VERSION}",
                input.path, input.summary.schema
            )));
        }
        if input.summary.env != first.summary.env {
            return Err(MergeError(format!(
                "{} is a report of environment `{}`, and {} of environment `{}`: only reports of one environment merge",
                first.path, first.summary.env, input.path, input.summary.env
            )));
        }
    }
    let egresses: Vec<String> = inputs.iter().map(egress_of).collect();
    for (i, name) in egresses.iter().enumerate() {
        if let Some(j) = egresses[..i].iter().position(|n| n == name) {
            return Err(MergeError(format!(
                "{} and {} are both from egress `{name}`: run `golive verify --egress NAME` with a different name on each network",
                inputs[j].path, inputs[i].path
            )));
        }
    }
    let mut order: Vec<&str> = Vec::new();
    for input in inputs {
        for p in &input.summary.probes {
            if !order.contains(&p.id.as_str()) {
                order.push(&p.id);
            }
        }
    }
    let probes: Vec<ProbeReport> = order
        .iter()
        .map(|id| {
            let per: Vec<(&str, Option<&ProbeReport>)> = inputs
                .iter()
                .zip(&egresses)
                .map(|(input, name)| (name.as_str(), input.summary.probes.iter().find(|p| p.id == *id)))
                .collect();
            merge_probe(&per)
        })
        .collect();
    let mut packs: Vec<String> = Vec::new();
    for p in inputs.iter().flat_map(|i| &i.summary.packs) {
        if !packs.contains(p) {
            packs.push(p.clone());
        }
    }
    Ok(RunSummary {
        schema: SCHEMA_VERSION,
        golive_version: first.summary.golive_version.clone(),
        env: first.summary.env.clone(),
        egress: Some(egresses.join(", ")),
        packs,
        started_at: inputs.iter().map(|i| i.summary.started_at.clone()).min().unwrap_or_default(),
        duration_ms: inputs.iter().map(|i| i.summary.duration_ms).max().unwrap_or(0),
        summary: Counts::of(&probes),
        probes,
        // One environment: the same probes are off whichever egress ran it.
        off: first.summary.off.clone(),
    })
}

/// One probe over every egress; at least one has a report of it.
fn merge_probe(per: &[(&str, Option<&ProbeReport>)]) -> ProbeReport {
    let present = per.iter().filter_map(|(n, r)| r.map(|r| (*n, r)));
    let worst_status = Status::combine(present.clone().map(|(_, r)| r.status));
    let (worst_egress, worst) = present
        .clone()
        .find(|(_, r)| r.status == worst_status)
        .unwrap_or_else(|| unreachable!("a merged probe has a report from at least one egress"));
    let mut merged = worst.clone();
    merged.status = worst_status;
    merged.duration_ms = present.clone().map(|(_, r)| r.duration_ms).max().unwrap_or(0);
    merged.checks = Vec::new();
    let mut statuses = serde_json::Map::new();
    for (name, report) in per {
        match report {
            Some(r) => {
                statuses.insert(name.to_string(), serde_json::Value::from(r.status.as_str()));
                let mut egress = Check::new(format!("egress {name}"), r.status, egress_sentence(name, r));
                // The egress's verdict carries its error class, as its own checks do.
                egress.error_class = r.error_class.filter(|_| matches!(r.status, Status::Fail | Status::Error));
                merged.checks.push(egress);
                for c in &r.checks {
                    let mut c = c.clone();
                    c.name = format!("{name} › {}", c.name);
                    c.message = format!("{name}: {}", c.message);
                    merged.checks.push(c);
                }
            }
            None => {
                statuses.insert(name.to_string(), serde_json::Value::Null);
                merged.checks.push(Check::new(
                    format!("egress {name}"),
                    Status::Skip,
                    format!("egress {name}: not in its report (another selection, or another golive version)"),
                ));
            }
        }
    }
    merged.facts = BTreeMap::from_iter(worst.facts.clone());
    merged.facts.insert("egresses".into(), serde_json::Value::Object(statuses));
    if let Some(d) = merged.diagnosis.as_mut()
        && per.len() > 1
    {
        d.cause = format!("from egress {worst_egress}: {}", d.cause);
    }
    if merged.status == Status::Skip
        && let Some(reason) = merged.reason.as_mut()
    {
        *reason = format!("from egress {worst_egress}: {reason}");
    }
    merged
}

/// What one egress saw of a probe, in a sentence.
fn egress_sentence(name: &str, r: &ProbeReport) -> String {
    match r.status {
        Status::Skip => format!("egress {name}: skip ({})", r.reason.as_deref().unwrap_or("no reason given")),
        status => format!("egress {name}: {status}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(env: &str, egress: Option<&str>, statuses: &[(&str, Status)]) -> RunSummary {
        let probes: Vec<ProbeReport> = statuses
            .iter()
            .map(|(id, s)| ProbeReport {
                id: id.to_string(),
                kind: "http".into(),
                pack: "p".into(),
                env: String::new(),
                title: id.to_string(),
                status: *s,
                started_ms: 0,
                duration_ms: 1,
                reason: None,
                checks: vec![Check::new("status", *s, "x")],
                phases: vec![],
                facts: BTreeMap::new(),
                diagnosis: None,
                error_class: None,
                runbook: vec![],
                tags: vec![],
                shapes: vec![],
                trace: vec![],
                http_status: None,
            })
            .collect();
        RunSummary {
            schema: SCHEMA_VERSION,
            golive_version: "0".into(),
            env: env.into(),
            egress: egress.map(str::to_string),
            packs: vec!["p".into()],
            started_at: String::new(),
            duration_ms: 1,
            summary: Counts::of(&probes),
            probes,
            off: Vec::new(),
        }
    }

    #[test]
    fn a_probe_fails_when_any_egress_fails_it() {
        let a = Input { path: "a.json".into(), summary: report("prod", Some("nat-a"), &[("x", Status::Pass)]) };
        let b = Input { path: "b.json".into(), summary: report("prod", Some("nat-b"), &[("x", Status::Fail)]) };
        let m = merge(&[a, b]).expect("merges");
        assert_eq!(m.probes[0].status, Status::Fail);
        assert_eq!(m.summary.fail, 1);
        assert_eq!(m.egress.as_deref(), Some("nat-a, nat-b"));
        let names: Vec<&str> = m.probes[0].checks.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["egress nat-a", "nat-a › status", "egress nat-b", "nat-b › status"]);
    }

    #[test]
    fn reports_of_two_environments_or_one_egress_twice_do_not_merge() {
        let a = Input { path: "a.json".into(), summary: report("prod", None, &[("x", Status::Pass)]) };
        let b = Input { path: "b.json".into(), summary: report("staging", None, &[("x", Status::Pass)]) };
        assert!(merge(&[a, b]).unwrap_err().0.contains("only reports of one environment merge"));
        let a = Input { path: "x/a.json".into(), summary: report("prod", None, &[("x", Status::Pass)]) };
        let b = Input { path: "y/a.json".into(), summary: report("prod", None, &[("x", Status::Pass)]) };
        assert!(merge(&[a, b]).unwrap_err().0.contains("both from egress `a`"));
    }
}
