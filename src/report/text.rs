//! Text from the network made inert where it is printed: [`terminal`] for a
//! terminal (and every plain-text report), [`markdown`] for a Markdown report.
//!
//! A check message, an expected or actual value, a diagnosis, a fact or a URL
//! may hold bytes a server sent (a body excerpt, a header, a certificate
//! subject, a DNS name), so every renderer passes each such string through one
//! of these at its boundary and adds its own colours and structure after. Data
//! formats (JSON) keep the bytes as they are: serde escapes them.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` must not reach an output as itself: C0 and C1 control
/// characters and DEL (which move the cursor, clear the screen, start ANSI CSI
/// and OSC sequences), the Unicode bidi marks, embeddings, overrides and
/// isolates (which reorder what the reader sees), the line and paragraph
/// separators (a line break to some viewers) and U+FFFE/U+FFFF (which XML,
/// hence JUnit, forbids).
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{fffe}'
                | '\u{ffff}'
        )
}

/// Appends `c` as a visible escape: `\n`, `\r`, `\t`, `\x1b` below U+0080,
/// `\u{202e}` above.
fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x80 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

/// Escapes every unsafe character of `text` except those `keep` accepts.
fn escape_except(text: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(|c| is_unsafe(c) && !keep(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_unsafe(c) && !keep(c) { push_escaped(&mut out, c) } else { out.push(c) }
    }
    Cow::Owned(out)
}

/// `text` safe for a terminal: every control character (newline and tab
/// included: a remote value stays on its line), ESC and so every ANSI CSI or
/// OSC sequence, DEL and every Unicode bidi control is shown escaped, e.g.
/// `\x1b[2J`, `\u{202e}`. Other text is returned as it is, unallocated.
pub fn terminal(text: &str) -> Cow<'_, str> {
    escape_except(text, |_| false)
}

/// Where [`markdown`] puts a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Md {
    /// A code span inside a line (never at its start: a long fence there
    /// would open a code block); line breaks become spaces.
    Inline,
    /// A code span in a table cell: also `|` is escaped, so the row keeps its
    /// cells.
    Cell,
    /// Multi-line text as a fenced code block on its own lines, each indented
    /// by this many spaces (the content column of the list item it belongs
    /// to), after a blank line; a single line as [`Md::Inline`].
    Block(usize),
}

/// `text` as Markdown that renders it literally: in a code span (or a fenced
/// block), whose fence is longer than any backtick run inside, so nothing in
/// it becomes a link, an image, a heading, HTML, a table cell or a mention,
/// and an entity such as `&lt;` shows as written. Control characters are
/// escaped as by [`terminal`]. Empty text gives an empty string.
pub fn markdown(text: &str, place: Md) -> String {
    let text = text.replace("\r\n", "\n");
    let text = escape_except(&text, |c| c == '\n');
    match place {
        Md::Block(indent) if text.contains('\n') => fenced(&text, indent),
        Md::Block(_) | Md::Inline => code_span(&text.replace('\n', " ")),
        Md::Cell => escape_pipes(&code_span(&text.replace('\n', " "))),
    }
}

/// The longest run of backticks in `text`.
fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

/// A code span holding `text` (one line) literally.
fn code_span(text: &str) -> String {
    if text.is_empty() {
        return String::new();
    }
    let fence = "`".repeat(longest_backtick_run(text) + 1);
    // CommonMark strips one space from each end of a code span that begins and
    // ends with one; a backtick at either end would merge with the fence.
    let all_spaces = text.chars().all(|c| c == ' ');
    let pad =
        !all_spaces && (text.starts_with('`') || text.ends_with('`') || (text.starts_with(' ') && text.ends_with(' ')));
    let pad = if pad { " " } else { "" };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// A fenced code block holding `text`, every line indented by `indent`.
fn fenced(text: &str, indent: usize) -> String {
    let fence = "`".repeat((longest_backtick_run(text) + 1).max(3));
    let ind = " ".repeat(indent);
    let mut out = format!("\n\n{ind}{fence}\n");
    for line in text.split('\n') {
        if !line.is_empty() {
            out.push_str(&ind);
            out.push_str(line);
        }
        out.push('\n');
    }
    out.push_str(&ind);
    out.push_str(&fence);
    out
}

/// Escapes every `|` for a GFM table cell. The table parser pairs a backslash
/// with any punctuation that follows it, so a pipe after an odd run of
/// backslashes gets one more backslash (shown: the only way to keep the cell).
fn escape_pipes(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut backslashes = 0;
    for c in text.chars() {
        if c == '|' {
            if backslashes % 2 == 1 {
                out.push('\\');
            }
            out.push('\\');
        }
        backslashes = if c == '\\' { backslashes + 1 } else { 0 };
        out.push(c);
    }
    out
}

/// golive's or the pack's own words (a title, a runbook item, a skip reason)
/// in Markdown text, one line, where their backticks still make code: control
/// characters escaped, `\`, `|` and `<` escaped so a cell stays a cell and no
/// HTML starts. Never for text from the network: that goes through [`markdown`].
pub fn markdown_prose(text: &str) -> String {
    let flat = text.replace("\r\n", " ").replace('\n', " ");
    terminal(&flat).replace('\\', "\\\\").replace('|', "\\|").replace('<', "&lt;")
}

/// A whole number with a comma every three digits: `2,491`, `-1,000`.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// A count and its noun: `1 probe`, `0 probes`, `2,491 days`.
pub fn count(n: impl Into<i64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{} {}", thousands(n), if n == 1 || n == -1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_agree_with_their_noun_and_group_thousands() {
        assert_eq!(count(1, "probe", "probes"), "1 probe");
        assert_eq!(count(0, "probe", "probes"), "0 probes");
        assert_eq!(count(2491, "day", "days"), "2,491 days");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(-1000), "-1,000");
        assert_eq!(thousands(999), "999");
    }

    #[test]
    fn terminal_escapes_csi_osc_and_bidi_and_keeps_the_rest() {
        assert_eq!(terminal("a\u{1b}[2Jb"), "a\\x1b[2Jb");
        assert_eq!(terminal("\u{1b}]0;pwned\u{7}"), "\\x1b]0;pwned\\x07");
        assert_eq!(terminal("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(terminal("\u{9b}2J \u{7f}"), "\\u{9b}2J \\x7f");
        assert_eq!(terminal("line\nnext\ttab\r"), "line\\nnext\\ttab\\r");
        assert!(matches!(terminal("café ✓ › ok"), Cow::Borrowed("café ✓ › ok")));
    }

    #[test]
    fn markdown_code_spans_outfence_backticks_and_keep_entities() {
        assert_eq!(markdown("dig -x <calling IP> &lt;", Md::Inline), "`dig -x <calling IP> &lt;`");
        assert_eq!(markdown("a `b` c", Md::Inline), "``a `b` c``");
        assert_eq!(markdown("`x``", Md::Inline), "``` `x`` ```");
        assert_eq!(markdown(" x ", Md::Inline), "`  x  `");
        assert_eq!(markdown("a\nb\r\n# c", Md::Inline), "`a b # c`");
        assert_eq!(markdown("\u{1b}[2J", Md::Inline), "`\\x1b[2J`");
        assert_eq!(markdown("", Md::Cell), "");
    }

    #[test]
    fn markdown_cells_escape_pipes_even_after_backslashes() {
        assert_eq!(markdown("| a | b |", Md::Cell), "`\\| a \\| b \\|`");
        // `\|` keeps its cell: `\\` + `\|` would pair the two backslashes.
        assert_eq!(markdown("x\\|", Md::Cell), "`x\\\\\\|`");
        assert_eq!(markdown("x\\\\|", Md::Cell), "`x\\\\\\|`");
    }

    #[test]
    fn markdown_blocks_fence_multi_line_text() {
        assert_eq!(markdown("one line", Md::Block(2)), "`one line`");
        assert_eq!(markdown("# hi\n```\n\nend", Md::Block(2)), "\n\n  ````\n  # hi\n  ```\n\n  end\n  ````");
    }

    #[test]
    fn prose_keeps_code_and_escapes_cells_and_html() {
        assert_eq!(markdown_prose("needs `a` | <b>\nx"), "needs `a` \\| &lt;b> x");
    }
}
