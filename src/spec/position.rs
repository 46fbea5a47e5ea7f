//! Where a pack declares something: its file and line (`nimbus.toml:42`),
//! kept by every step, assertion, capture and poll condition so a failed
//! check points back at the line that asked for it, as Hurl's errors do.
//! A built-in pack's file is its repository path (`probes/axys.toml`), the
//! same name its load errors give.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A file and a line in it, shown and serialized as `file:line`. Cheap to
/// clone: every position of one pack shares the file's name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SourceAt {
    /// The file as golive names it (the path as given, or `probes/<name>.toml`
    /// for a built-in pack).
    pub file: Arc<str>,
    /// The line, counted from 1.
    pub line: u32,
}

impl SourceAt {
    /// The position `line` of `file`.
    pub fn new(file: Arc<str>, line: u32) -> SourceAt {
        SourceAt { file, line }
    }
}

impl fmt::Display for SourceAt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

impl Serialize for SourceAt {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SourceAt {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<SourceAt, D::Error> {
        let text = String::deserialize(d)?;
        // The line follows the last colon: a file name may hold colons itself.
        let (file, line) = text
            .rsplit_once(':')
            .and_then(|(file, line)| Some((file, line.parse::<u32>().ok()?)))
            .ok_or_else(|| serde::de::Error::custom(format!("`{text}` is not `file:line`")))?;
        Ok(SourceAt { file: file.into(), line })
    }
}

impl schemars::JsonSchema for SourceAt {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "SourceAt".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A pack file and line, `file:line` (e.g. `nimbus.toml:42`, `probes/axys.toml:301`).",
            "type": "string",
            "pattern": "^.+:[0-9]+$"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_back_what_it_writes_even_with_colons_in_the_file() {
        let at = SourceAt::new("C:/packs/nimbus.toml".into(), 42);
        let json = serde_json::to_string(&at).unwrap();
        assert_eq!(json, "\"C:/packs/nimbus.toml:42\"");
        assert_eq!(serde_json::from_str::<SourceAt>(&json).unwrap(), at);
        assert!(serde_json::from_str::<SourceAt>("\"nimbus.toml\"").is_err());
    }
}
