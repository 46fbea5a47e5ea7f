//! What a check judged about the partner and how much a miss weighs: every
//! fact of a request (its status, the code golive infers, an assertion, a
//! capture, a poll condition) carries its id and basis into the check that
//! judges it. A documented fact that does not hold fails; an inferred one
//! warns ("the partner's answer differs from what golive inferred"), unless
//! the run is strict (`--strict-contract`, `strict_contract = true`).

use crate::config::positions::StepLines;
use crate::report::{Check, FactMark, Status};
use crate::spec::SourceAt;
use crate::spec::basis::{Basis, FactBasis, RawBasis, fact_id};

/// One fact of a request: its id in the probe and its basis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    /// The id, e.g. `3.status` ([`fact_id`]).
    pub id: String,
    /// How golive knows it.
    pub basis: FactBasis,
    /// Where the pack declares it, when the pack's lines are known.
    pub at: Option<SourceAt>,
}

/// How the facts of one request get their basis: the request's own (its
/// `source`, or `basis = "inferred"` with `why`), else the pack's default for
/// facts that say nothing (your own pack: the fact is held as documented by
/// the pack file itself).
#[derive(Debug, Clone)]
pub struct Bases {
    /// The request's number in its probe.
    pub step: usize,
    /// The request's own basis, if it gives one.
    pub request: Option<FactBasis>,
    /// For facts with no basis anywhere.
    pub fallback: FactBasis,
    /// Where the pack declares the request and its facts.
    pub lines: Option<StepLines>,
}

impl Bases {
    /// The bases of request number `step` with its own keys `raw`, declared
    /// at `lines` in the pack.
    pub fn new(step: usize, raw: &RawBasis, pack_file: &str, lines: Option<&StepLines>) -> Result<Bases, String> {
        let fallback = FactBasis { basis: Basis::Documented, source: Some(pack_file.to_string()), why: None };
        Ok(Bases { step, request: raw.resolve(None)?, fallback, lines: lines.cloned() })
    }

    /// Where the pack declares the fact in `slot` (else its request).
    pub fn at(&self, slot: &str) -> Option<SourceAt> {
        self.lines.as_ref().map(|l| l.of(slot))
    }

    /// The fact in `slot` with its own keys `own`, under `parent` (a poll's
    /// basis) or the request's.
    pub fn fact(&self, slot: &str, own: &RawBasis, parent: Option<&FactBasis>) -> Result<Fact, String> {
        let inherited = parent.or(self.request.as_ref());
        let basis = own.resolve(inherited)?.unwrap_or_else(|| self.fallback.clone());
        Ok(Fact { id: fact_id(self.step, slot), basis, at: self.at(slot) })
    }

    /// The basis a poll passes to its conditions: its own, else the request's.
    pub fn poll(&self, own: &RawBasis) -> Result<Option<FactBasis>, String> {
        own.resolve(self.request.as_ref())
    }
}

impl Fact {
    /// Whether golive inferred it.
    pub fn inferred(&self) -> bool {
        self.basis.inferred()
    }

    /// Marks `check` as judging this fact; `held` is whether the answer bore
    /// it out. A failed check of an inferred fact becomes a warning that
    /// says so, unless `strict`.
    pub fn mark(&self, check: &mut Check, held: Option<bool>, strict: bool) {
        self.attach(check, held);
        if self.inferred() && check.status == Status::Fail {
            let why = self.basis.why.as_deref().unwrap_or("no page shows it");
            if strict {
                check.message =
                    format!("{} (an inferred fact: {why}; held as a hard check by --strict-contract)", check.message);
            } else {
                check.status = Status::Warn;
                check.message = format!("{DIFFERS} ({why}): {}{REPORT_IT}", check.message);
            }
        }
    }

    /// Marks `check`, whose value was found only at one of the pack's
    /// alternative paths, as refuting this fact at its own path. The flow has
    /// its value, so an inferred fact is a passing note (the contract report
    /// counts the refutation) unless `strict`; a documented one fails.
    pub fn found_elsewhere(&self, check: &mut Check, strict: bool) {
        self.held_otherwise(check, strict, "the other place");
    }

    /// Marks `check`, whose answer bore out one of the pack's declared
    /// alternatives to this fact (another path, another encoding) and not the
    /// fact itself, `inferred` being what golive inferred instead (e.g. "hex").
    /// The integration works: an inferred fact is a passing note refuting it
    /// (counted by the contract report) unless `strict`; a documented one fails.
    pub fn held_otherwise(&self, check: &mut Check, strict: bool, inferred: &str) {
        check.status = Status::Fail;
        if self.inferred() && !strict {
            let why = self.basis.why.as_deref().unwrap_or("no page shows it");
            check.status = Status::Pass;
            check.note = true;
            check.message = format!("note: {} (golive inferred {inferred}: {why}){REPORT_IT}", check.message);
            self.attach(check, Some(false));
        } else {
            self.mark(check, Some(false), strict);
        }
    }

    /// Marks `check` as judging this fact without weighing it: its status
    /// stands (an answer about access fails whatever golive inferred).
    pub fn attach(&self, check: &mut Check, held: Option<bool>) {
        if let Some(at) = &self.at {
            check.at = Some(Box::new(at.clone()));
        }
        check.fact = Some(Box::new(FactMark {
            fact: self.id.clone(),
            basis: self.basis.basis,
            source: self.basis.source.clone(),
            why: self.basis.why.clone(),
            held,
        }));
    }
}

/// How a warning about an inferred fact that did not hold begins.
const DIFFERS: &str = "the partner's answer differs from what golive inferred";
/// How it ends.
const REPORT_IT: &str = "; report it to the pack's maintainer (golive contract report)";

/// What a check said of the answer, without the words that mark an inferred
/// fact's warning, nor the step named before them (the fact's step and `why`
/// are shown beside it anyway).
pub fn what_was_answered<'a>(message: &'a str, why: Option<&str>) -> &'a str {
    let why = why.unwrap_or("no page shows it");
    let message = message.strip_suffix(REPORT_IT).unwrap_or(message);
    // A note: the answer bore out one of the pack's alternatives (`held_otherwise`).
    if let Some(rest) = message.strip_prefix("note: ") {
        let at = rest.rfind(" (golive inferred ").filter(|_| rest.ends_with(&format!(": {why})")));
        return at.map_or(rest, |at| &rest[..at]);
    }
    let prefix = format!("{DIFFERS} ({why}): ");
    message.find(prefix.as_str()).map_or(message, |at| &message[at + prefix.len()..])
}

/// Whether an answer speaks about access, rate or the partner's health
/// rather than the request: 401, 403, 407, 429 and 5xx. Such an answer
/// neither confirms nor refutes an inferred status: it stays a failure.
pub fn about_access_or_health(status: u16) -> bool {
    matches!(status, 401 | 403 | 407 | 429) || status >= 500
}
