//! `MANIFEST.sha256`: the format `sha256sum` prints and `sha256sum -c` reads,
//! `<64 hex digits>  <file name>\n` (two spaces; `*` instead of the second
//! space marks binary mode and is accepted when reading).

use sha2::{Digest, Sha256};

/// One line of a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Lower-case hex SHA-256.
    pub sha256: String,
    /// The file name, relative to the manifest's folder.
    pub name: String,
}

/// The lower-case hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The manifest text for files given as name and contents, in that order.
pub fn render<'a>(files: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> String {
    files.into_iter().map(|(name, bytes)| format!("{}  {name}\n", sha256_hex(bytes))).collect()
}

/// Parses a manifest: every entry, or the 1-based number of each line that is
/// not `<sha256>  <name>`, with why.
pub fn parse(text: &str) -> (Vec<Entry>, Vec<(usize, String)>) {
    let mut entries = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.is_empty() {
            continue;
        }
        let parsed = line.split_once(' ').and_then(|(hash, rest)| {
            let name = rest.strip_prefix(' ').or_else(|| rest.strip_prefix('*'))?;
            let hex_ok = hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit());
            (hex_ok && !name.is_empty()).then(|| Entry { sha256: hash.to_ascii_lowercase(), name: name.to_string() })
        });
        match parsed {
            Some(entry) => entries.push(entry),
            None => bad.push((i + 1, "is not `<64 hex digits>  <file name>`".to_string())),
        }
    }
    (entries, bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_as_sha256sum_does_and_parses_back() {
        let text = render([("a.json", &b"{}"[..]), ("b.jsonl", &b""[..])]);
        assert_eq!(
            text.lines().next(),
            Some("44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a  a.json")
        );
        let (entries, bad) = parse(&text);
        assert!(bad.is_empty());
        assert_eq!(entries.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(), ["a.json", "b.jsonl"]);
    }

    #[test]
    fn binary_mode_is_accepted_and_garbage_is_named_by_line() {
        let good = format!("{} *run.json\n", "A".repeat(64));
        let (entries, bad) = parse(&format!("{good}\nnot a line\n{}  x\n", "z".repeat(64)));
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].sha256, "a".repeat(64));
        assert_eq!(bad.iter().map(|(line, _)| *line).collect::<Vec<_>>(), [3, 4]);
    }
}
