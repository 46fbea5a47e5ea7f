//! The observed command's log: where it is (a file the user names with
//! `--log`, or the command's own output, captured), how long it is at a given
//! moment (the front notes it on every exchange, so the lines written in
//! reaction to an answer can be found later), and reading those lines back.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// At most this much of a log is read for one reaction.
const MAX_SLICE: u64 = 64 * 1024;

/// Where the command's log is: a file, measured by its size. The command's
/// own output is captured into a file too (not a pipe), so a line it writes
/// before sending its next request is in the file when the front measures it.
#[derive(Debug, Clone)]
pub struct LogMeter {
    path: PathBuf,
    captured: bool,
}

impl LogMeter {
    /// A log file the command writes (`--log PATH`).
    pub fn file(path: PathBuf) -> LogMeter {
        LogMeter { path, captured: false }
    }

    /// The file the command's output is captured into.
    pub fn captured(path: PathBuf) -> LogMeter {
        LogMeter { path, captured: true }
    }

    /// The log's size now (0 for a file not created yet).
    pub fn offset(&self) -> u64 {
        std::fs::metadata(&self.path).map_or(0, |m| m.len())
    }

    /// The file to read lines from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What the log is, for a report: `the log file app.log` or `the command's output`.
    pub fn describe(&self) -> String {
        if self.captured { "the command's output".to_string() } else { format!("the log file {}", self.path.display()) }
    }

    /// The non-empty lines written between two offsets (`to`: the end when
    /// `None`), at most 64 KiB of them, lossily decoded.
    pub fn lines(&self, from: u64, to: Option<u64>) -> Vec<String> {
        let Ok(mut file) = std::fs::File::open(self.path()) else { return Vec::new() };
        let end = to.unwrap_or_else(|| file.metadata().map_or(from, |m| m.len()));
        if end <= from || file.seek(SeekFrom::Start(from)).is_err() {
            return Vec::new();
        }
        let mut bytes = Vec::new();
        let _ = file.take((end - from).min(MAX_SLICE)).read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect()
    }
}

/// A log line with what varies between two identical events blurred:
/// digits (timestamps, ids, counters) become `#`, runs of spaces one space.
pub fn normalise(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut last = ' ';
    for c in line.chars() {
        let c = if c.is_ascii_digit() {
            '#'
        } else if c.is_whitespace() {
            ' '
        } else {
            c
        };
        if (c == '#' && last == '#') || (c == ' ' && last == ' ') {
            continue;
        }
        out.push(c);
        last = c;
    }
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_and_ids_do_not_make_two_lines_differ() {
        assert_eq!(
            normalise("2025-01-01T10:00:01Z  ERROR  API error 403 (req 17)"),
            normalise("2025-01-02T11:30:59Z ERROR API error 401 (req 9)")
        );
        assert_ne!(normalise("403 No Authorised IPs configured"), normalise("401 API key rejected"));
    }

    #[test]
    fn lines_between_two_offsets_are_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        std::fs::write(&path, "one\n\ntwo\nthree\n").unwrap();
        let meter = LogMeter::file(path);
        assert_eq!(meter.offset(), 15);
        assert_eq!(meter.lines(4, Some(9)), ["two"]);
        assert_eq!(meter.lines(4, None), ["two", "three"]);
        assert!(meter.lines(9, Some(4)).is_empty());
    }
}
