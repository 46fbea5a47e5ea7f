//! The plan: which probes run, bound to which environment, in what order.
//!
//! `--only`, `--skip` and `--tag` select probes; the dependencies of a selected
//! probe are pulled in (a probe cannot be judged without what it needs), unless
//! the user excluded them with `--skip`, in which case the dependent is skipped
//! naming the excluded dependency. Parameters are interpolated with the
//! environment's values here, so a probe only ever sees validated input.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use crate::config::interpolate::interpolate_value;
use crate::config::{ConfigError, DiagnosisRule, Environment, Pack, ProbeSpec};
use crate::net::Clients;
use crate::probe::{BuildContext, Probe, inputs};
use crate::redact::Redactor;
use crate::report::OffProbe;
use crate::spec::{Diagnosis, Signals};

/// Which probes the user asked for.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Only these ids (and what they depend on); empty means all.
    pub only: Vec<String>,
    /// Never these ids.
    pub skip: Vec<String>,
    /// Only probes with at least one of these tags; empty means all.
    pub tags: Vec<String>,
}

/// An environment bound to a pack, with the clients its probes share.
pub struct Target {
    /// The environment.
    pub env: Arc<Environment>,
    /// The pack.
    pub pack: Arc<Pack>,
    /// Clients shared by every probe of this target.
    pub clients: Arc<Clients>,
}

/// One probe ready to run.
pub struct PlannedProbe {
    /// Its declaration.
    pub spec: ProbeSpec,
    /// The index of its target in [`Plan::targets`].
    pub target: usize,
    /// The runnable probe.
    pub probe: Arc<dyn Probe>,
    /// Indices (in [`Plan::probes`]) of the probes it depends on.
    pub deps: Vec<usize>,
    /// Dependencies the user excluded with `--skip`.
    pub excluded_deps: Vec<String>,
    /// Whether it runs only because a selected probe depends on it.
    pub pulled_in: bool,
    /// Its diagnoses, then its pack's.
    pub diagnoses: Vec<DiagnosisRule>,
    /// In a plan made for listing ([`Plan::for_listing`]): the `${name}` its
    /// parameters use and the environment does not set. `verify` refuses
    /// such a probe (it is never built); `golive list` shows what it needs.
    pub needs: Option<String>,
}

impl PlannedProbe {
    /// The diagnosis of the first rule that matches the signals: the probe's
    /// own rules, then its pack's. A pack-wide rule does not match an HTTP
    /// answer from elsewhere than the partner's API (a URL under `base_url`):
    /// a merchant's webhook endpoint or website answering 401 or 5xx is not the
    /// partner rejecting a key or failing.
    pub fn diagnose(&self, signals: &Signals, base_url: Option<&reqwest::Url>) -> Option<Diagnosis> {
        let (own, pack) = self.diagnoses.split_at(self.spec.diagnoses.len().min(self.diagnoses.len()));
        let from_partner = match (&signals.url, base_url) {
            (Some(url), Some(base)) => reqwest::Url::parse(url)
                .is_ok_and(|u| u.origin() == base.origin() && u.path().starts_with(base.path().trim_end_matches('/'))),
            _ => true,
        };
        let pack: &[DiagnosisRule] = if from_partner { pack } else { &[] };
        DiagnosisRule::first_match(own.iter().chain(pack), signals)
    }
}

/// The whole plan of a run.
pub struct Plan {
    /// The environment's name as the user gave it.
    pub env_name: String,
    /// Environments bound to packs.
    pub targets: Vec<Target>,
    /// Probes in declaration order.
    pub probes: Vec<PlannedProbe>,
    /// The probes the selection asks for that their environment leaves out
    /// (see [`off`]), for the report to say so.
    pub off: Vec<OffProbe>,
}

impl Plan {
    /// Builds the plan for `targets` with the user's selection; a probe whose
    /// `${name}` the environment does not set is a configuration error.
    pub fn build(env_name: &str, targets: Vec<(Environment, Pack)>, sel: &Selection) -> Result<Plan, ConfigError> {
        Plan::make(env_name, targets, sel, false)
    }

    /// The plan to show, not to run (`golive list`): a probe whose `${name}`
    /// the environment does not set is kept, with [`PlannedProbe::needs`]
    /// naming the value, and never built.
    pub fn for_listing(
        env_name: &str,
        targets: Vec<(Environment, Pack)>,
        sel: &Selection,
    ) -> Result<Plan, ConfigError> {
        Plan::make(env_name, targets, sel, true)
    }

    fn make(
        env_name: &str,
        targets: Vec<(Environment, Pack)>,
        sel: &Selection,
        listing: bool,
    ) -> Result<Plan, ConfigError> {
        let targets: Vec<Target> = targets
            .into_iter()
            .map(|(env, pack)| {
                let env = Arc::new(env);
                Target { clients: Arc::new(Clients::new(env.clone())), env, pack: Arc::new(pack) }
            })
            .collect();
        let qualified = qualify(&targets);
        let all: Vec<(usize, &ProbeSpec)> = qualified.iter().map(|(t, s)| (*t, s)).collect();
        let mut owner: HashMap<&str, usize> = HashMap::new();
        for (t, spec) in &all {
            if let Some(first) = owner.insert(spec.id.as_str(), *t) {
                return Err(ConfigError::usage(format!(
                    "probe id `{}` is declared by both pack `{}` and pack `{}`",
                    spec.id, targets[first].pack.name, targets[*t].pack.name
                ))
                .help("probe ids must be unique across the packs of one run; rename one of them"));
            }
        }
        let known: Vec<&str> = all.iter().map(|(_, s)| s.id.as_str()).collect();
        // An id names that probe; a bare id also names it in every environment
        // whose copy of it is qualified (`staging/axys-auth`, `production/axys-auth`).
        let ids_of = |selector: &String| -> Result<Vec<String>, ConfigError> {
            let found: Vec<String> = known
                .iter()
                .filter(|k| **k == selector.as_str() || k.rsplit_once('/').is_some_and(|(_, id)| id == selector))
                .map(|k| k.to_string())
                .collect();
            if found.is_empty() {
                return Err(ConfigError::usage(format!("no probe has the id `{selector}`"))
                    .suggest(selector, known.iter().copied())
                    .help("`golive list --env ENV` shows every probe id"));
            }
            Ok(found)
        };
        let mut only: BTreeSet<String> = BTreeSet::new();
        for id in &sel.only {
            only.extend(ids_of(id)?);
        }
        let mut skip: BTreeSet<String> = BTreeSet::new();
        for id in &sel.skip {
            skip.extend(ids_of(id)?);
        }
        // A tag no probe has is a typo, not an empty selection that passes.
        let all_tags: BTreeSet<&str> = all.iter().flat_map(|(_, s)| s.tags.iter().map(String::as_str)).collect();
        if let Some(tag) = sel.tags.iter().find(|t| !all_tags.contains(t.as_str())) {
            let near = all_tags.iter().copied().find(|t| t.eq_ignore_ascii_case(tag));
            let err = ConfigError::usage(format!("no probe has the tag `{tag}`"));
            let err = match near {
                Some(t) => err.help(format!("did you mean `{t}`? (tags are case-sensitive)")),
                None => err.suggest(tag, all_tags.iter().copied()),
            };
            return Err(
                err.help(format!("tags of these probes: {}", all_tags.iter().copied().collect::<Vec<_>>().join(", ")))
            );
        }
        let skipped: BTreeSet<&str> = skip.iter().map(String::as_str).collect();
        for (t, spec) in &all {
            if let (true, Some(off)) = (only.contains(&spec.id), off(&targets[*t].env, spec)) {
                return Err(ConfigError::usage(format!("probe `{}` {}", spec.id, off.why)).help(off.fix));
            }
        }
        let tagged = |s: &ProbeSpec| sel.tags.is_empty() || s.tags.iter().any(|t| sel.tags.contains(t));
        let chosen = |t: usize, s: &ProbeSpec| {
            (only.is_empty() || only.contains(&s.id)) && tagged(s) && off(&targets[t].env, s).is_none()
        };
        // Selected probes, then their dependencies (transitively), minus --skip.
        let by_id: HashMap<&str, &ProbeSpec> = all.iter().map(|(_, s)| (s.id.as_str(), *s)).collect();
        let mut wanted: BTreeSet<&str> = all
            .iter()
            .filter(|(t, s)| chosen(*t, s) && !skipped.contains(s.id.as_str()))
            .map(|(_, s)| s.id.as_str())
            .collect();
        if wanted.is_empty() {
            return Err(nothing_selected(env_name, &targets, sel));
        }
        let directly: BTreeSet<&str> = wanted.clone();
        let mut stack: Vec<&str> = wanted.iter().copied().collect();
        while let Some(id) = stack.pop() {
            for dep in &by_id[id].depends_on {
                if !skipped.contains(dep.as_str()) && wanted.insert(dep.as_str()) {
                    stack.push(dep.as_str());
                }
            }
        }
        if !listing {
            targets.iter().filter(|t| t.env.base_url.is_some()).for_each(|t| t.clients.prepare_http());
        }
        let todo: Vec<(usize, &ProbeSpec)> =
            all.iter().filter(|(_, s)| wanted.contains(s.id.as_str())).map(|(t, s)| (*t, *s)).collect();
        let mut probes = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for (&(t, spec), (needs, probe)) in todo.iter().zip(bind_all(&todo, &targets, listing)) {
            let target = &targets[t];
            let probe = probe?;
            index.insert(spec.id.clone(), probes.len());
            let mut diagnoses = spec.diagnoses.clone();
            diagnoses.extend(target.pack.diagnoses.iter().cloned());
            probes.push(PlannedProbe {
                spec: spec.clone(),
                target: t,
                probe,
                deps: Vec::new(),
                excluded_deps: spec.depends_on.iter().filter(|d| skipped.contains(d.as_str())).cloned().collect(),
                pulled_in: !directly.contains(spec.id.as_str()),
                diagnoses,
                needs: needs.map(|name| {
                    format!(
                        "uses `${{{name}}}`, which environment `{}` does not set: {} before verify can run it",
                        target.env.name,
                        how_to_set(&name, &target.env.name)
                    )
                }),
            });
        }
        for p in &mut probes {
            p.deps = p.spec.depends_on.iter().filter_map(|d| index.get(d).copied()).collect();
        }
        let off = all
            .iter()
            .filter(|(_, s)| (only.is_empty() || only.contains(&s.id)) && tagged(s))
            .filter_map(|(t, s)| {
                let env = &targets[*t].env;
                off(env, s).map(|o| OffProbe {
                    id: s.id.clone(),
                    pack: targets[*t].pack.name.clone(),
                    env: env.name.clone(),
                    why: o.why,
                    fix: o.fix,
                })
            })
            .collect();
        Ok(Plan { env_name: env_name.to_string(), targets, probes, off })
    }

    /// A redactor that knows every secret of every target.
    pub fn redactor(&self) -> Redactor {
        let mut r = Redactor::new();
        for t in &self.targets {
            r.extend(&t.env.redactor());
            // The documented parts of a composite API key (PaymentsAI's
            // `<accountId>_<apiKey>_<apiKeyId>`), each of which may be echoed alone.
            if let (Some(x), Some(key)) = (&t.pack.key_exchange, &t.env.api_key) {
                r.add_parts(&key.value, &x.credential, &|name| t.env.input_text(name).map(str::to_string));
            }
        }
        r
    }

    /// What must hold before a run sends anything, each a configuration error
    /// (exit 2, nothing ran): every probe that will run (pulled-in
    /// dependencies too) has the inputs it cannot run without, and no secret
    /// would go over plain `http://` to another machine. Probes the run skips
    /// whatever happens (a mutating one without `allow_mutations`, one that
    /// needs a probe excluded by `--skip`, and their dependents) need nothing.
    pub fn preflight(&self, allow_mutations: bool) -> Result<(), ConfigError> {
        let runs = self.may_run(allow_mutations);
        self.missing_inputs(&runs)?;
        self.insecure_secrets(&runs)
    }

    /// For each probe, whether the run may run it: not one it skips before
    /// anything runs (see [`Plan::preflight`]).
    pub fn may_run(&self, allow_mutations: bool) -> Vec<bool> {
        let mut runs: Vec<bool> =
            self.probes.iter().map(|p| p.excluded_deps.is_empty() && (allow_mutations || !p.spec.mutating())).collect();
        // A probe whose dependency is skipped is skipped too, transitively.
        let mut changed = true;
        while changed {
            changed = false;
            for (i, p) in self.probes.iter().enumerate() {
                if runs[i] && p.deps.iter().any(|&d| !runs[d]) {
                    runs[i] = false;
                    changed = true;
                }
            }
        }
        runs
    }

    /// Every input a probe that may run (`runs`, from [`Plan::may_run`]) needs
    /// and its environment lacks, as one configuration error naming each
    /// probe, key and `[env.NAME]` table, with the fix: set it, or leave the
    /// probe out with `--skip`.
    pub fn missing_inputs(&self, runs: &[bool]) -> Result<(), ConfigError> {
        let mut gaps = Vec::new();
        for p in self.probes.iter().zip(runs).filter(|(_, run)| **run).map(|(p, _)| p) {
            let target = &self.targets[p.target];
            for m in inputs::missing(p.spec.kind, &p.spec.params, &target.env, &target.pack) {
                gaps.push((p.spec.id.as_str(), &target.env, m));
            }
        }
        let Some((id, env, first)) = gaps.first() else { return Ok(()) };
        let name = &env.name;
        let mut err = ConfigError::usage(format!(
            "probe `{id}` needs `{}` ({}), which environment `{name}` does not set",
            first.key, first.why
        ));
        for (id, _, m) in gaps.iter().skip(1) {
            err = err.help(format!("probe `{id}` also needs `{}` ({})", m.key, m.why));
        }
        let skips: BTreeSet<&str> = gaps.iter().map(|(id, _, _)| *id).collect();
        let skips: Vec<String> = skips.iter().map(|id| format!("--skip {id}")).collect();
        if name == crate::config::DEMO_ENV {
            err = err.help(
                "the demo's scenario leaves these out on purpose: a real environment without them gets this error, before anything is sent",
            );
        }
        Err(err.help("nothing was sent").help(format!(
            "set the missing keys in [env.{name}] of golive.toml, or leave the probes out: {}",
            skips.join(" ")
        )))
    }

    /// A configuration error when a probe that may run (`runs`) would send a secret over
    /// plain `http://` to a host other than loopback, and its environment does
    /// not say `allow_insecure_http = true`.
    pub fn insecure_secrets(&self, runs: &[bool]) -> Result<(), ConfigError> {
        let mut sends = Vec::new();
        for p in self.probes.iter().zip(runs).filter(|(_, run)| **run).map(|(p, _)| p) {
            let target = &self.targets[p.target];
            let sent = inputs::secrets_sent(p.spec.kind, &p.spec.params, &target.env, &target.pack);
            for s in inputs::insecure(sent, &target.env) {
                sends.push((format!("probe `{}`", p.spec.id), s));
            }
        }
        match inputs::insecure_error(&self.env_name, &sends) {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }

    /// The names of the packs in this plan.
    pub fn pack_names(&self) -> Vec<String> {
        self.targets.iter().map(|t| t.pack.name.clone()).collect()
    }
}

/// Every probe of every target, its id qualified with its environment's name
/// (`staging/axys-auth`) where another target of the run declares the same id
/// (one pack in two environments), its dependencies renamed alike; ids no other
/// target declares stay as the pack writes them.
fn qualify(targets: &[Target]) -> Vec<(usize, ProbeSpec)> {
    let mut seen: HashMap<&str, BTreeSet<usize>> = HashMap::new();
    for (t, target) in targets.iter().enumerate() {
        for p in &target.pack.probes {
            seen.entry(p.id.as_str()).or_default().insert(t);
        }
    }
    let shared = |id: &str| seen.get(id).is_some_and(|t| t.len() > 1);
    let mut out = Vec::new();
    for (t, target) in targets.iter().enumerate() {
        let name = |id: &str| if shared(id) { format!("{}/{id}", target.env.name) } else { id.to_string() };
        for p in &target.pack.probes {
            let mut spec = p.clone();
            spec.id = name(&p.id);
            spec.depends_on = p.depends_on.iter().map(|d| name(d)).collect();
            out.push((t, spec));
        }
    }
    out
}

/// The usage error of a selection that leaves no probe: a gate that runs
/// nothing must not pass.
fn nothing_selected(env_name: &str, targets: &[Target], sel: &Selection) -> ConfigError {
    let mut err =
        ConfigError::usage(format!("nothing to run: the selection leaves no probe of environment `{env_name}`"));
    let asked: Vec<String> = [("--only", &sel.only), ("--skip", &sel.skip), ("--tag", &sel.tags)]
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(flag, v)| format!("{flag} {}", v.join(",")))
        .collect();
    if !asked.is_empty() {
        err = err.help(format!("asked for: {}; no probe meets all of it", asked.join(" ")));
    }
    let off: Vec<String> = targets
        .iter()
        .flat_map(|t| t.pack.probes.iter().filter_map(|s| off(&t.env, s).map(|o| format!("`{}` {}", s.id, o.why))))
        .take(5)
        .collect();
    if !off.is_empty() {
        err = err.help(format!("off in this environment: {}", off.join("; ")));
    }
    err.help("`golive list --env ENV` shows the probes, their tags and what is off")
}

/// Why a probe is off in an environment, and how to turn it on.
pub struct Off {
    /// What keeps it off, after "probe `ID` ".
    pub why: String,
    /// How to turn it on.
    pub fix: String,
}

/// Whether `spec` is off in `env`: a probe of an optional feature runs only
/// where the environment enables the feature, a probe bound to a stage only in
/// an environment of that stage. An unselected probe that is off is left out
/// of the run; asking for it by id is a usage error.
pub fn off(env: &Environment, spec: &ProbeSpec) -> Option<Off> {
    let name = &env.name;
    // The built-in demo has no golive.toml to edit: say what runs it instead.
    let demo = name == crate::config::DEMO_ENV;
    if let Some(feature) = spec.feature.as_ref().filter(|f| !env.features.contains(f)) {
        let fix = if demo {
            format!("the demo's fakes do not play `{feature}`; in your golive.toml, list it in `features`")
        } else {
            format!("add \"{feature}\" to `features` in [env.{name}] of golive.toml if the program has it")
        };
        return Some(Off {
            why: format!("checks the optional feature `{feature}`, which environment `{name}` does not enable"),
            fix,
        });
    }
    match (spec.stage, env.stage) {
        (Some(want), _) if env.plays(want) => None,
        (None, _) => None,
        (Some(want), have) => Some(Off {
            why: format!(
                "runs only against a {} environment, and environment `{name}` is {}",
                want.name(),
                have.map_or_else(|| "of no declared stage".to_string(), |h| format!("a {} one", h.name()))
            ),
            fix: if demo {
                format!(
                    "the demo plays the partners' staging; it runs in a {} environment of your golive.toml",
                    want.name()
                )
            } else {
                format!(
                    "run it with an environment of that stage, or set `stage = \"{}\"` in [env.{name}] if this one is",
                    want.name()
                )
            },
        }),
    }
}

/// The first `${name}` of a probe's parameters that the environment does not
/// set (values earlier steps capture are set when it runs).
fn unset_var(spec: &ProbeSpec, env: &Environment) -> Option<String> {
    interpolated(spec, env).err()
}

/// A probe's parameters with the environment's values, or the name of the
/// first `${name}` it does not set.
fn interpolated(spec: &ProbeSpec, env: &Environment) -> Result<toml::Table, String> {
    let mut params = toml::Value::Table(spec.params.clone());
    // Values captured by earlier steps are filled in when the probe runs.
    let captured = crate::probe::flow::capture_names(&spec.params);
    let lookup = |name: &str| env.var(name).or_else(|| captured.contains(name).then(|| format!("${{{name}}}")));
    interpolate_value(&mut params, &lookup)?;
    Ok(match params {
        toml::Value::Table(t) => t,
        _ => toml::Table::new(),
    })
}

/// Where `${name}` comes from in `[env.ENV]`.
fn how_to_set(name: &str, env: &str) -> String {
    match name {
        "webhook_url" => format!("set `webhook = {{ url = \"...\", secret = {{ env = \"...\" }} }}` in [env.{env}]"),
        "webhook_destination_id" => format!("set `webhook.destination_id` in [env.{env}]"),
        _ => format!("set `{name}` in [env.{env}], or under [env.{env}.vars]"),
    }
}

/// The stand-in of a probe a listing keeps without building it; a plan made
/// for running never holds one.
struct Unbound;

#[async_trait::async_trait]
impl Probe for Unbound {
    async fn run(&self, _: &crate::probe::ProbeContext) -> crate::report::Outcome {
        let mut out = crate::report::Outcome::default();
        out.check(crate::report::Check::new(
            "plan",
            crate::report::Status::Error,
            "this probe was planned for listing only and lacks a value; run it with `golive verify`",
        ));
        out
    }
}

/// A probe bound to its target: the `${name}` it needs and the environment
/// lacks (only when listing; it is then not built), and the probe or why it
/// cannot be built.
type Bound = (Option<String>, Result<Arc<dyn Probe>, ConfigError>);

/// How many probes a plan binds before it shares the work between threads:
/// below this, starting a thread costs more than it saves.
const BIND_ALONE: usize = 32;

/// Binds the probes of `todo` to their targets, in order. A large
/// plan is bound on as many threads as the machine has processors, each
/// taking a run of consecutive probes, so its first error is the one a
/// sequential binding would meet first.
fn bind_all(todo: &[(usize, &ProbeSpec)], targets: &[Target], listing: bool) -> Vec<Bound> {
    let one = |&(t, spec): &(usize, &ProbeSpec)| {
        let target = &targets[t];
        match listing.then(|| unset_var(spec, &target.env)).flatten() {
            Some(name) => (Some(name), Ok(Arc::new(Unbound) as Arc<dyn Probe>)),
            None => (None, bind(spec, &target.env, &target.pack)),
        }
    };
    // Asking for the processors reads the cgroup's files: only for a large plan.
    let threads = match todo.len() / BIND_ALONE {
        0 | 1 => 1,
        most => std::thread::available_parallelism().map_or(1, |n| n.get()).min(most),
    };
    if threads < 2 {
        return todo.iter().map(one).collect();
    }
    let chunk = todo.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let mut runs = todo.chunks(chunk);
        let first = runs.next().unwrap_or_default();
        let others: Vec<_> = runs.map(|run| scope.spawn(move || run.iter().map(one).collect::<Vec<_>>())).collect();
        let mut bound: Vec<_> = first.iter().map(one).collect();
        for other in others {
            match other.join() {
                Ok(run) => bound.extend(run),
                // A build that panics panics the plan, as it would on one thread.
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        bound
    })
}

/// Interpolates a probe's parameters and builds it; errors point at the pack.
fn bind(spec: &ProbeSpec, env: &Environment, pack: &Pack) -> Result<Arc<dyn Probe>, ConfigError> {
    let params = interpolated(spec, env).map_err(|name| {
        ConfigError::at(
            &pack.source,
            spec.params_span.clone(),
            format!("probe `{}` uses `${{{name}}}`, which environment `{}` does not set", spec.id, env.name),
        )
        .help(format!("{} of golive.toml", how_to_set(&name, &env.name)))
    })?;
    spec.kind.build(params, &BuildContext { id: &spec.id, env, pack }).map_err(|why| {
        ConfigError::at(
            &pack.source,
            spec.params_span.clone(),
            format!("probe `{}` ({}): {why}", spec.id, spec.kind.name()),
        )
    })
}
