//! The report model: what a run produced, computed once, rendered many ways.
//!
//! Renderers only read these types; probes only produce [`Outcome`]s, which the
//! runner turns into [`ProbeReport`]s.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::spec::{Basis, Diagnosis, ErrorClass, RunbookRef, Signals, SourceAt};

/// The verdict of a check, a probe or a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The thing checked is right.
    Pass,
    /// Right for now, but needs attention (e.g. a certificate expiring soon).
    Warn,
    /// The thing checked is wrong.
    Fail,
    /// No verdict could be reached (timeout, network down, panic).
    Error,
    /// Not run, with a reason (a dependency did not pass, a mutation not allowed).
    Skip,
}

impl Status {
    /// The lower-case name used in every output.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Error => "error",
            Status::Skip => "skip",
        }
    }

    /// How much this status weighs when checks are combined into a probe verdict:
    /// a failure outweighs an error (the exit code prefers "wrong" over "unknown").
    fn weight(self) -> u8 {
        match self {
            Status::Skip => 0,
            Status::Pass => 1,
            Status::Warn => 2,
            Status::Error => 3,
            Status::Fail => 4,
        }
    }

    /// The combined verdict of several checks: the heaviest status wins; no
    /// checks at all is an `error` (a probe that checked nothing proved nothing).
    pub fn combine(statuses: impl IntoIterator<Item = Status>) -> Status {
        statuses.into_iter().max_by_key(|s| s.weight()).unwrap_or(Status::Error)
    }

    /// Whether a dependent probe may run after a dependency ended with this status.
    pub fn satisfies_dependency(self) -> bool {
        match self {
            Status::Pass | Status::Warn => true,
            Status::Fail | Status::Error | Status::Skip => false,
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing a probe checked, with what it expected and what it saw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Check {
    /// Short name of the check, e.g. `status` or `$.items`.
    pub name: String,
    /// The verdict of this check alone.
    pub status: Status,
    /// A sentence saying what was found.
    pub message: String,
    /// What the check expected, when that is a value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// What the check saw, when that is a value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
    /// Whether this is a note: a passing check that carries advice, worth
    /// showing even when the probe passed. Made by [`Check::note`], whose
    /// message starts `note: ` for every reader; renderers ask this field.
    #[serde(skip)]
    pub note: bool,
    /// The partner fact this check judged and how golive knows it (`fact`,
    /// `basis`, `source` or `why`, `held`): set on every check of an answer
    /// to a pack's request (status, assertions, captures, poll conditions);
    /// absent on golive's own checks (transport, resume, skips).
    #[serde(flatten)]
    pub fact: Option<Box<FactMark>>,
    /// The stable error class of a check that failed or reached no verdict
    /// (`unknown-ca`, `http-status`, ...): the kind's own, else the probe's
    /// (the runner fills it in); absent on every other check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_class: Option<ErrorClass>,
    /// Where the pack declares what this check judged, `file:line` (e.g.
    /// `nimbus.toml:42`): the assertion, capture or poll condition itself,
    /// else its request, else the probe; absent where no pack line asked
    /// for the check. Not `source`, which is a fact's documentation page.
    /// Boxed, as `fact`: a check stays small where it is an error value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Box<SourceAt>>,
}

/// The partner fact a check judged, and how golive knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FactMark {
    /// The fact's id in its probe, e.g. `3.status` or `3.assert.2` (step
    /// number, then the fact): the same in every run of the same pack.
    pub fact: String,
    /// `documented` (a published page shows it) or `inferred` (golive's guess).
    pub basis: Basis,
    /// The page that documents it, for a documented fact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// From what golive infers it, for an inferred fact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    /// Whether this answer bore the fact out: `true` confirmed, `false`
    /// refuted; absent when the answer could not tell (a field checked only
    /// when present, a status about access or the server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held: Option<bool>,
}

/// The shape of one answer a probe received: its status and the JSON paths
/// of its body with their types, never a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AnswerShape {
    /// The request's number in its probe (facts are numbered by it).
    pub step: usize,
    /// The method and URL, with values captured during the run still shown
    /// as their `${name}` (the base URL is the environment's).
    pub request: String,
    /// The HTTP status.
    pub status: u16,
    /// What the body is: `json`, `empty`, `html`, `text` or `binary`.
    pub body: String,
    /// Each JSON path (arrays as `[*]`) and its type (`string`, `integer`,
    /// `number`, `boolean`, `null`, `object`, `array`; `a|b` when items differ).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub paths: BTreeMap<String, String>,
}

impl Check {
    /// A check with a status and message and no expected/actual values.
    pub fn new(name: impl Into<String>, status: Status, message: impl Into<String>) -> Self {
        Check {
            name: name.into(),
            status,
            message: message.into(),
            expected: None,
            actual: None,
            note: false,
            fact: None,
            error_class: None,
            at: None,
        }
    }

    /// A note: a passing check that carries advice (its message reads `note: <advice>`).
    pub fn note(name: impl Into<String>, advice: impl std::fmt::Display) -> Self {
        Check { note: true, ..Check::new(name, Status::Pass, format!("note: {advice}")) }
    }

    /// Sets the error class this check has if it fails (the runner keeps it
    /// only on a check that ends `fail` or `error`).
    pub fn classed(mut self, class: ErrorClass) -> Self {
        self.error_class = Some(class);
        self
    }

    /// Adds the expected and actual values.
    pub fn with_values(mut self, expected: impl Into<String>, actual: impl Into<String>) -> Self {
        self.expected = Some(expected.into());
        self.actual = Some(actual.into());
        self
    }
}

/// A timed phase of a probe (dns, connect, tls, request).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Phase {
    /// The phase name.
    pub name: String,
    /// How long it took.
    pub duration_ms: u64,
}

/// What a probe kind returns: structure, never a bool.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    /// Every check made, in order.
    pub checks: Vec<Check>,
    /// Timed phases.
    pub phases: Vec<Phase>,
    /// Typed facts (TLS subject, days left, ...), shown in reports and evidence.
    pub facts: BTreeMap<String, serde_json::Value>,
    /// The probe kind's own diagnosis, used when no pack diagnosis matches.
    pub diagnosis: Option<Diagnosis>,
    /// What pack diagnoses may match on.
    pub signals: Signals,
    /// The HTTP status of the probe's final answer, typed (the `status` fact
    /// shows it to readers): set by [`Outcome::answered`].
    pub http_status: Option<u16>,
    /// The shape of every answer received, in order.
    pub shapes: Vec<AnswerShape>,
}

impl Outcome {
    /// Adds a check.
    pub fn check(&mut self, check: Check) -> &mut Self {
        self.checks.push(check);
        self
    }

    /// Records the HTTP status of the probe's final answer: the `status` fact
    /// reports show and the typed [`Outcome::http_status`] the watch counts.
    pub fn answered(&mut self, status: u16) -> &mut Self {
        self.http_status = Some(status);
        self.fact("status", status)
    }

    /// Records a fact.
    pub fn fact(&mut self, key: &str, value: impl Into<serde_json::Value>) -> &mut Self {
        self.facts.insert(key.to_string(), value.into());
        self
    }

    /// Takes what `other` learnt of its answer (facts, shapes, the final
    /// status, signals and, when it has one, its diagnosis); its checks and
    /// phases are the caller's to place.
    pub fn take_answer(&mut self, other: Outcome) {
        self.facts.extend(other.facts);
        self.shapes.extend(other.shapes);
        self.http_status = other.http_status.or(self.http_status);
        self.signals = other.signals;
        if other.diagnosis.is_some() {
            self.diagnosis = other.diagnosis;
        }
    }

    /// The verdict of all checks.
    pub fn status(&self) -> Status {
        Status::combine(self.checks.iter().map(|c| c.status))
    }
}

/// The report of one probe, as every renderer sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ProbeReport {
    /// The probe id, unique in the run.
    pub id: String,
    /// The probe kind exactly as the pack names it.
    pub kind: String,
    /// The pack the probe comes from.
    pub pack: String,
    /// The environment it ran in (a run may have several: `--env a --env b`, a group).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub env: String,
    /// A human title.
    pub title: String,
    /// The verdict.
    pub status: Status,
    /// When the probe started, in milliseconds from the run's start (0 for
    /// a probe that did not run): where the report's timeline puts it.
    #[serde(default)]
    pub started_ms: u64,
    /// Wall time of the probe.
    pub duration_ms: u64,
    /// Why it was skipped, for `skip`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Every check.
    pub checks: Vec<Check>,
    /// Timed phases.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phases: Vec<Phase>,
    /// Typed facts.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub facts: BTreeMap<String, serde_json::Value>,
    /// The HTTP status of the probe's final answer ([`Outcome::http_status`]);
    /// the JSON report shows it as the `status` fact.
    #[serde(skip)]
    pub http_status: Option<u16>,
    /// The stable error class of a probe that failed or reached no verdict:
    /// what its kind said, else the class of its first such check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_class: Option<ErrorClass>,
    /// Cause and fix, for a probe that did not pass.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagnosis: Option<Diagnosis>,
    /// The runbook items this probe proves.
    pub runbook: Vec<RunbookRef>,
    /// The probe's tags.
    pub tags: Vec<String>,
    /// The shape of every answer the probe received (status, JSON paths and
    /// types, never values), for `golive contract report` and the pack's maintainer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shapes: Vec<AnswerShape>,
    /// Every request, DNS answer, handshake and state transition the probe saw
    /// (redacted); written to the evidence folder, not to the report.
    #[serde(skip)]
    pub trace: Vec<serde_json::Value>,
}

/// A probe an environment leaves out of the run, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OffProbe {
    /// The probe id.
    pub id: String,
    /// Its pack.
    pub pack: String,
    /// The environment that leaves it out.
    pub env: String,
    /// What keeps it off, e.g. "checks the optional feature `wallets`, which ...".
    pub why: String,
    /// How to turn it on.
    pub fix: String,
}

/// Counts of probes by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Counts {
    /// Probes that passed.
    pub pass: usize,
    /// Probes that warned.
    pub warn: usize,
    /// Probes that failed.
    pub fail: usize,
    /// Probes that reached no verdict.
    pub error: usize,
    /// Probes that were skipped.
    pub skip: usize,
}

impl Counts {
    /// Counts the statuses of the given probes.
    pub fn of<'a>(probes: impl IntoIterator<Item = &'a ProbeReport>) -> Counts {
        let mut counts = Counts::default();
        for probe in probes {
            match probe.status {
                Status::Pass => counts.pass += 1,
                Status::Warn => counts.warn += 1,
                Status::Fail => counts.fail += 1,
                Status::Error => counts.error += 1,
                Status::Skip => counts.skip += 1,
            }
        }
        counts
    }

    /// Total number of probes.
    pub fn total(&self) -> usize {
        self.pass + self.warn + self.fail + self.error + self.skip
    }
}

/// The version of the JSON report document.
pub const SCHEMA_VERSION: u32 = 1;

/// The whole run: the stable, versioned document behind `--format json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RunSummary {
    /// Always [`SCHEMA_VERSION`].
    pub schema: u32,
    /// golive's version.
    pub golive_version: String,
    /// The environment name.
    pub env: String,
    /// The network the run's requests left from (`--egress NAME`); for a
    /// merged report (`golive report merge`), every egress, comma-separated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub egress: Option<String>,
    /// The packs that were run.
    pub packs: Vec<String>,
    /// When the run started, RFC 3339.
    pub started_at: String,
    /// Wall time of the run.
    pub duration_ms: u64,
    /// Counts by status.
    pub summary: Counts,
    /// Every probe, in plan order.
    pub probes: Vec<ProbeReport>,
    /// The probes the environment leaves out (a feature it does not enable,
    /// another stage), each with why and how to turn it on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub off: Vec<OffProbe>,
}

impl ProbeReport {
    /// The checks that did not pass: what a reader must look at.
    pub fn findings(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.status != Status::Pass)
    }

    /// Passing checks that carry advice ([`Check::note`]), worth showing even
    /// when the probe passed.
    pub fn notes(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.note && c.status == Status::Pass)
    }

    /// The runbook section this probe is grouped under.
    pub fn section(&self) -> String {
        self.runbook.first().map_or_else(|| "Other checks".to_string(), |r| format!("{} › {}", r.runbook, r.section))
    }
}

impl RunSummary {
    /// The environments the probes ran in, in order of first appearance.
    pub fn envs(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for p in self.probes.iter().filter(|p| !p.env.is_empty()) {
            if !out.contains(&p.env.as_str()) {
                out.push(&p.env);
            }
        }
        out
    }

    /// Probes grouped by runbook section, sections in order of first
    /// appearance; in a run of several environments, by environment first
    /// (`env staging › axys-program-launch › Phase 1`).
    pub fn by_section(&self) -> Vec<(String, Vec<&ProbeReport>)> {
        let several = self.envs().len() > 1;
        let mut groups: Vec<(String, Vec<&ProbeReport>)> = Vec::new();
        for p in &self.probes {
            let section = if several { format!("env {} › {}", p.env, p.section()) } else { p.section() };
            match groups.iter_mut().find(|(s, _)| *s == section) {
                Some((_, list)) => list.push(p),
                None => groups.push((section, vec![p])),
            }
        }
        groups
    }
}
