//! Runbook packs: probes as data, loaded from `probes/*.toml` (embedded) or a path.
//!
//! A pack holds what golive knows about one partner's runbook: the probes, their
//! runbook references, how the API key is sent, and the diagnoses (status, body
//! text or error class → cause and fix) from the runbook's blocker table. The
//! engine stays partner-neutral; this module only checks the pack's shape, that
//! every kind exists, ids are unique, dependencies exist and have no cycle, and
//! that every item of the coverage table marked automated names a probe of the pack.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use sha2::{Digest, Sha256};
use toml::Spanned;

use super::coverage::{CoverageItem, RawCoverage};
use super::env::parse_duration;
use super::error::{ConfigError, SourceFile, from_toml};
use super::matcher::{Matcher, RawMatcher};
use super::positions::{Lines, ProbeLines};
use super::scheme::Scheme;
use super::watch_rules::{RawWatch, WatchRule, watch_status};
use crate::spec::{Diagnosis, InputFormat, InputSpec, ProbeKind, RunbookRef, Signals};

// `BUILT_IN`: every `probes/*.toml`, embedded by build.rs; `BUILT_IN_SCHEMES`:
// the scheme names they declare, read by build.rs.
include!(concat!(env!("OUT_DIR"), "/built_in_packs.rs"));

/// A golive runbook pack: one partner's go-live runbook as probes, with its
/// diagnoses and coverage table (`probes/*.toml`, or your own file named by
/// `pack = "path.toml"` in golive.toml).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "golive pack")]
pub(super) struct RawPack {
    /// The pack's name, title and the runbook it automates.
    pack: RawMeta,
    /// How the partner wants the API key sent; without it, requests carry no key.
    auth: Option<ApiKeyAuth>,
    /// The partner's policy for account secrets (length, characters, rotation, history).
    secret_policy: Option<crate::spec::SecretPolicy>,
    /// How the one-time Temporal → Permanent API key exchange is done.
    key_exchange: Option<crate::spec::ExchangeSpec>,
    /// Response fields whose values are masked in every output.
    masking: Option<Masking>,
    /// Values the pack's probes need from each environment (`[inputs.NAME]`):
    /// the environment sets them as top-level keys of `[env.NAME]`.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, InputSpec>")]
    inputs: BTreeMap<Spanned<String>, InputSpec>,
    /// Webhook signature schemes the pack defines (`[schemes.NAME]`), usable by name.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, crate::config::scheme::SchemeDef>")]
    schemes: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
    /// Pack-wide diagnoses: an HTTP status, body text or error class → cause and fix.
    #[serde(default)]
    diagnosis: Vec<RawDiagnosis>,
    /// The probes, `[[probe]]` tables, in the order they are listed.
    #[serde(default)]
    #[schemars(with = "Vec<RawProbe>")]
    probe: Vec<Spanned<RawProbe>>,
    /// What spikes of HTTP statuses mean during `verify --watch`.
    #[serde(default)]
    watch: Vec<RawWatch>,
    /// Every item of the runbook: automated (by a probe) or manual (by an owner).
    #[serde(default)]
    coverage: Vec<RawCoverage>,
    /// `golive observe`: what its front records and the variables the command gets.
    observe: Option<super::observe::RawObserve>,
    /// `golive observe`: the partner's documented failures it can inject.
    #[serde(default)]
    fault: Vec<super::observe::RawFault>,
    /// `golive observe`: what the client must do about them, judged on the recorded traffic.
    #[serde(default)]
    #[schemars(with = "Vec<super::observe::RawRule>")]
    rule: Vec<Spanned<super::observe::RawRule>>,
}

/// The `[pack]` table.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "PackMeta")]
struct RawMeta {
    /// The pack's name, e.g. "axys".
    name: String,
    /// Human title, e.g. "Axys program launch".
    title: String,
    /// The runbook it automates, named in reports and evidence.
    runbook: String,
    /// Where the runbook is published (http or https): the `runbook_url` of
    /// every alert `golive alerts` writes for the pack.
    #[serde(default)]
    #[schemars(with = "Option<String>", url)]
    runbook_url: Option<Spanned<String>>,
    /// `true`: every partner fact of the pack's requests must say its basis
    /// (`source = "https://..."` or `basis = "inferred"` with `why`), or the
    /// pack does not load. The built-in packs always require it.
    #[serde(default)]
    require_basis: bool,
}

/// A diagnosis rule: when it applies, the cause and the fix.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Diagnosis")]
struct RawDiagnosis {
    /// When it applies: every given condition must hold.
    when: RawMatcher,
    /// The cause, in the runbook's words; may show an answer's header as `${header.NAME}`.
    cause: String,
    /// What to do.
    fix: String,
}

/// A runbook item a probe proves.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "RunbookRef")]
struct RawRunbookRef {
    /// The runbook section.
    section: String,
    /// The item's text.
    item: String,
}

/// One `[[probe]]`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Probe")]
struct RawProbe {
    /// Unique id within the run, e.g. "axys-auth".
    #[schemars(with = "String")]
    id: Spanned<String>,
    /// The probe kind.
    #[schemars(with = "super::schema::ProbeKindSchema")]
    kind: Spanned<String>,
    /// Human title.
    title: String,
    /// Tags for `--tag`; "mutating" marks a probe that changes data (it runs only with --allow-mutations).
    #[serde(default)]
    tags: Vec<String>,
    /// Ids of probes that must pass (or warn) first.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    depends_on: Vec<Spanned<String>>,
    /// Its own deadline, e.g. "30s", overriding --timeout.
    #[schemars(with = "Option<super::schema::DurationSchema>")]
    timeout: Option<Spanned<String>>,
    /// The runbook items it proves.
    #[serde(default)]
    runbook: Vec<RawRunbookRef>,
    /// Its own diagnoses, tried before the pack's.
    #[serde(default)]
    diagnosis: Vec<RawDiagnosis>,
    /// The optional program feature it checks: it runs only in an environment listing it in `features`.
    feature: Option<String>,
    /// The only stage of environment it runs in.
    #[schemars(with = "Option<super::schema::StageSchema>")]
    stage: Option<Spanned<String>>,
    /// Kind-specific parameters; strings may use `${base_url}`, `${account_id}`, `vars` and captured values.
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    params: Option<Spanned<toml::Table>>,
}

/// How a pack's partner wants the API key sent, e.g. `X-API-Key: <key>` or
/// `Authorization: ApiKey <key>`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyAuth {
    /// The header name.
    pub header: String,
    /// What precedes the key in the header value.
    #[serde(default)]
    pub prefix: String,
}

/// Response fields whose values are masked in every output (PAN, CVV, keys).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Masking {
    /// JSON field names, matched case-insensitively at any depth: for data
    /// whose name says what it is wherever it appears (cardNumber, cvv).
    #[serde(default)]
    pub fields: Vec<String>,
    /// JSONPaths (RFC 9535) masked in every answer, only where they point:
    /// for a name that other answers use for something else (an OTP `code`
    /// is a secret, an error `code` is not). A step can add its own (`mask`).
    #[serde(default)]
    pub paths: Vec<String>,
}

/// A diagnosis rule: a match and the cause and fix it implies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiagnosisRule {
    /// When it applies.
    pub when: Matcher,
    /// Cause and fix.
    pub cause: String,
    /// What to do.
    pub fix: String,
}

impl DiagnosisRule {
    /// The diagnosis of the first rule that matches the signals.
    pub fn first_match<'a>(rules: impl IntoIterator<Item = &'a DiagnosisRule>, s: &Signals) -> Option<Diagnosis> {
        rules.into_iter().find(|r| r.when.matches(s)).map(|r| Diagnosis { cause: r.cause.clone(), fix: r.fix.clone() })
    }
}

/// One declared probe of a pack, before it is bound to an environment.
#[derive(Debug, Clone)]
pub struct ProbeSpec {
    /// Unique id.
    pub id: String,
    /// Its kind.
    pub kind: ProbeKind,
    /// Human title.
    pub title: String,
    /// Tags; `mutating` marks a probe that changes data.
    pub tags: Vec<String>,
    /// Ids of probes that must pass (or warn) first.
    pub depends_on: Vec<String>,
    /// Its own deadline, overriding `--timeout`.
    pub timeout: Option<Duration>,
    /// The runbook items it proves.
    pub runbook: Vec<RunbookRef>,
    /// Its own diagnoses, tried before the pack's.
    pub diagnoses: Vec<DiagnosisRule>,
    /// The optional program feature it needs (`feature = "wallets"`): it runs
    /// only in an environment that lists the feature.
    pub feature: Option<String>,
    /// The only stage of environment it runs in (`stage = "production"`).
    pub stage: Option<super::env::Stage>,
    /// Kind-specific parameters, not yet interpolated.
    pub params: toml::Table,
    /// Where the probe is declared, for errors.
    pub span: Range<usize>,
    /// Where its params are declared, for errors.
    pub params_span: Range<usize>,
    /// Where the probe, each of its requests and each of their facts are
    /// declared (`file:line`), for the checks that judge them.
    pub lines: std::sync::Arc<ProbeLines>,
}

impl ProbeSpec {
    /// Whether the probe changes data on the other side.
    pub fn mutating(&self) -> bool {
        self.kind.mutating() || self.tags.iter().any(|t| t == "mutating")
    }
}

/// A loaded, checked pack.
#[derive(Debug, Clone)]
pub struct Pack {
    /// The pack's name.
    pub name: String,
    /// Human title.
    pub title: String,
    /// The runbook it automates.
    pub runbook: String,
    /// Where the runbook is published, when the pack says.
    pub runbook_url: Option<String>,
    /// How to send the API key.
    pub auth: Option<ApiKeyAuth>,
    /// The partner's policy for account secrets.
    pub secret_policy: Option<crate::spec::SecretPolicy>,
    /// How the one-time temporal key exchange is done.
    pub key_exchange: Option<crate::spec::ExchangeSpec>,
    /// Response fields masked in every output.
    pub masking: Option<Masking>,
    /// The values it needs from an environment beyond golive's own keys
    /// (`[inputs.NAME]`), in the order the pack declares them.
    pub inputs: Vec<(String, InputSpec)>,
    /// The webhook signature schemes it declares (`[schemes.NAME]`), which
    /// its probes and environments may name like a preset.
    pub schemes: Vec<(String, Scheme)>,
    /// Pack-wide diagnoses.
    pub diagnoses: Vec<DiagnosisRule>,
    /// The probes, in file order.
    pub probes: Vec<ProbeSpec>,
    /// Every item of the runbook: automated (by a probe) or manual (by an owner).
    pub coverage: Vec<CoverageItem>,
    /// The file it came from, for errors.
    pub source: SourceFile,
    /// What spikes of HTTP statuses mean during `--watch`.
    pub watch: Vec<WatchRule>,
    /// Whether every partner fact must say its basis (the built-in packs, or
    /// `require_basis = true`); checked at load.
    pub require_basis: bool,
    /// What `golive observe` injects, records and judges.
    pub observe: super::observe::ObservePack,
}

impl Pack {
    /// The SHA-256 of the pack's text, for the evidence: computed when asked,
    /// not at every load (its first use costs the hash's processor detection).
    pub fn sha256(&self) -> String {
        hex::encode(Sha256::digest(self.source.text.as_bytes()))
    }
}

/// Loads a pack by built-in name or path. `from` is the configuration file and
/// the span of its `pack` value, for errors and relative paths.
pub fn load(name_or_path: &str, from: Option<(&SourceFile, Range<usize>)>) -> Result<Pack, ConfigError> {
    if let Some((_, text)) = BUILT_IN.iter().find(|(n, _)| *n == name_or_path) {
        return parse_built_in(SourceFile::embedded(&format!("probes/{name_or_path}.toml"), text));
    }
    let looks_like_path = name_or_path.ends_with(".toml") || name_or_path.contains('/');
    if !looks_like_path {
        let known: Vec<&str> = BUILT_IN.iter().map(|(n, _)| *n).collect();
        let msg = format!("unknown pack `{name_or_path}`");
        let err = match &from {
            Some((file, span)) => ConfigError::at(file, span.clone(), msg),
            None => ConfigError::usage(msg),
        };
        return Err(err
            .suggest(name_or_path, known.iter().copied())
            .help(format!("built-in packs: {}; or give the path of a pack file ending in .toml", known.join(", "))));
    }
    let base = from.as_ref().and_then(|(f, _)| f.path.parent()).unwrap_or(Path::new(""));
    let path = base.join(name_or_path);
    match (SourceFile::read(&path, "pack file"), &from) {
        (Ok(text), _) => parse(text),
        // Point at the `pack = ...` line that named the file.
        (Err(e), Some((file, span))) => Err(ConfigError::at(file, span.clone(), e.message.clone())
            .help("the path is relative to the folder of this file; built-in packs are named without .toml")),
        (Err(e), None) => Err(e),
    }
}

/// Parses and checks a pack's text (your own pack: a partner fact without a
/// basis is a hard check, unless the pack sets `require_basis = true`).
pub fn parse(file: SourceFile) -> Result<Pack, ConfigError> {
    parse_as(file, false)
}

/// Parses and checks a built-in pack: every partner fact must say its basis,
/// so a new guess cannot slip in unmarked.
pub fn parse_built_in(file: SourceFile) -> Result<Pack, ConfigError> {
    parse_as(file, true)
}

fn parse_as(file: SourceFile, built_in: bool) -> Result<Pack, ConfigError> {
    // Parsed once: the spans give every request's line, then the document
    // deserializes as `toml::from_str` would.
    let doc = toml::de::DeTable::parse(&file.text).map_err(|e| from_toml(&file, &e))?;
    let mut lines =
        super::positions::of_pack(doc.get_ref(), &Lines::new(&file.path.display().to_string(), &file.text)).into_iter();
    let raw = RawPack::deserialize(toml::de::Deserializer::from(doc)).map_err(|e| from_toml(&file, &e))?;
    let require_basis = built_in || raw.pack.require_basis;
    let runbook = raw.pack.runbook.clone();
    let mut probes = Vec::with_capacity(raw.probe.len());
    let mut seen: HashMap<String, Range<usize>> = HashMap::new();
    // Every probe is checked, and each one's first error kept: one run names them all.
    let mut errors = Vec::new();
    for spanned in raw.probe {
        let span = spanned.span();
        let p = spanned.into_inner();
        let probe_lines = lines.next().unwrap_or_default();
        if let Some(first) = seen.get(p.id.get_ref()) {
            let (line, _) = ConfigError::at(&file, first.clone(), "").line_col().unwrap_or((0, 0));
            errors.push(
                ConfigError::at(&file, p.id.span(), format!("duplicate probe id `{}`", p.id.get_ref()))
                    .label(format!("first declared on line {line}"))
                    .help("give every probe of a pack its own id"),
            );
            continue;
        }
        seen.insert(p.id.get_ref().clone(), p.id.span());
        let checked = probe_spec(&file, p, span, &runbook).and_then(|mut spec| {
            spec.1.lines = probe_lines.into();
            super::facts::check(
                &file,
                &spec.1.id,
                spec.1.kind,
                &spec.1.params,
                spec.1.params_span.clone(),
                require_basis,
            )
            .map(|()| spec)
        });
        match checked {
            Ok(spec) => probes.push(spec),
            Err(e) => errors.push(e),
        }
    }
    if let Some(all) = ConfigError::all(errors) {
        return Err(all);
    }
    link_dependencies(&file, &mut probes, &seen)?;
    let probes: Vec<ProbeSpec> = probes.into_iter().map(|(_, s)| s).collect();
    check_cycles(&file, &probes)?;
    let coverage = super::coverage::check(&file, raw.coverage, &seen)?;
    if let Some(p) = raw.masking.iter().flat_map(|m| &m.paths).find(|p| serde_json_path::JsonPath::parse(p).is_err()) {
        return Err(ConfigError::in_file(&file.path, format!("[masking] paths: `{p}` is not a JSONPath"))
            .help("write paths like \"$.code\" or \"$.items[*].token\" (RFC 9535)"));
    }
    let observe = super::observe::check(&file, raw.observe, raw.fault, raw.rule, &seen, &coverage)?;
    let inputs = inputs(&file, raw.inputs, raw.key_exchange.as_ref())?;
    let schemes = schemes(&file, raw.schemes)?;
    let watch = raw
        .watch
        .iter()
        .map(|w| Ok(WatchRule { status: watch_status(&file, &w.status)?, meaning: w.meaning.clone() }))
        .collect::<Result<Vec<_>, ConfigError>>()?;
    let runbook_url = raw.pack.runbook_url.map(|u| runbook_url(&file, u)).transpose()?;
    Ok(Pack {
        name: raw.pack.name,
        title: raw.pack.title,
        runbook,
        runbook_url,
        auth: raw.auth,
        secret_policy: raw.secret_policy,
        key_exchange: raw.key_exchange,
        masking: raw.masking,
        inputs,
        schemes,
        diagnoses: rules(&file, raw.diagnosis)?,
        probes,
        coverage,
        source: file,
        watch,
        require_basis,
        observe,
    })
}

/// `[pack] runbook_url`, checked: an absolute http or https URL.
fn runbook_url(file: &SourceFile, url: Spanned<String>) -> Result<String, ConfigError> {
    match reqwest::Url::parse(url.get_ref()) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(url.into_inner()),
        _ => Err(ConfigError::at(file, url.span(), format!("`{}` is not an http(s) URL", url.get_ref())).help(
            "give the address where the runbook is published, e.g. runbook_url = \"https://docs.example.com/go-live\"",
        )),
    }
}

/// The pack's `[inputs]` in the order it declares them, checked: no name of
/// golive's own environment keys, and the key exchange names inputs that are
/// declared with the form it reads.
fn inputs(
    file: &SourceFile,
    raw: BTreeMap<Spanned<String>, InputSpec>,
    exchange: Option<&crate::spec::ExchangeSpec>,
) -> Result<Vec<(String, InputSpec)>, ConfigError> {
    let mut raw: Vec<(Spanned<String>, InputSpec)> = raw.into_iter().collect();
    raw.sort_by_key(|(name, _)| name.span().start);
    for (name, _) in &raw {
        if super::keys::get(name.get_ref()).is_some() {
            return Err(ConfigError::at(
                file,
                name.span(),
                format!("input `{}` has the name of a key golive itself reads", name.get_ref()),
            )
            .help(format!("golive's own environment keys: {}", super::keys::names().collect::<Vec<_>>().join(", "))));
        }
    }
    let inputs: Vec<(String, InputSpec)> = raw.into_iter().map(|(n, spec)| (n.into_inner(), spec)).collect();
    if let Some(x) = exchange {
        let wanted = [
            ("account", &x.inputs.account, false, InputFormat::Text),
            ("temporal_key", &x.inputs.temporal_key, true, InputFormat::Text),
            ("secret", &x.inputs.secret, true, InputFormat::Text),
            ("key_file", &x.inputs.key_file, false, InputFormat::Path),
        ];
        for (role, name, secret, format) in wanted {
            let declared = inputs.iter().find(|(n, _)| n == name).map(|(_, s)| s);
            let ok = declared.is_some_and(|s| s.secret == secret && s.format == format);
            if !ok {
                let form = if secret { "a secret".to_string() } else { format!("a {} input", format.name()) };
                return Err(ConfigError::in_file(
                    &file.path,
                    format!("[key_exchange] inputs.{role} names `{name}`, which the pack does not declare as {form}"),
                )
                .help(format!(
                    "declare it: [inputs.{name}] with about = \"...\"{}",
                    match (secret, format) {
                        (true, _) => ", secret = true",
                        (false, InputFormat::Path) => ", format = \"path\"",
                        (false, InputFormat::Text) => "",
                    }
                )));
            }
        }
    }
    Ok(inputs)
}

/// The pack's `[schemes]`, each resolved as a custom scheme named after its key.
fn schemes(
    file: &SourceFile,
    raw: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
) -> Result<Vec<(String, Scheme)>, ConfigError> {
    let mut out = Vec::with_capacity(raw.len());
    for (name, def) in raw {
        let refers_to_itself =
            def.get_ref().get("preset").and_then(toml::Value::as_str) == Some(name.get_ref().as_str());
        let resolved = if refers_to_itself {
            Err("a scheme cannot start from itself".to_string())
        } else {
            super::scheme::from_toml(def.get_ref())
        };
        let mut scheme = resolved.map_err(|why| {
            ConfigError::at(file, def.span(), format!("invalid scheme `{}`: {why}", name.get_ref())).help(
                "a scheme is a table such as { header = \"X-Signature\", algorithm = \"sha256\", encoding = \"hex\" }",
            )
        })?;
        scheme.name = name.get_ref().clone();
        out.push((name.into_inner(), scheme));
    }
    Ok(out)
}

/// One probe of the pack, checked (kind, timeout, stage, the `mutating` tag),
/// with its dependencies as written, linked once every id is known.
fn probe_spec(
    file: &SourceFile,
    p: RawProbe,
    span: Range<usize>,
    runbook: &str,
) -> Result<(Vec<Spanned<String>>, ProbeSpec), ConfigError> {
    let kind = ProbeKind::from_name(p.kind.get_ref()).ok_or_else(|| {
        ConfigError::at(file, p.kind.span(), format!("unknown probe kind `{}`", p.kind.get_ref()))
            .suggest(p.kind.get_ref(), ProbeKind::names())
            .help(format!("kinds this golive implements: {}", ProbeKind::names().join(", ")))
    })?;
    let timeout = p
        .timeout
        .map(|t| {
            parse_duration(t.get_ref()).map_err(|why| {
                ConfigError::at(file, t.span(), format!("invalid duration in `timeout`: {why}"))
                    .help("write durations like 500ms, 10s or 2m")
            })
        })
        .transpose()?;
    let (params, params_span) = match p.params {
        Some(t) => (t.get_ref().clone(), t.span()),
        None => (toml::Table::new(), span.clone()),
    };
    let stage = p
        .stage
        .map(|s| {
            super::env::Stage::from_name(s.get_ref()).ok_or_else(|| {
                ConfigError::at(file, s.span(), format!("`{}` is not a stage", s.get_ref()))
                    .suggest(s.get_ref(), ["staging", "production"])
                    .help("stage is \"staging\" or \"production\"")
            })
        })
        .transpose()?;
    let mut tags = p.tags;
    if let Some(step) = mutating_step(&params)
        && !tags.iter().any(|t| t == "mutating")
    {
        return Err(ConfigError::at(
            file,
            params_span.clone(),
            format!("probe `{}` has a mutating step ({step}) but no `mutating` tag", p.id.get_ref()),
        )
        .help("add \"mutating\" to its tags, so it only runs with --allow-mutations"));
    }
    if kind.mutating() && !tags.iter().any(|t| t == "mutating") {
        tags.push("mutating".to_string());
    }
    Ok((
        p.depends_on,
        ProbeSpec {
            id: p.id.into_inner(),
            kind,
            title: p.title,
            tags,
            depends_on: Vec::new(),
            timeout,
            runbook: p
                .runbook
                .into_iter()
                .map(|r| RunbookRef { runbook: runbook.to_string(), section: r.section, item: r.item })
                .collect(),
            diagnoses: rules(file, p.diagnosis)?,
            feature: p.feature,
            stage,
            params,
            span,
            params_span,
            lines: Default::default(),
        },
    ))
}

/// Checks that every dependency names a probe of the pack and links it.
fn link_dependencies(
    file: &SourceFile,
    probes: &mut [(Vec<Spanned<String>>, ProbeSpec)],
    seen: &HashMap<String, Range<usize>>,
) -> Result<(), ConfigError> {
    for (deps, spec) in probes.iter_mut() {
        for dep in deps.iter() {
            if !seen.contains_key(dep.get_ref()) {
                return Err(ConfigError::at(
                    file,
                    dep.span(),
                    format!("`{}` depends on unknown probe `{}`", spec.id, dep.get_ref()),
                )
                .suggest(dep.get_ref(), seen.keys().map(String::as_str)));
            }
        }
        spec.depends_on = deps.iter().map(|d| d.get_ref().clone()).collect();
    }
    Ok(())
}

/// The name of the first step (or cleanup step) marked `mutating = true`.
fn mutating_step(params: &toml::Table) -> Option<String> {
    ["steps", "cleanup"]
        .iter()
        .filter_map(|k| params.get(*k).and_then(|s| s.as_array()))
        .flatten()
        .find(|s| s.get("mutating").and_then(toml::Value::as_bool) == Some(true))
        .map(|s| {
            s.get("name")
                .and_then(|n| n.as_str())
                .or_else(|| s.get("url").and_then(|u| u.as_str()))
                .unwrap_or("?")
                .to_string()
        })
}

fn rules(file: &SourceFile, raw: Vec<RawDiagnosis>) -> Result<Vec<DiagnosisRule>, ConfigError> {
    raw.into_iter().map(|d| Ok(DiagnosisRule { when: d.when.check(file)?, cause: d.cause, fix: d.fix })).collect()
}

/// Rejects dependency cycles, naming the whole cycle.
fn check_cycles(file: &SourceFile, probes: &[ProbeSpec]) -> Result<(), ConfigError> {
    let index: BTreeMap<&str, usize> = probes.iter().enumerate().map(|(i, p)| (p.id.as_str(), i)).collect();
    // 0 = unvisited, 1 = on the current path, 2 = done.
    let mut state = vec![0u8; probes.len()];
    fn visit(
        i: usize,
        probes: &[ProbeSpec],
        index: &BTreeMap<&str, usize>,
        state: &mut [u8],
        path: &mut Vec<usize>,
    ) -> Option<Vec<usize>> {
        state[i] = 1;
        path.push(i);
        for dep in &probes[i].depends_on {
            let j = index[dep.as_str()];
            if state[j] == 1 {
                let start = path.iter().position(|&k| k == j).unwrap_or(0);
                let mut cycle = path[start..].to_vec();
                cycle.push(j);
                return Some(cycle);
            }
            if state[j] == 0
                && let Some(c) = visit(j, probes, index, state, path)
            {
                return Some(c);
            }
        }
        path.pop();
        state[i] = 2;
        None
    }
    for i in 0..probes.len() {
        if state[i] == 0
            && let Some(cycle) = visit(i, probes, &index, &mut state, &mut Vec::new())
        {
            let names: Vec<&str> = cycle.iter().map(|&k| probes[k].id.as_str()).collect();
            return Err(ConfigError::at(
                file,
                probes[cycle[0]].span.clone(),
                format!("dependency cycle: {}", names.join(" → ")),
            )
            .help("remove one of these depends_on entries so the probes can run in order"));
        }
    }
    Ok(())
}
