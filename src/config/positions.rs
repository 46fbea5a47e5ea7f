//! Where a pack declares each request of a probe and each of its facts, read
//! from the parsed document's spans when the pack loads: the line of every
//! step (its `[[probe.params.steps]]` header, or its `{` when written inline),
//! of every assertion, capture and poll condition, and of `expect_status`.
//! Requests are numbered as [`super::facts::requests`] and the fact ids of
//! [`crate::spec::basis::fact_id`] number them (steps, then cleanup), so a
//! check that judged fact `3.assert.2` finds its line here.

use std::sync::Arc;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::spec::SourceAt;

/// The positions of one probe's requests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProbeLines {
    /// The `[[probe]]` table itself.
    pub probe: Option<SourceAt>,
    /// Each request, in fact order: request `n` is `steps[n - 1]`.
    steps: Vec<StepLines>,
}

/// The positions of one request and of the facts it declares on lines of their own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepLines {
    /// The request's table.
    pub at: SourceAt,
    /// Each fact slot (`status`, `assert.2`, `capture.id`, `poll.until.1`)
    /// and its line in the same file.
    slots: Vec<(Box<str>, u32)>,
}

impl ProbeLines {
    /// Request number `n` (from 1, as fact ids number them).
    pub fn step(&self, n: usize) -> Option<&StepLines> {
        n.checked_sub(1).and_then(|i| self.steps.get(i))
    }
}

impl StepLines {
    /// The line of the fact in `slot`, else the request's own.
    pub fn of(&self, slot: &str) -> SourceAt {
        match self.slots.iter().find(|(s, _)| &**s == slot) {
            Some((_, line)) => SourceAt::new(self.at.file.clone(), *line),
            None => self.at.clone(),
        }
    }
}

/// Turns byte offsets of one text into line numbers.
pub struct Lines {
    file: Arc<str>,
    /// Where each line after the first starts.
    starts: Vec<usize>,
}

impl Lines {
    /// The line index of `text`, whose positions are named `file`.
    pub fn new(file: &str, text: &str) -> Lines {
        let starts = text.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i + 1).collect();
        Lines { file: file.into(), starts }
    }

    fn line(&self, offset: usize) -> u32 {
        (self.starts.partition_point(|s| *s <= offset) + 1) as u32
    }

    fn at(&self, offset: usize) -> SourceAt {
        SourceAt::new(self.file.clone(), self.line(offset))
    }
}

/// The positions of every `[[probe]]` of a parsed pack, in file order (one
/// entry per element of `probe`, whatever it holds).
pub fn of_pack(doc: &DeTable<'_>, lines: &Lines) -> Vec<ProbeLines> {
    let Some(probes) = get(doc, "probe").and_then(|p| p.get_ref().as_array()) else { return Vec::new() };
    probes.iter().map(|p| of_probe(p, lines)).collect()
}

fn of_probe(probe: &Spanned<DeValue<'_>>, lines: &Lines) -> ProbeLines {
    let at = Some(lines.at(probe.span().start));
    let Some(params) = probe.get_ref().as_table().and_then(|t| get(t, "params")) else {
        return ProbeLines { probe: at, steps: Vec::new() };
    };
    ProbeLines { probe: at, steps: requests(params).into_iter().map(|s| of_step(s, lines)).collect() }
}

/// The request tables of a probe's parameters, as [`super::facts::requests`]
/// lists them: `steps` then `cleanup`, or the parameters as one request.
fn requests<'a, 'i>(params: &'a Spanned<DeValue<'i>>) -> Vec<&'a Spanned<DeValue<'i>>> {
    let Some(table) = params.get_ref().as_table() else { return Vec::new() };
    if get(table, "steps").is_none() {
        return if get(table, "url").is_some() { vec![params] } else { Vec::new() };
    }
    ["steps", "cleanup"]
        .iter()
        .filter_map(|k| get(table, k).and_then(|v| v.get_ref().as_array()))
        .flat_map(|a| a.iter())
        .filter(|v| v.get_ref().is_table())
        .collect()
}

fn of_step(step: &Spanned<DeValue<'_>>, lines: &Lines) -> StepLines {
    let mut slots = Vec::new();
    let mut slot = |name: String, offset: usize| slots.push((name.into_boxed_str(), lines.line(offset)));
    let table = step.get_ref().as_table();
    let key = |k: &str| table.and_then(|t| get(t, k));
    for (k, name) in [("expect_status", "status"), ("inferred_status", "inferred_status")] {
        if let Some(v) = key(k) {
            slot(name.into(), v.span().start);
        }
    }
    for (n, a) in key("assert").and_then(|v| v.get_ref().as_array()).into_iter().flat_map(|a| a.iter()).enumerate() {
        slot(format!("assert.{}", n + 1), a.span().start);
    }
    for (name, _) in key("capture").and_then(|v| v.get_ref().as_table()).into_iter().flatten() {
        slot(format!("capture.{}", name.get_ref()), name.span().start);
    }
    if let Some(poll) = key("poll").and_then(|v| v.get_ref().as_table()) {
        for list in ["until", "fail_if"] {
            for (n, a) in
                get(poll, list).and_then(|v| v.get_ref().as_array()).into_iter().flat_map(|a| a.iter()).enumerate()
            {
                slot(format!("poll.{list}.{}", n + 1), a.span().start);
            }
        }
    }
    StepLines { at: lines.at(step.span().start), slots }
}

/// The value of `key` in a parsed table.
fn get<'a, 'i>(table: &'a DeTable<'i>, key: &str) -> Option<&'a Spanned<DeValue<'i>>> {
    table.iter().find(|(k, _)| k.get_ref() == key).map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{SourceFile, pack};

    /// Every way a pack may write a request and its facts, each on a known line.
    const PACK: &str = r#"[pack]
name = "t"
title = "T"
runbook = "t"

[[probe]]
id = "flow"
kind = "http"
title = "Flow"
[[probe.params.steps]]
url = "${base_url}/a"
expect_status = 201
capture = { id = "$.id" }
[[probe.params.steps.assert]]
path = "$.id"
type = "integer"
[[probe.params.steps]]
url = "${base_url}/a/${id}"
poll = { attempts = 3, until = [
  { path = "$.state", equals = "done" },
], fail_if = [{ path = "$.state", equals = "failed" }] }
[probe.params.steps.capture]
state = "$.state"
[[probe.params.cleanup]]
method = "DELETE"
url = "${base_url}/a/${id}"

[[probe]]
id = "one"
kind = "http"
title = "One request"
[probe.params]
url = "${base_url}/b"
assert = [{ path = "$.ok", equals = true }]

[[probe]]
id = "inline"
kind = "http"
title = "Inline steps"
params = { steps = [
  { url = "${base_url}/c" },
] }
"#;

    fn line(lines: &ProbeLines, step: usize, slot: &str) -> u32 {
        lines.step(step).unwrap_or_else(|| panic!("step {step}")).of(slot).line
    }

    #[test]
    fn every_request_and_fact_keeps_the_line_that_declares_it() {
        let pack = pack::parse(SourceFile { path: "nimbus.toml".into(), text: PACK.into() }).expect("pack");
        let flow = &pack.probes[0].lines;
        assert_eq!(flow.probe.as_ref().map(ToString::to_string).as_deref(), Some("nimbus.toml:6"));
        assert_eq!(line(flow, 1, "request"), 10, "a step: its [[...steps]] header");
        assert_eq!(line(flow, 1, "status"), 12);
        assert_eq!(line(flow, 1, "capture.id"), 13);
        assert_eq!(line(flow, 1, "assert.1"), 14, "an assertion table: its header");
        assert_eq!(line(flow, 2, "request"), 17);
        assert_eq!(line(flow, 2, "status"), 17, "no expect_status: the step's line");
        assert_eq!(line(flow, 2, "poll.until.1"), 20);
        assert_eq!(line(flow, 2, "poll.fail_if.1"), 21);
        assert_eq!(line(flow, 2, "capture.state"), 23);
        assert_eq!(line(flow, 3, "request"), 24, "cleanup is numbered after the steps");
        assert!(flow.step(4).is_none() && flow.step(0).is_none());
        let one = &pack.probes[1].lines;
        assert_eq!((line(one, 1, "request"), line(one, 1, "assert.1")), (32, 34), "one request: its params");
        assert_eq!(line(&pack.probes[2].lines, 1, "request"), 41, "an inline step: its `{{`");
    }
}
