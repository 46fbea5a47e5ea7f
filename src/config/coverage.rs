//! A pack's coverage table: every item of its runbook, automated (with the
//! probe that proves it) or manual (with its owner), checked at load time.

use std::collections::HashMap;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::error::{ConfigError, SourceFile};

/// One section of the coverage table: every runbook item, automated or manual.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "CoverageSection")]
pub(super) struct RawCoverage {
    /// The runbook section, e.g. "Phase 3: Production verification".
    section: String,
    /// Its items, each automated (`probe`) or manual (`owner`).
    #[schemars(with = "Vec<RawCoverageItem>")]
    items: Vec<Spanned<RawCoverageItem>>,
}

/// One runbook item: exactly one of `probe` or `owner`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "CoverageItem")]
struct RawCoverageItem {
    /// The item's text.
    item: String,
    /// The probe (or probes, all of which must pass) that prove it.
    #[schemars(with = "Option<OneOrMore>")]
    probe: Option<Spanned<OneOrMore>>,
    /// Who does it by hand, e.g. "PAI Compliance".
    owner: Option<String>,
    /// A remark such as "if applicable".
    note: Option<String>,
}

/// `probe = "id"` or, for an item several probes prove together, `probe = ["a", "b"]`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
enum OneOrMore {
    One(String),
    More(Vec<String>),
}

/// Who or what proves a runbook item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Coverage {
    /// The probes of the pack that prove it together, by id (all must pass).
    Automated(Vec<String>),
    /// A person or team, e.g. "PAI Compliance".
    Manual(String),
}

/// One runbook item of a pack's coverage table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoverageItem {
    /// The runbook section, e.g. `Phase 3: Production verification`.
    pub section: String,
    /// The item's text.
    pub item: String,
    /// The probe that proves it, or its owner.
    pub by: Coverage,
    /// A remark such as "if applicable".
    pub note: Option<String>,
}

/// Checks the coverage table: each item names a probe of the pack or an owner.
pub(super) fn check(
    file: &SourceFile,
    raw: Vec<RawCoverage>,
    probes: &HashMap<String, Range<usize>>,
) -> Result<Vec<CoverageItem>, ConfigError> {
    let mut out = Vec::new();
    for section in raw {
        for spanned in section.items {
            let span = spanned.span();
            let item = spanned.into_inner();
            let by = match (item.probe, item.owner) {
                (Some(probe), None) => {
                    let span = probe.span();
                    let ids = match probe.into_inner() {
                        OneOrMore::One(id) => vec![id],
                        OneOrMore::More(ids) => ids,
                    };
                    if ids.is_empty() {
                        return Err(ConfigError::at(
                            file,
                            span,
                            format!("coverage item \"{}\" names no probe", item.item),
                        )
                        .help("name the probe that proves it, or mark the item manual with `owner = \"...\"`"));
                    }
                    if let Some(unknown) = ids.iter().find(|id| !probes.contains_key(*id)) {
                        return Err(ConfigError::at(
                            file,
                            span,
                            format!("coverage item \"{}\" names unknown probe `{unknown}`", item.item),
                        )
                        .suggest(unknown, probes.keys().map(String::as_str))
                        .help("name a probe of this pack, or mark the item manual with `owner = \"...\"`"));
                    }
                    Coverage::Automated(ids)
                }
                (None, Some(owner)) => Coverage::Manual(owner),
                _ => {
                    return Err(ConfigError::at(
                        file,
                        span,
                        format!("coverage item \"{}\" needs exactly one of `probe` or `owner`", item.item),
                    )
                    .help("automated items name the probe that proves them; manual items name who does them"));
                }
            };
            out.push(CoverageItem { section: section.section.clone(), item: item.item, by, note: item.note });
        }
    }
    Ok(out)
}
