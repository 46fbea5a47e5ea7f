//! How golive knows a partner fact: every fact a pack relies on (an expected
//! status, an assertion, a capture path, a poll condition) is either
//! `documented` — a published page shows it, named by `source` — or
//! `inferred` — golive's guess where the pages are silent or disagree, with
//! one line (`why`) saying from what.
//!
//! A pack writes the basis on a step (for all its facts) and may override it
//! on one fact:
//!
//! ```toml
//! source = "https://docs.example.test/reference/post_things"   # the step's facts are documented
//! assert = [
//!   { path = "$.id", type = "integer" },                                   # documented, by the step's page
//!   { path = "$.data", type = "object", basis = "inferred", why = "..." }, # inferred
//! ]
//! ```
//!
//! What a fact that does not hold does with its basis is the engine's
//! business (`probe::flow`); this module only reads and checks the words.

use serde::{Deserialize, Serialize};

/// Whether a fact comes from a published page or is golive's inference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Basis {
    /// A published page shows it (`source`): a miss is a failure.
    Documented,
    /// golive's inference (`why`): a miss is a warning, unless the run is strict (`--strict-contract`).
    Inferred,
}

impl Basis {
    /// Its name in packs and reports.
    pub fn name(self) -> &'static str {
        match self {
            Basis::Documented => "documented",
            Basis::Inferred => "inferred",
        }
    }
}

/// A fact's basis as a pack writes it, on a step or on one fact: `source`,
/// or `basis = "inferred"` with `why`, or nothing (the enclosing one holds).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawBasis {
    /// The page that documents the fact (an https URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// `documented` or `inferred`; `source` alone means documented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<Basis>,
    /// For an inferred fact: from what it is inferred, in one line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

/// A fact's resolved basis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactBasis {
    /// Documented or inferred.
    pub basis: Basis,
    /// The page, for a documented fact.
    pub source: Option<String>,
    /// From what, for an inferred fact.
    pub why: Option<String>,
}

impl FactBasis {
    /// Whether golive inferred the fact.
    pub fn inferred(&self) -> bool {
        self.basis == Basis::Inferred
    }

    /// A short line for messages: `documented by URL` or `inferred: WHY`.
    pub fn describe(&self) -> String {
        match (self.basis, &self.source, &self.why) {
            (Basis::Documented, Some(source), _) => format!("documented by {source}"),
            (Basis::Documented, None, _) => "documented".to_string(),
            (Basis::Inferred, _, Some(why)) => format!("inferred: {why}"),
            (Basis::Inferred, _, None) => "inferred".to_string(),
        }
    }
}

impl RawBasis {
    /// Reads the three keys from a TOML table (a step, an assertion, a capture,
    /// a poll, an `expect_status` table); a key of the wrong type is an error.
    pub fn from_table(table: &toml::Table) -> Result<RawBasis, String> {
        let text = |key: &str| -> Result<Option<String>, String> {
            match table.get(key) {
                None => Ok(None),
                Some(toml::Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(format!("`{key}` must be a string")),
            }
        };
        let basis = match table.get("basis") {
            None => None,
            Some(v) => Some(
                v.clone().try_into::<Basis>().map_err(|_| "`basis` is \"documented\" or \"inferred\"".to_string())?,
            ),
        };
        Ok(RawBasis { source: text("source")?, basis, why: text("why")? })
    }

    /// Whether none of the keys is set.
    pub fn is_empty(&self) -> bool {
        self.source.is_none() && self.basis.is_none() && self.why.is_none()
    }

    /// Checks the keys on their own: an https `source`, a non-empty `why`
    /// for an inferred fact, no `why` without `basis = "inferred"`, no
    /// `source` on an inferred fact (its `why` names the pages).
    pub fn check(&self) -> Result<(), String> {
        if let Some(source) = &self.source
            && !(source.starts_with("https://") && source.len() > "https://".len())
        {
            return Err(format!("`source` must be the https URL of the page that documents the fact, not `{source}`"));
        }
        match (self.basis, &self.source, &self.why) {
            (Some(Basis::Inferred), Some(_), _) => {
                Err("an inferred fact has no `source`: name the pages it is inferred from in `why`".into())
            }
            (Some(Basis::Inferred), _, None) => {
                Err("`basis = \"inferred\"` needs `why`: one line saying from what golive infers it".into())
            }
            (Some(Basis::Inferred), _, Some(why)) if why.trim().is_empty() => {
                Err("`why` is empty: say from what golive infers the fact".into())
            }
            (Some(Basis::Documented) | None, _, Some(_)) => {
                Err("`why` belongs to an inferred fact: add `basis = \"inferred\"`, or drop `why`".into())
            }
            _ => Ok(()),
        }
    }

    /// The fact's basis: its own keys, else `inherited` (the step's or the
    /// poll's). `Ok(None)` when neither says; an error for malformed keys or
    /// a documented fact with no page anywhere.
    pub fn resolve(&self, inherited: Option<&FactBasis>) -> Result<Option<FactBasis>, String> {
        self.check()?;
        match (self.basis, &self.source) {
            (Some(Basis::Inferred), _) => {
                Ok(Some(FactBasis { basis: Basis::Inferred, source: None, why: self.why.clone() }))
            }
            (_, Some(source)) => {
                Ok(Some(FactBasis { basis: Basis::Documented, source: Some(source.clone()), why: None }))
            }
            (Some(Basis::Documented), None) => match inherited.and_then(|b| b.source.clone()) {
                Some(source) => Ok(Some(FactBasis { basis: Basis::Documented, source: Some(source), why: None })),
                None => Err("`basis = \"documented\"` needs `source`: the page that documents the fact".into()),
            },
            (None, None) => Ok(inherited.cloned()),
        }
    }
}

/// The id of one fact of a probe, stable across runs and shared by the pack
/// loader, the engine and `golive contract report`: `<step>.<slot>`, the
/// step numbered from 1 in pack order (cleanup steps after the steps), e.g.
/// `3.status`, `3.assert.2`, `3.capture.cardholderId`, `4.poll.until.1`.
pub fn fact_id(step: usize, slot: &str) -> String {
    format!("{step}.{slot}")
}

/// An expected HTTP status: an exact code, or a class (`"2xx"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusExpect {
    /// Exactly this code.
    Code(u16),
    /// Any code of this class: 2 for `2xx`.
    Class(u8),
}

impl Default for StatusExpect {
    /// Any success: a step that names no code accepts every 2xx, because an
    /// exact code is a partner fact that needs a page (its real code is
    /// recorded in the answer's shape for the pack maintainer).
    fn default() -> Self {
        StatusExpect::Class(2)
    }
}

impl StatusExpect {
    /// Parses `200`, `"201"` or `"2xx"`.
    pub fn parse(value: &toml::Value) -> Result<StatusExpect, String> {
        let bad = || "an expected status is a code from 100 to 599 (e.g. 200) or a class (\"2xx\")".to_string();
        match value {
            toml::Value::Integer(n) if (100..600).contains(n) => Ok(StatusExpect::Code(*n as u16)),
            toml::Value::String(s) => {
                let s = s.trim().to_ascii_lowercase();
                if let Some(c) = s.strip_suffix("xx")
                    && let Ok(d) = c.parse::<u8>()
                    && (1..=5).contains(&d)
                {
                    return Ok(StatusExpect::Class(d));
                }
                match s.parse::<u16>() {
                    Ok(n) if (100..600).contains(&n) => Ok(StatusExpect::Code(n)),
                    _ => Err(bad()),
                }
            }
            _ => Err(bad()),
        }
    }

    /// Whether `status` is what is expected.
    pub fn matches(self, status: u16) -> bool {
        match self {
            StatusExpect::Code(c) => c == status,
            StatusExpect::Class(d) => status / 100 == u16::from(d),
        }
    }

    /// The class (2 for 2xx) the expectation lies in.
    pub fn class(self) -> u8 {
        match self {
            StatusExpect::Code(c) => (c / 100) as u8,
            StatusExpect::Class(d) => d,
        }
    }
}

impl std::fmt::Display for StatusExpect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StatusExpect::Code(c) => write!(f, "{c}"),
            StatusExpect::Class(d) => write!(f, "{d}xx"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(text: &str) -> RawBasis {
        RawBasis::from_table(&toml::from_str(text).unwrap()).unwrap()
    }

    #[test]
    fn a_fact_takes_its_own_basis_else_the_step_s() {
        let step = raw("source = \"https://docs.example.test/a\"").resolve(None).unwrap().unwrap();
        assert_eq!(step.basis, Basis::Documented);
        let own = raw("basis = \"inferred\"\nwhy = \"no page shows it\"").resolve(Some(&step)).unwrap().unwrap();
        assert!(own.inferred());
        assert_eq!(raw("").resolve(Some(&step)).unwrap(), Some(step.clone()));
        assert_eq!(raw("").resolve(None).unwrap(), None);
        let documented = raw("basis = \"documented\"").resolve(Some(&step)).unwrap().unwrap();
        assert_eq!(documented.source.as_deref(), Some("https://docs.example.test/a"));
    }

    #[test]
    fn malformed_bases_are_refused_with_what_to_write() {
        for (text, says) in [
            ("basis = \"inferred\"", "needs `why`"),
            ("basis = \"inferred\"\nwhy = \" \"", "`why` is empty"),
            ("why = \"guess\"", "add `basis = \"inferred\"`"),
            ("source = \"docs page\"", "https URL"),
            ("basis = \"inferred\"\nwhy = \"x\"\nsource = \"https://a.test/\"", "no `source`"),
            ("basis = \"documented\"", "needs `source`"),
        ] {
            let err = raw(text).resolve(None).unwrap_err();
            assert!(err.contains(says), "{text}: {err}");
        }
        assert!(RawBasis::from_table(&toml::from_str("basis = \"guessed\"").unwrap()).is_err());
    }

    #[test]
    fn statuses_are_codes_or_classes() {
        let parse = |t: &str| StatusExpect::parse(&toml::from_str::<toml::Table>(&format!("v = {t}")).unwrap()["v"]);
        assert_eq!(parse("200").unwrap(), StatusExpect::Code(200));
        assert_eq!(parse("\"2xx\"").unwrap(), StatusExpect::Class(2));
        assert_eq!(parse("\"404\"").unwrap(), StatusExpect::Code(404));
        assert!(parse("\"6xx\"").is_err() && parse("42").is_err() && parse("true").is_err());
        assert!(StatusExpect::Class(2).matches(201) && !StatusExpect::Class(2).matches(301));
        assert_eq!(StatusExpect::default().to_string(), "2xx");
    }
}
