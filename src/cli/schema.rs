//! `golive schema config|pack`: the JSON Schemas of golive.toml and of pack
//! files, for editors and validators. `schema/*.json` in the repository hold
//! the same text (a test fails when they drift).

/// Which schema to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Which {
    /// golive.toml.
    Config,
    /// A pack file (probes/*.toml or your own).
    Pack,
}

/// Prints the schema; exit 4 when stdout cannot be written.
pub fn run(which: Which) -> u8 {
    let schema = match which {
        Which::Config => crate::config::schema::config(),
        Which::Pack => crate::config::schema::pack(),
    };
    let text = crate::config::schema::to_pretty(&schema);
    super::stdout::document("the schema", |out| out.write_all(text.as_bytes()))
}
