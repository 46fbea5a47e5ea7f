//! Probe kind `http`: one request, or ordered steps with captures, polling and
//! cleanup (see [`crate::probe::flow`]), sent with the environment's client
//! certificate and API key when set. The request machinery is [`crate::probe::request`].

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;

use crate::config::ApiKeyAuth;
use crate::probe::flow::resume::ResumeFile;
use crate::probe::flow::{Run, Sent, Step, StepContext, StepEnd};
use crate::probe::request::raw::RawRequest;
use crate::probe::request::{pack_file, pack_mask, probe_lines};
use crate::probe::{BuildContext, Probe, ProbeContext};
use crate::report::{Check, Outcome, Status};

/// A built `http` probe: ordered steps, then cleanup steps that always run.
struct HttpProbe {
    steps: Vec<Step>,
    cleanup: Vec<Step>,
    /// Per step or cleanup step with `after`, by its number: the number of the
    /// earlier step it follows.
    after: std::collections::BTreeMap<usize, usize>,
    auth: Option<ApiKeyAuth>,
    /// Captured names remembered for the next run, and where.
    resume: Option<(ResumeFile, Vec<String>)>,
    /// What the flow creates and no documented route removes, by id.
    leaves: Vec<String>,
}

/// `params` of an `http` probe: one request, or ordered steps.
pub(crate) struct HttpParams;

impl schemars::JsonSchema for HttpParams {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "HttpParams".into()
    }

    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let flow = g.subschema_for::<Flow>();
        let one = g.subschema_for::<RawRequest>();
        schemars::json_schema!({
            "description": "One request (method, url, assertions, ...) or `steps = [...]` with optional `cleanup`.",
            "anyOf": [flow, one]
        })
    }
}

/// The `http` probe's ordered steps (its other form is one request: a [`RawRequest`]).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "HttpFlow")]
pub(crate) struct Flow {
    steps: Vec<RawRequest>,
    #[serde(default)]
    cleanup: Vec<RawRequest>,
    /// Captured names kept in the state folder until the flow completes, so a
    /// run that ends pending is resumed by the next one.
    #[serde(default)]
    resume: Vec<String>,
    /// What the flow creates that no documented route removes, with the
    /// captured ids, e.g. "the test customer ${customerId}": the report lists
    /// each one the run made, so nothing is left unnamed.
    #[serde(default)]
    leaves: Vec<String>,
}

/// Builds an `http` probe: either one request (method, url, ... at the top)
/// or `steps = [...]` with optional `cleanup = [...]`.
pub fn build(params: toml::Table, cx: &BuildContext<'_>) -> Result<Arc<dyn Probe>, String> {
    let message = |e: toml::de::Error| e.message().to_string();
    let flow: Flow = if params.contains_key("steps") {
        toml::Value::Table(params).try_into().map_err(message)?
    } else {
        Flow {
            steps: vec![toml::Value::Table(params).try_into().map_err(message)?],
            cleanup: Vec::new(),
            resume: Vec::new(),
            leaves: Vec::new(),
        }
    };
    let (file, mask, lines) = (pack_file(cx), pack_mask(cx)?, probe_lines(cx));
    let scx = StepContext { pack_file: &file, mask: &mask, lines: &lines };
    let steps = flow
        .steps
        .into_iter()
        .enumerate()
        .map(|(i, s)| Step::compile(s, i + 1, &scx))
        .collect::<Result<Vec<_>, _>>()?;
    let cleanup = flow
        .cleanup
        .into_iter()
        .enumerate()
        .map(|(i, s)| Step::compile(s, steps.len() + i + 1, &scx))
        .collect::<Result<Vec<_>, _>>()?;
    let mut known: std::collections::BTreeSet<String> = Default::default();
    for step in &steps {
        if let Some(missing) = step.needs().iter().find(|n| !known.contains(*n)) {
            return Err(format!("step {} uses `${{{missing}}}`, which no earlier step captures", step.name()));
        }
        known.extend(step.captures().map(str::to_string));
    }
    for step in &cleanup {
        if let Some(missing) = step.needs().iter().find(|n| !known.contains(*n)) {
            return Err(format!("cleanup step {} uses `${{{missing}}}`, which no step captures", step.name()));
        }
    }
    let mut after = std::collections::BTreeMap::new();
    for (i, step) in steps.iter().chain(&cleanup).enumerate() {
        let Some(name) = step.after() else { continue };
        // An earlier step of the flow, by the name the pack gives it.
        match steps[..i.min(steps.len())].iter().find(|s| s.title() == name) {
            Some(earlier) => after.insert(step.number(), earlier.number()),
            None => {
                let names: Vec<String> = steps.iter().map(|s| format!("`{}`", s.title())).collect();
                return Err(format!(
                    "step {}: `after` names `{name}`, which is no earlier step of this flow (its steps: {})",
                    step.name(),
                    names.join(", ")
                ));
            }
        };
    }
    if let Some(name) = flow.resume.iter().find(|n| !known.contains(*n)) {
        return Err(format!("resume names `{name}`, which no step captures"));
    }
    let resume =
        (!flow.resume.is_empty()).then(|| (ResumeFile::new(&cx.env.state_path(), &cx.env.name, cx.id), flow.resume));
    let leaves_needs = std::cell::RefCell::new(std::collections::BTreeSet::new());
    for l in &flow.leaves {
        crate::config::interpolate::interpolate_str(l, &|n| {
            leaves_needs.borrow_mut().insert(n.to_string());
            Some(String::new())
        })?;
    }
    if let Some(name) = leaves_needs.into_inner().iter().find(|n| !known.contains(*n)) {
        return Err(format!("leaves names `${{{name}}}`, which no step captures"));
    }
    Ok(Arc::new(HttpProbe { steps, cleanup, after, auth: cx.pack.auth.clone(), resume, leaves: flow.leaves }))
}

impl HttpProbe {
    /// Why `step` is not run, when it follows (`after`) a step that changed
    /// nothing: one never sent, or refused. A step sent without an answer
    /// may have changed something, so what follows it runs.
    fn not_after(&self, step: &Step, run: &Run<'_>) -> Option<String> {
        let earlier = self.steps.iter().find(|s| Some(&s.number()) == self.after.get(&step.number()))?;
        match run.sent.get(&earlier.number()) {
            Some(Sent::Accepted | Sent::NoAnswer) => None,
            Some(Sent::Refused(status)) => Some(format!(
                "not run: it follows {}, which the partner refused ({status}): that changed nothing",
                earlier.name()
            )),
            None => Some(format!("not run: it follows {}, which was not sent: that changed nothing", earlier.name())),
        }
    }
}

#[async_trait]
impl Probe for HttpProbe {
    async fn run(&self, cx: &ProbeContext) -> Outcome {
        let mut out = Outcome::default();
        let mut run = Run {
            cx,
            auth: self.auth.as_ref(),
            vars: Default::default(),
            typed: Default::default(),
            resume: self.resume.clone(),
            reached_failed_state: false,
            states: Default::default(),
            prefix: self.steps.len() + self.cleanup.len() > 1,
            sent: Default::default(),
        };
        let resuming = run.restore(&mut out);
        // Keep time for the cleanup: it must run even when a step hangs.
        let reserve =
            if self.cleanup.is_empty() { Duration::ZERO } else { (cx.remaining() / 4).min(Duration::from_secs(3)) };
        let main_deadline = cx.deadline - reserve;
        // Why the later steps are not run, once the flow cannot go on.
        let mut stopped: Option<String> = None;
        for step in &self.steps {
            if resuming && step.skip_on_resume() {
                let why = "not sent: resuming with what an earlier run created";
                out.check(Check::new(format!("{} › resumed", step.name()), Status::Skip, why));
                continue;
            }
            if let Some(why) = &stopped {
                out.check(Check::new(format!("{} › not run", step.name()), Status::Skip, why.clone()));
                continue;
            }
            // A value an inferred capture did not find: the steps that use it cannot run.
            if let Some(missing) = step.needs().iter().find(|n| !run.vars.contains_key(*n)) {
                let why = format!(
                    "not run: needs `${{{missing}}}`, which an earlier answer did not carry where golive inferred it"
                );
                out.check(Check::new(format!("{} › not run", step.name()), Status::Skip, why));
                // What it would have changed is not there: the later steps may
                // check it, or rely on it, so the flow ends here.
                if step.mutating() {
                    stopped = Some(format!(
                        "not run: {} was not sent, and the later steps may rely on what it changes",
                        step.name()
                    ));
                }
                continue;
            }
            if let Some(why) = self.not_after(step, &run) {
                out.check(Check::new(format!("{} › not run", step.name()), Status::Skip, why));
                continue;
            }
            stopped = match run.step(step, &mut out, main_deadline).await {
                StepEnd::Passed => None,
                StepEnd::Pending => Some("not run: an earlier step is pending; the next run resumes here".into()),
                StepEnd::Differs => Some(
                    "not run: an earlier answer differs from what golive inferred, and the flow cannot go on past it"
                        .into(),
                ),
                StepEnd::Failed => Some("not run: an earlier step failed".into()),
            };
        }
        // A completed flow, or one that reached a failed state (a declined
        // cardholder), starts afresh next time; a pending or broken one resumes.
        if stopped.is_none() || run.reached_failed_state {
            run.forget(&mut out);
        }
        let signals = out.signals.clone();
        let diagnosis = out.diagnosis.clone();
        for step in &self.cleanup {
            if let Some(missing) = step.needs().iter().find(|n| !run.vars.contains_key(*n)) {
                let why = format!("cleanup not run: needs `${{{missing}}}`, which no step captured");
                out.check(Check::new(format!("{} › not run", step.name()), Status::Skip, why));
                continue;
            }
            if let Some(why) = self.not_after(step, &run) {
                out.check(Check::new(format!("{} › not run", step.name()), Status::Skip, format!("cleanup {why}")));
                continue;
            }
            let mut cleanup = Outcome::default();
            run.step(step, &mut cleanup, cx.deadline).await;
            for mut check in cleanup.checks {
                if matches!(check.status, Status::Fail | Status::Error) {
                    // A failed cleanup leaves test data behind: its own failure, saying what is left.
                    let left = step.on_failure().map(|t| {
                        crate::config::interpolate::interpolate_str(t, &|n| run.vars.get(n).cloned())
                            .unwrap_or_else(|_| t.to_string())
                    });
                    check.status = Status::Fail;
                    check.message = match left {
                        Some(left) => format!("cleanup failed, {left}: {}", check.message),
                        None => format!("cleanup failed: {}", check.message),
                    };
                }
                out.check(check);
            }
            out.phases.extend(cleanup.phases);
            out.shapes.extend(cleanup.shapes);
        }
        // What the run made and nothing removes: named by id, never silently left.
        let left: Vec<String> = self
            .leaves
            .iter()
            .filter_map(|t| crate::config::interpolate::interpolate_str(t, &|n| run.vars.get(n).cloned()).ok())
            .collect();
        if !left.is_empty() {
            out.check(Check::note(
                "left behind",
                format!("this run left on the partner's side, by id: {}", left.join("; ")),
            ));
        }
        // The verdict's signals and diagnosis come from the steps, not the cleanup.
        out.signals = signals;
        out.diagnosis = diagnosis;
        out
    }
}

/// The `http` kind, as [`super::Kind`] (one line in its list).
pub(super) struct Http;

impl super::Kind for Http {
    type Params = super::Raw<HttpParams>;
    const BUILD: super::Build<Self::Params> = |p, cx| build(p.0, cx);

    fn needs(&self, q: &super::Query<'_>) -> Vec<super::Need> {
        use super::Need;
        use crate::config::keys;
        let super::Query { params, env, pack } = *q;
        let mut out = Vec::new();
        if super::needs_api_key(params, pack) {
            out.push(Need::new(keys::API_KEY.name, "the partner's API key its requests carry", env.api_key.is_some()));
        }
        for input in crate::probe::flow::json_inputs(params) {
            out.push(Need::new(
                &input,
                "the JSON file a request sends as its body (the pack's [inputs] says what it holds)",
                env.input_path(&input).is_some(),
            ));
        }
        out
    }

    fn sends(&self, q: &super::Query<'_>) -> Vec<crate::probe::inputs::Sent> {
        let super::Query { params, env, pack } = *q;
        super::api_key_sends(params, env, pack)
    }
}
