//! A pack's coverage table: every item of its runbook, automated (with the
//! probe that proves it) or manual (with its owner), checked at load time.

use std::collections::HashMap;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::error::{ConfigError, SourceFile};

/// One section of the coverage table: every runbook item, automated or manual.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCoverage {
    section: String,
    items: Vec<Spanned<RawCoverageItem>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCoverageItem {
    item: String,
    probe: Option<Spanned<String>>,
    owner: Option<String>,
    note: Option<String>,
}

/// Who or what proves a runbook item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Coverage {
    /// A probe of the pack, by id.
    Automated(String),
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
                    if !probes.contains_key(probe.get_ref()) {
                        return Err(ConfigError::at(
                            file,
                            probe.span(),
                            format!("coverage item \"{}\" names unknown probe `{}`", item.item, probe.get_ref()),
                        )
                        .suggest(probe.get_ref(), probes.keys().map(String::as_str))
                        .help("name a probe of this pack, or mark the item manual with `owner = \"...\"`"));
                    }
                    Coverage::Automated(probe.into_inner())
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
