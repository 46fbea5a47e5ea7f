//! `golive init`: writes a commented `golive.toml` for one pack and
//! environment with exactly the keys that pack's probes need there.
//!
//! The keys are derived, not listed by hand: the environment values each
//! probe kind reads (what the kind declares, [`crate::probe::kinds::Kind::needs`])
//! and the `${name}`
//! values the pack's parameters interpolate (what `golive list` binds).
//! Secrets are written as `{ env = "..." }` references with the names of
//! [`suggested_env_var`]; values golive cannot know are `CHANGE-ME`
//! placeholders that still load, so `golive list` works at once.
//!
//! Given an existing file, `init` appends the new environment's tables after
//! what is there (checked with toml_edit, a comment-preserving parser: the
//! name must be new and the result must parse), never rewriting a byte of it,
//! and refreshes the schema beside it for every pack the file now uses.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use clap::Args;

use crate::config::interpolate::interpolate_value;
use crate::config::keys::{self, Described, Format};
use crate::config::{self, ConfigError, Environment, Pack, Stage};
use crate::exit;
use crate::probe::kinds::apikey_exchange::ApiKeyExchange;
use crate::probe::kinds::{self, Query};
use crate::spec::InputSpec;

/// `golive init` options.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The pack: a built-in one (axys, paymentsai) or the path of a pack file.
    #[arg(long, value_name = "PACK")]
    pack: Option<String>,
    /// The environment to write, e.g. staging or production (its name sets its stage).
    #[arg(long, short = 'e', value_name = "ENV", default_value = "staging")]
    env: String,
    /// The file to write; never overwritten.
    #[arg(long, short = 'o', value_name = "PATH", default_value = config::DEFAULT_CONFIG)]
    output: PathBuf,
}

/// The JSON Schema file the `#:schema` line names, written beside the configuration.
pub const SCHEMA_FILE: &str = "golive.schema.json";

/// A value golive cannot know: loads, but is obviously not the real one
/// (`.invalid` never resolves, RFC 2606).
const CHANGE_ME: &str = "CHANGE-ME";
pub(super) const CHANGE_ME_URL: &str = "https://change-me.invalid";

/// The environment variable suggested for a secret key of a pack:
/// `<PACK>_<KEY>` upper-cased, e.g. `AXYS_API_KEY`, `PAYMENTSAI_WEBHOOK_SECRET`.
pub fn suggested_env_var(pack: &str, key: &str) -> String {
    let key = key.strip_prefix("webhook.auth.basic.").map_or(key.to_string(), |k| format!("webhook_{k}"));
    format!("{pack}_{key}")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' })
        .collect()
}

/// One key the environment needs, with why and for which probes.
#[derive(Debug, Clone)]
struct Need {
    /// The key: `api_key`, `webhook`, `webhook.scheme`, `vars.NAME`, ...
    key: String,
    /// What the probes do with it.
    why: String,
    /// The probes that need it.
    probes: BTreeSet<String>,
    /// Whether every one of them changes data (runs only with --allow-mutations).
    mutating_only: bool,
}

/// Runs `golive init`.
pub fn run(args: InitArgs) -> Result<u8, ConfigError> {
    let existing = match std::fs::read_to_string(&args.output) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(ConfigError::in_file(&args.output, format!("cannot read {}: {e}", args.output.display()))
                .help("golive init appends to an existing configuration only when it can read it"));
        }
    };
    let Some(pack_arg) = args.pack.clone() else {
        let built_in: Vec<&str> = config::pack::BUILT_IN.iter().map(|(n, _)| *n).collect();
        return Err(ConfigError::usage("which pack? `golive init` writes the keys of one pack's probes").help(
            format!(
                "name it: {}, or --pack PATH for a pack file",
                built_in.iter().map(|n| format!("--pack {n}")).collect::<Vec<_>>().join(", ")
            ),
        ));
    };
    if args.env == config::DEMO_ENV {
        return Err(ConfigError::usage("`demo` is built in and needs no configuration")
            .help("name the environment to write, e.g. --env staging"));
    }
    let pack = config::pack::load(&pack_arg, None)?;
    let folder = args.output.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let pack_value = pack_reference(&pack_arg, folder);
    let needs = needs(&pack, &args.env);
    let text = render(&pack, &pack_value, &args.env, &needs, folder);
    let written = match &existing {
        Some(before) => append(&args.output, before, &text, &args.env, &pack),
        None => create(&args.output, &text),
    };
    if let Err(e) = written? {
        eprintln!("golive: cannot write {}: {e}", args.output.display());
        return Ok(exit::OUTPUT);
    }
    let schema_note = write_schema(&args.output, folder, &pack);
    let vars: Vec<String> = needs
        .iter()
        .filter_map(|n| Described::of(&n.key, &pack).filter(Described::secret).map(|d| secret_var(&pack, d)))
        .collect();
    let config_flag = if args.output == Path::new(config::DEFAULT_CONFIG) {
        String::new()
    } else {
        format!(" --config {}", args.output.display())
    };
    let verb = if existing.is_some() { "added to" } else { "wrote" };
    let wrote = format!("{verb} {} for pack `{}`, environment `{}`", args.output.display(), pack.name, args.env);
    let mut next = vec![format!("replace every {CHANGE_ME} value and uncomment what the comments say to")];
    if !vars.is_empty() {
        next.push(format!("set the secrets' variables: {}", vars.join(", ")));
    }
    // A request body read from a file (a real person's identity): say whose, and where.
    for name in files_sent(&pack, &needs) {
        next.push(format!(
            "write the JSON file {} (`{name}`): its comment in {} says what it holds",
            input_path(&pack.name, &name),
            args.output.display()
        ));
    }
    next.push(format!("golive list --env {}{config_flag}    # the plan, nothing sent", args.env));
    next.push(format!("golive verify --env {}{config_flag}", args.env));
    if let Some(before) = &existing {
        // Every environment of the file, in one run: one report, one exit code.
        let mut all: Vec<String> = before
            .parse::<toml_edit::DocumentMut>()
            .ok()
            .and_then(|d| {
                d.get("env").and_then(|e| e.as_table_like()).map(|t| t.iter().map(|(k, _)| k.to_string()).collect())
            })
            .unwrap_or_default();
        all.push(args.env.clone());
        let envs: Vec<String> = all.iter().map(|e| format!("--env {e}")).collect();
        next.push(format!("golive verify {}{config_flag}    # all of them, one report", envs.join(" ")));
    }
    Ok(super::stdout::document("what to do next", |out| {
        writeln!(out, "{wrote}")?;
        writeln!(out, "{schema_note}")?;
        writeln!(out, "next:")?;
        for (i, step) in next.iter().enumerate() {
            writeln!(out, "  {}. {step}", i + 1)?;
        }
        Ok(())
    }))
}

fn exists(path: &Path) -> ConfigError {
    ConfigError::usage(format!("{} exists already; golive init never overwrites a file", path.display()))
        .help("write another file with --output PATH, or move the existing one away first")
}

/// Writes a new configuration file; a file that appeared meanwhile is not overwritten.
fn create(path: &Path, text: &str) -> Result<std::io::Result<()>, ConfigError> {
    let mut file = match std::fs::OpenOptions::new().write(true).create_new(true).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Err(exists(path)),
        Err(e) => {
            return Err(ConfigError::usage(format!("cannot create {}: {e}", path.display()))
                .help("check that the folder exists and is writable, or choose another file with --output"));
        }
    };
    Ok(file.write_all(text.as_bytes()).and_then(|()| file.sync_all()))
}

/// Appends the environment tables of `rendered` (a whole new file's text)
/// after `before`, the file as it is: refused when the file does not parse,
/// already has the environment (or a group of that name), or would not parse
/// with it. What is there stays byte for byte; the new file replaces the old
/// by a rename.
fn append(
    path: &Path,
    before: &str,
    rendered: &str,
    env: &str,
    pack: &Pack,
) -> Result<std::io::Result<()>, ConfigError> {
    let doc: toml_edit::DocumentMut = before.parse().map_err(|e: toml_edit::TomlError| {
        ConfigError::in_file(path, format!("{} is not valid TOML: {}", path.display(), e.message()))
            .help("fix it first: golive init adds to a configuration it can read, and never rewrites it")
    })?;
    let taken = |table: &str| doc.get(table).and_then(|t| t.as_table_like()).is_some_and(|t| t.contains_key(env));
    if taken("env") || taken("group") {
        return Err(ConfigError::in_file(
            path,
            format!("{} has an environment or group `{env}` already", path.display()),
        )
        .help("golive init never rewrites what is there: choose another --env NAME, or edit that table by hand"));
    }
    let tables = rendered.find("\n[env.").map_or(rendered, |i| &rendered[i + 1..]);
    let mut text = before.to_string();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&format!(
        "\n# Added by `golive init`: pack `{}` ({}), environment `{env}`.\n{tables}",
        pack.name, pack.title
    ));
    if let Err(e) = text.parse::<toml_edit::DocumentMut>() {
        return Err(ConfigError::in_file(
            path,
            format!("adding [env.{env}] to {} would not parse: {}", path.display(), e.message()),
        )
        .help("the file writes `env` in a form tables cannot be added to; add the environment by hand"));
    }
    let tmp = path.with_extension("toml.golive-init");
    let _ = std::fs::remove_file(&tmp);
    Ok(std::fs::write(&tmp, text.as_bytes()).and_then(|()| std::fs::rename(&tmp, path)))
}

/// Writes the schema beside the configuration for every pack it uses, when
/// there is none or it is one golive wrote (a schema of your own is kept);
/// returns what was done, for the summary.
fn write_schema(config: &Path, folder: &Path, pack: &Pack) -> String {
    let schema_path = folder.join(SCHEMA_FILE);
    let ours = match std::fs::read_to_string(&schema_path) {
        Ok(text) => text.contains("\"title\": \"golive configuration (golive.toml)\""),
        Err(e) => e.kind() == std::io::ErrorKind::NotFound,
    };
    if !ours {
        return format!(
            "kept the existing {} (`golive schema config --config {} > {SCHEMA_FILE}` refreshes it)",
            schema_path.display(),
            config.display()
        );
    }
    // The schema of the packs in use: a pack file's inputs and schemes too.
    let mut packs = super::schema::packs_of(config).unwrap_or_default();
    if !packs.iter().any(|p| p.name == pack.name) {
        packs.push(pack.clone());
    }
    let schema = config::schema::to_pretty(&config::schema::config_for(&packs.iter().collect::<Vec<_>>()));
    match std::fs::write(&schema_path, schema) {
        Ok(()) => format!("wrote {} (the JSON Schema its `#:schema` line names)", schema_path.display()),
        Err(e) => format!("could not write {}: {e}", schema_path.display()),
    }
}

/// The `pack = "..."` value: a built-in name as given; a path made relative
/// to the folder the configuration is written to when it can be, else absolute.
fn pack_reference(pack: &str, folder: &Path) -> String {
    if config::pack::BUILT_IN.iter().any(|(n, _)| *n == pack) {
        return pack.to_string();
    }
    let path = Path::new(pack);
    let (Ok(abs), Ok(folder)) = (std::path::absolute(path), std::path::absolute(folder)) else {
        return pack.to_string();
    };
    let (abs, folder) = (normal(&abs), normal(&folder));
    let common = abs.components().zip(folder.components()).take_while(|(a, b)| a == b).count();
    // Only the root in common: the absolute path says more than a chain of `..`.
    if common <= 1 {
        return abs.display().to_string();
    }
    let mut rel = PathBuf::new();
    for _ in folder.components().skip(common) {
        rel.push("..");
    }
    rel.extend(abs.components().skip(common));
    rel.display().to_string()
}

/// `a/./b/../c` as `a/c`, without touching the file system.
fn normal(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Every key the pack's probes need in environment `env_name`, in the order
/// of the configuration reference.
fn needs(pack: &Pack, env_name: &str) -> Vec<Need> {
    let env = Environment {
        name: env_name.to_string(),
        pack: pack.name.clone(),
        stage: Stage::from_name(env_name),
        ..Environment::default()
    };
    let probes: Vec<&config::ProbeSpec> = pack.probes.iter().filter(|p| crate::plan::off(&env, p).is_none()).collect();
    let mut found: Vec<Need> = Vec::new();
    let add = |found: &mut Vec<Need>, key: &str, why: String, probe: &config::ProbeSpec| {
        let mutating = probe.mutating();
        match found.iter_mut().find(|n| n.key == key) {
            Some(n) => {
                n.probes.insert(probe.id.clone());
                n.mutating_only &= mutating;
            }
            None => found.push(Need {
                key: key.to_string(),
                why,
                probes: BTreeSet::from([probe.id.clone()]),
                mutating_only: mutating,
            }),
        }
    };
    // What the kinds read directly, as each kind declares it: every key it
    // may read, whether or not an (empty) environment sets it.
    for p in &probes {
        for n in crate::probe::kinds::of(p.kind).needs(&Query { params: &p.params, env: &env, pack }) {
            // A pack input says what it is itself (an identity file says whose).
            let why = input(pack, &n.key).map_or_else(|| n.why.to_string(), |spec| spec.about.clone());
            add(&mut found, &n.key, why, p);
        }
    }
    // What the parameters interpolate (and the key exchange's URLs, for its probe).
    for p in &probes {
        let captured = crate::probe::flow::capture_names(&p.params);
        let mut texts = vec![toml::Value::Table(p.params.clone())];
        if kinds::is::<ApiKeyExchange>(p.kind)
            && let Some(spec) = &pack.key_exchange
        {
            texts.push(toml::Value::String(spec.url.clone()));
            texts.push(toml::Value::String(spec.verify_url.clone()));
        }
        for mut text in texts {
            let names = std::cell::RefCell::new(Vec::new());
            let _ = interpolate_value(&mut text, &|name: &str| {
                names.borrow_mut().push(name.to_string());
                Some(String::new())
            });
            for name in names.into_inner() {
                if captured.contains(&name) || name == "env" {
                    continue;
                }
                let (key, why) = match input(pack, &name) {
                    Some(spec) => (name.clone(), spec.about.clone()),
                    None => var_key(&name),
                };
                add(&mut found, &key, why, p);
            }
        }
    }
    found.sort_by_key(|n| order(pack, &n.key));
    found
}

/// The configuration key behind `${name}`, and what it is: a URL key of the
/// catalogue, read under its own name (`base_url`, as `Environment::var`
/// reads it), a part of the webhook, or a `vars` entry.
fn var_key(name: &str) -> (String, String) {
    if let Some(key) = keys::get(name).filter(|k| k.format == Format::Url) {
        return (key.name.to_string(), sentence(key.about));
    }
    let (key, why) = match name {
        "webhook_url" => (keys::WEBHOOK.name, "the merchant's webhook endpoint (its url is used as ${webhook_url})"),
        "webhook_destination_id" => {
            ("webhook.destination_id", "the partner's id of the registered webhook destination")
        }
        other => return (format!("vars.{other}"), format!("a value the pack uses as ${{{other}}}")),
    };
    (key.to_string(), why.to_string())
}

/// An `about` as the start of a comment: no final full stop.
fn sentence(about: &str) -> String {
    about.trim_end_matches('.').to_string()
}

/// Where a key goes in the file: golive's own keys in the catalogue's order
/// (a part of one, `webhook.scheme`, right after it), then the pack's inputs
/// in its order, then `vars`.
fn order(pack: &Pack, key: &str) -> (usize, usize) {
    let whole = key.split_once('.').map_or(key, |(whole, _)| whole);
    if let Some(at) = keys::KEYS.iter().position(|k| k.name == whole) {
        return (0, at);
    }
    match pack.inputs.iter().position(|(n, _)| n == key) {
        Some(at) => (1, at),
        None => (2, 0),
    }
}

/// The path inputs a needed probe sends as a request body (`json_input`).
fn files_sent(pack: &Pack, needs: &[Need]) -> Vec<String> {
    let sent: BTreeSet<String> = pack.probes.iter().flat_map(|p| crate::probe::flow::json_inputs(&p.params)).collect();
    needs.iter().filter(|n| sent.contains(&n.key)).map(|n| n.key.clone()).collect()
}

/// The input `name` the pack declares, if it does.
fn input<'p>(pack: &'p Pack, name: &str) -> Option<&'p InputSpec> {
    pack.inputs.iter().find(|(n, _)| n == name).map(|(_, s)| s)
}

/// The variable a secret is read from: a pack input's suggestion, else
/// [`suggested_env_var`] of its key (of the webhook table, its `secret`).
fn secret_var(pack: &Pack, key: Described<'_>) -> String {
    match key {
        Described::Input(name, spec) => spec.env.clone().unwrap_or_else(|| suggested_env_var(&pack.name, name)),
        Described::Core(k) if k.format == Format::Table => suggested_env_var(&pack.name, &format!("{}_secret", k.name)),
        Described::Core(k) => suggested_env_var(&pack.name, k.name),
    }
}

/// The file a path input is suggested at.
fn input_path(pack: &str, key: &str) -> String {
    format!("secrets/{pack}-{key}")
}

/// The preset suggested when the pack names no webhook scheme: the pack's
/// own name when it is a preset, else Standard Webhooks.
fn default_scheme(pack: &str) -> String {
    let presets = crate::config::scheme::PRESETS;
    presets.iter().find(|p| **p == pack).unwrap_or(&"standard-webhooks").to_string()
}

/// A TOML string literal.
fn quoted(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

/// The comment after a key: what it is for and which probes need it.
fn comment(need: &Need) -> String {
    let probes: Vec<&str> = need.probes.iter().map(String::as_str).collect();
    let only = if need.mutating_only { " (mutating: runs only with --allow-mutations)" } else { "" };
    let mut why = need.why.clone();
    if let Some(first) = why.get(..1) {
        why = format!("{}{}", first.to_uppercase(), &why[1..]);
    }
    format!("# {why}: needed by {}{only}", probes.join(", "))
}

/// The configuration text.
fn render(pack: &Pack, pack_value: &str, env: &str, needs: &[Need], folder: &Path) -> String {
    let mut top: Vec<String> = Vec::new();
    let mut webhook: Vec<String> = Vec::new();
    let mut vars: Vec<String> = Vec::new();
    for need in needs {
        let c = comment(need);
        let Some(described) = Described::of(&need.key, pack) else {
            match need.key.as_str() {
                "webhook.scheme" => webhook.push(format!(
                    "{c}. A preset ({}) or a table.\nscheme = {}",
                    crate::config::scheme::known_names(),
                    quoted(&default_scheme(&pack.name))
                )),
                "webhook.destination_id" => {
                    webhook.push(format!("{c} (replace the placeholder)\ndestination_id = {}", quoted(CHANGE_ME)));
                }
                key => match key.strip_prefix("vars.") {
                    Some(name) => vars.push(format!("{c}\n{} = {}", bare_key(name), quoted(CHANGE_ME))),
                    // A key this version of init cannot fill in: named, commented.
                    None => top.push(format!("{c}\n# {key} = ...")),
                },
            }
            continue;
        };
        let key = bare_key(described.name());
        // What to write follows from how the key is written (its format).
        match (described, described.format()) {
            (Described::Core(k), _) if k.name == keys::WEBHOOK.name => {
                webhook.push(format!("{c}\nurl = {} # replace the placeholder", quoted(CHANGE_ME_URL)));
                webhook.push(format!(
                    "# the signing secret\nsecret = {{ env = {} }}",
                    quoted(&secret_var(pack, described))
                ));
            }
            (_, Format::Secret) => {
                top.push(format!("{c}\n{key} = {{ env = {} }}", quoted(&secret_var(pack, described))))
            }
            (_, Format::Path) => top.push(format!("{c}\n{key} = {}", quoted(&input_path(&pack.name, &need.key)))),
            (_, Format::Url) => top.push(format!("{c} (replace the placeholder)\n{key} = {}", quoted(CHANGE_ME_URL))),
            (Described::Core(k), Format::File) => {
                let what = sentence(k.about);
                // golive checks that these files exist when it loads the file:
                // a line naming a file that is not there yet would stop `list`.
                if folder.join(k.example.trim_matches('"')).is_file() {
                    top.push(format!("{c} ({what})\n{key} = {}", k.example));
                } else {
                    top.push(format!(
                        "{c} ({what}).\n# Uncomment once the file is there: golive checks that it exists.\n# {key} = {}",
                        k.example
                    ));
                }
            }
            (Described::Core(k), Format::Ips | Format::Nameservers | Format::Names | Format::Stages) => {
                top.push(format!("{c}. {}, e.g. {}.\n{key} = []", sentence(k.about), k.example))
            }
            (_, Format::Text) => top.push(format!("{c} (replace the placeholder)\n{key} = {}", quoted(CHANGE_ME))),
            (Described::Core(k), _) => top.push(format!("{c}\n# {key} = {}", k.example)),
            (Described::Input(..), _) => top.push(format!("{c}\n# {key} = ...")),
        }
    }
    let features: BTreeSet<&str> = pack.probes.iter().filter_map(|p| p.feature.as_deref()).collect();
    if !features.is_empty() {
        let list: Vec<String> = features.iter().map(|f| quoted(f)).collect();
        top.push(format!(
            "# Optional program features: the probes of a feature run only when it is listed here.\n# features = [{}]",
            list.join(", ")
        ));
    }
    if Stage::from_name(env).is_none() && pack.probes.iter().any(|p| p.stage.is_some()) {
        top.push(format!(
            "# `{env}` is neither staging nor production: probes bound to a stage run only once it is set.\n# stage = \"staging\""
        ));
    }
    let mut text = format!(
        "#:schema ./{SCHEMA_FILE}\n\
         # golive configuration: pack `{name}` ({title}), environment `{env}`.\n\
         # Written by `golive init`; the keys are the ones this pack's probes need here.\n\
         #\n\
         # The first line points editors with TOML schema support (Taplo, Even Better TOML)\n\
         # at golive's JSON Schema for completion and checking; `golive schema config > {SCHEMA_FILE}`\n\
         # writes it beside this file (again after upgrading golive).\n\
         # Secrets are never written here: each is read from the environment variable\n\
         # named by `{{ env = \"...\" }}` (or from a file: `{{ file = \"path\" }}`).\n\
         # Reference: the README's \"Configuration reference\"; `golive list --env {env}` shows the plan.\n\
         \n\
         [env.{env_key}]\n\
         # A built-in pack ({built_in}) or the path of a pack file.\n\
         pack = {pack}\n",
        built_in = config::pack::BUILT_IN.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", "),
        name = pack.name,
        title = pack.title,
        env_key = bare_key(env),
        pack = quoted(pack_value),
    );
    for entry in top {
        text.push('\n');
        text.push_str(&entry);
        text.push('\n');
    }
    for (table, entries) in [("webhook", webhook), ("vars", vars)] {
        if entries.is_empty() {
            continue;
        }
        text.push_str(&format!("\n[env.{}.{table}]\n", bare_key(env)));
        for entry in entries {
            text.push_str(&entry);
            text.push('\n');
        }
    }
    text
}

/// A TOML key: bare when it can be, quoted otherwise.
fn bare_key(key: &str) -> String {
    let bare = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare { key.to_string() } else { quoted(key) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pack_path_is_written_relative_to_the_configuration() {
        let cwd = std::env::current_dir().unwrap();
        let built_in = crate::config::pack::BUILT_IN[0].0;
        assert_eq!(pack_reference(built_in, Path::new("sub")), built_in);
        assert_eq!(pack_reference("my.toml", Path::new(".")), "my.toml");
        assert_eq!(pack_reference("./packs/my.toml", Path::new("sub")), "../packs/my.toml");
        assert_eq!(pack_reference(cwd.join("sub/x/my.toml").to_str().unwrap(), Path::new("sub")), "x/my.toml");
    }

    #[test]
    fn suggested_names_are_pack_and_key_upper_cased() {
        assert_eq!(suggested_env_var("acme", "api_key"), "ACME_API_KEY");
        assert_eq!(suggested_env_var("acmepay", "webhook_secret"), "ACMEPAY_WEBHOOK_SECRET");
        assert_eq!(suggested_env_var("my-pack", "webhook.auth.basic.password"), "MY_PACK_WEBHOOK_PASSWORD");
    }

    /// `init` knows every key of the catalogue: asked for any, it writes the
    /// key (or its example, commented), never "a key this version cannot fill
    /// in", and the file parses.
    #[test]
    fn init_writes_every_key_of_the_catalogue_by_its_format() {
        let pack = config::pack::load("paymentsai", None).unwrap();
        for key in keys::KEYS.iter().filter(|k| k.name != keys::PACK.name) {
            let need = Need {
                key: key.name.to_string(),
                why: "a test".into(),
                probes: BTreeSet::from(["p".to_string()]),
                mutating_only: false,
            };
            let text = render(&pack, "paymentsai", "staging", &[need], Path::new("/nonexistent"));
            assert!(!text.contains(&format!("# {} = ...", key.name)), "{}: init cannot write it:\n{text}", key.name);
            assert!(text.parse::<toml_edit::DocumentMut>().is_ok(), "{}:\n{text}", key.name);
            let written = format!("\n{} = ", key.name);
            let commented = format!("# {} = ", key.name);
            let table = format!("[env.staging.{}]", key.name);
            assert!(
                text.contains(&written) || text.contains(&commented) || text.contains(&table),
                "{}: written:\n{text}",
                key.name
            );
        }
    }

    /// Every key a probe of a built-in pack needs is described: a key of the
    /// catalogue, an input of the pack, or a part of the webhook table.
    #[test]
    fn every_key_the_built_in_packs_need_is_described() {
        for (name, _) in config::pack::BUILT_IN {
            let pack = config::pack::load(name, None).unwrap();
            for env in ["staging", "production"] {
                for need in needs(&pack, env) {
                    let described = Described::of(&need.key, &pack).is_some()
                        || need.key.starts_with("webhook.")
                        || need.key.starts_with("vars.");
                    assert!(described, "{name}/{env}: `{}` is described nowhere", need.key);
                }
            }
        }
    }
}
