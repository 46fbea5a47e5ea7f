//! Judging the recording: every traffic rule of every pack sees each exchange
//! once, in one pass over the file (in the order the exchanges ended, which
//! keeps "B came after A's answer" true for B after A), and keeps only the
//! little state it needs, so a recording of any length is judged in flat
//! memory. The rules themselves are [`super::rules`]; the Prometheus check is
//! [`super::alerts`].

use std::collections::HashMap;
use std::path::Path;

use super::command::CommandEnd;
use super::logs::LogMeter;
use super::record::{self, Exchange};
use crate::config::Pack;
use crate::config::observe::{FaultSpec, RuleCheck, RuleSpec};
use crate::report::{Check, Status};

/// At most this many violations of one rule are cited (the rest are counted).
pub const CITED: usize = 5;

/// What a rule concluded.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Its status.
    pub status: Status,
    /// Its checks: what was found, one sentence each.
    pub checks: Vec<Check>,
    /// Why it judged nothing, for a skip.
    pub reason: Option<String>,
    /// The exchanges it cites (evidence trace).
    pub cited: Vec<Exchange>,
}

impl Verdict {
    /// Nothing to judge, and why.
    pub fn skip(reason: impl Into<String>) -> Verdict {
        Verdict { status: Status::Skip, checks: Vec::new(), reason: Some(reason.into()), cited: Vec::new() }
    }

    /// A verdict from its checks: the heaviest status wins.
    pub fn of(checks: Vec<Check>, cited: Vec<Exchange>) -> Verdict {
        Verdict { status: Status::combine(checks.iter().map(|c| c.status)), checks, reason: None, cited }
    }
}

/// What every rule may consult when it concludes.
pub struct Context<'a> {
    /// How the command ended; `None` when the front served without one (`--listen`).
    pub command: Option<&'a CommandEnd>,
    /// The command's log, when there is one.
    pub log: Option<&'a LogMeter>,
    /// The faults of this run's plan for the rule's pack.
    pub plan: &'a [FaultSpec],
    /// The pack's faults, whether in the plan or not.
    pub declared: &'a [FaultSpec],
    /// Requests per route of the rule's pack.
    pub requests: &'a HashMap<String, u64>,
    /// Exchanges each fault of the rule's pack was injected into, by fault id.
    pub fired: &'a HashMap<String, Vec<u64>>,
}

impl Context<'_> {
    /// Why a fault did not fire, in a sentence: not in the plan, or its route
    /// not called often enough.
    pub fn not_fired(&self, fault: &str) -> String {
        match self.plan.iter().find(|f| f.id == fault) {
            None if self.declared.iter().any(|f| f.id == fault) => {
                format!("the fault {fault} is not in this run's plan (--faults all, or a set that has it)")
            }
            None => format!("no fault {fault} in this pack"),
            Some(f) => {
                let n = self.requests.get(f.route.as_str()).copied().unwrap_or(0);
                format!(
                    "the fault {fault} ({} on {}, request {} to that route) never fired: the command sent {n} such request{}",
                    f.what(),
                    f.route,
                    f.nth,
                    if n == 1 { "" } else { "s" }
                )
            }
        }
    }
}

/// A rule judging traffic: it sees each exchange of its pack, then concludes.
pub trait Judge {
    /// One exchange, in the order exchanges ended.
    fn see(&mut self, x: &Exchange);
    /// The verdict, once every exchange was seen.
    fn verdict(self: Box<Self>, ctx: &Context<'_>) -> Verdict;
}

/// One pack's part of a run: the pack and its fault plan.
pub struct PackRun<'a> {
    /// The pack.
    pub pack: &'a Pack,
    /// Its faults in this run.
    pub plan: &'a [FaultSpec],
}

/// Judges every traffic rule of every pack on the recording at `path`;
/// returns, per pack, each rule with its verdict (alerts rules excluded:
/// they ask Prometheus, not the traffic).
pub fn judge(
    path: &Path,
    runs: &[PackRun<'_>],
    command: Option<&CommandEnd>,
    log: Option<&LogMeter>,
) -> Result<Vec<Vec<(RuleSpec, Verdict)>>, String> {
    let mut judges: Vec<Vec<(RuleSpec, Box<dyn Judge>)>> = runs
        .iter()
        .map(|r| {
            r.pack
                .observe
                .rules
                .iter()
                .filter(|rule| !matches!(rule.check, RuleCheck::Alerts { .. }))
                .filter_map(|rule| super::rules::judge_for(rule).map(|j| (rule.clone(), j)))
                .collect()
        })
        .collect();
    let mut requests: Vec<HashMap<String, u64>> = runs.iter().map(|_| HashMap::new()).collect();
    let mut fired: Vec<HashMap<String, Vec<u64>>> = runs.iter().map(|_| HashMap::new()).collect();
    for x in record::read(path)? {
        let x = x?;
        let Some(i) = runs.iter().position(|r| r.pack.name == x.pack) else { continue };
        *requests[i].entry(x.route_key()).or_default() += 1;
        if let Some(f) = &x.fault {
            let seqs = fired[i].entry(f.clone()).or_default();
            if seqs.len() < 1000 {
                seqs.push(x.seq);
            }
        }
        for (_, judge) in &mut judges[i] {
            judge.see(&x);
        }
    }
    Ok(judges
        .into_iter()
        .enumerate()
        .map(|(i, rules)| {
            let ctx = Context {
                command,
                log,
                plan: runs[i].plan,
                declared: &runs[i].pack.observe.faults,
                requests: &requests[i],
                fired: &fired[i],
            };
            rules.into_iter().map(|(rule, judge)| (rule, judge.verdict(&ctx))).collect()
        })
        .collect())
}

/// Cited violations as failing checks: the first [`CITED`], then how many more.
pub fn violations(name: &str, found: Vec<String>, total: usize) -> Vec<Check> {
    let mut checks: Vec<Check> = found.into_iter().map(|m| Check::new(name, Status::Fail, m)).collect();
    if total > checks.len() {
        checks.push(Check::new(name, Status::Fail, format!("and {} more like these", total - checks.len())));
    }
    checks
}
