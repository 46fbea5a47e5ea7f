//! `golive schema config|pack|report`: the JSON Schemas of golive.toml, of
//! pack files and of the JSON report, for editors and validators.
//! `schema/*.json` in the repository hold the same text (a test fails when
//! they drift). `schema config --config PATH` (or `--pack`) adds the inputs
//! and webhook schemes of the packs a configuration uses, so the schema
//! accepts what golive accepts for a pack of your own.

use std::path::{Path, PathBuf};

use clap::Args;

use crate::config::{ConfigError, Pack, SourceFile};

/// Which schema to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Which {
    /// golive.toml.
    Config,
    /// A pack file (probes/*.toml or your own), every probe kind's `params` included.
    Pack,
    /// The JSON report (`--format json`, `--report json=...`), versioned by its `schema` field.
    Report,
}

/// `golive schema` options.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Which file's schema.
    #[arg(value_enum)]
    which: Which,
    /// With `config`: also accept what the packs this configuration uses declare (inputs, webhook schemes).
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,
    /// With `config`: also accept what this pack declares (built-in name or file); repeatable.
    #[arg(long, value_name = "PACK")]
    pack: Vec<String>,
}

/// Prints the schema; exit 4 when stdout cannot be written.
pub fn run(args: SchemaArgs) -> Result<u8, ConfigError> {
    if args.which != Which::Config && (args.config.is_some() || !args.pack.is_empty()) {
        return Err(ConfigError::usage("--config and --pack only apply to `golive schema config`"));
    }
    let schema = match args.which {
        Which::Config => {
            let mut packs: Vec<Pack> =
                args.pack.iter().map(|p| crate::config::pack::load(p, None)).collect::<Result<_, _>>()?;
            if let Some(path) = &args.config {
                packs.extend(packs_of(path)?);
            }
            crate::config::schema::config_for(&packs.iter().collect::<Vec<_>>())
        }
        Which::Pack => crate::probe::schema::pack(),
        Which::Report => crate::report::schema::report(),
    };
    let text = crate::config::schema::to_pretty(&schema);
    Ok(super::stdout::document("the schema", |out| out.write_all(text.as_bytes())))
}

/// Every pack the environments of a configuration file name (each once),
/// resolved against the file's folder.
pub fn packs_of(path: &Path) -> Result<Vec<Pack>, ConfigError> {
    let file = SourceFile::read(path, "configuration file")?;
    let raw: toml::Table = toml::from_str(&file.text).map_err(|e| crate::config::error::from_toml(&file, &e))?;
    let mut names: Vec<&str> = Vec::new();
    for env in raw.get("env").and_then(toml::Value::as_table).into_iter().flat_map(|t| t.values()) {
        if let Some(pack) = env.get("pack").and_then(toml::Value::as_str)
            && !names.contains(&pack)
        {
            names.push(pack);
        }
    }
    names.into_iter().map(|n| crate::config::pack::load(n, Some((&file, 0..0)))).collect()
}
