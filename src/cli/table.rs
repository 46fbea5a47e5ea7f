//! Plain-text tables and paragraphs that fit a terminal: the terminal's
//! width (`COLUMNS`, else the terminal's own size), columns shrunk in a given
//! order down to their minimum with an ellipsis, paragraphs wrapped at
//! spaces. Into a pipe nothing is cut (scripts read every character).

/// The width to fit: `COLUMNS` when set to a number, else the size of the
/// terminal stdout is, else `None` (not a terminal: no limit).
pub fn width() -> Option<usize> {
    if let Some(n) = std::env::var("COLUMNS").ok().and_then(|c| c.trim().parse::<usize>().ok()).filter(|n| *n > 0) {
        return Some(n);
    }
    terminal_size::terminal_size_of(std::io::stdout()).map(|(w, _)| usize::from(w.0))
}

/// A column: its heading, and the least it may shrink to (`None`: never shrinks).
pub struct Column {
    /// The heading.
    pub name: &'static str,
    /// The narrowest it may become, in characters.
    pub min: Option<usize>,
}

/// The rows as lines, each column as wide as its widest cell, two spaces
/// apart; with a `limit`, the shrinkable columns give up width in the order
/// of `shrink` until the lines fit. `None` when they cannot fit even with
/// every column at its minimum (the caller lays the rows out another way).
pub fn render(columns: &[Column], rows: &[Vec<String>], limit: Option<usize>, shrink: &[usize]) -> Option<Vec<String>> {
    let header: Vec<String> = columns.iter().map(|c| c.name.to_string()).collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    if let Some(limit) = limit {
        let total = |w: &[usize]| w.iter().sum::<usize>() + 2 * w.len().saturating_sub(1);
        for &i in shrink {
            let Some(min) = columns[i].min else { continue };
            let over = total(&widths).saturating_sub(limit);
            if over == 0 {
                break;
            }
            widths[i] = widths[i].saturating_sub(over).max(min.min(widths[i]));
        }
        if total(&widths) > limit {
            return None;
        }
    }
    let lines = std::iter::once(&header)
        .chain(rows)
        .map(|row| {
            let cells: Vec<String> = row
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(i, (cell, w))| {
                    let cut = ellipsis(cell, *w);
                    if i + 1 == row.len() { cut } else { format!("{cut:<w$}") }
                })
                .collect();
            cells.join("  ").trim_end().to_string()
        })
        .collect();
    Some(lines)
}

/// `text` cut to `width` characters, its last one `…` when cut.
pub fn ellipsis(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// `text` wrapped at spaces into lines of at most `limit` characters (a word
/// longer than a line, e.g. a URL, cut with `…`), the first after `indent`
/// spaces, the others two more; no limit: one line.
pub fn wrap(text: &str, indent: usize, limit: Option<usize>) -> Vec<String> {
    let mut pad = " ".repeat(indent);
    let Some(limit) = limit.map(|l| l.saturating_sub(indent + 2).max(20)) else {
        return vec![format!("{pad}{text}")];
    };
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let word = ellipsis(word, limit);
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > limit {
            lines.push(format!("{pad}{line}"));
            pad = " ".repeat(indent + 2);
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    lines.push(format!("{pad}{line}"));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_shrink_in_order_with_an_ellipsis_and_never_below_their_minimum() {
        let columns = [
            Column { name: "ID", min: None },
            Column { name: "URL", min: Some(8) },
            Column { name: "NOTE", min: Some(4) },
        ];
        let rows =
            vec![vec!["a-probe".to_string(), "https://example.test/long/path".to_string(), "a long note".to_string()]];
        let wide = render(&columns, &rows, None, &[2, 1]).expect("no limit");
        assert_eq!(wide[1], "a-probe  https://example.test/long/path  a long note");
        let fit = render(&columns, &rows, Some(30), &[2, 1]).expect("fits");
        assert!(fit.iter().all(|l| l.chars().count() <= 30), "{fit:?}");
        assert!(fit[1].contains('…'), "{fit:?}");
        assert_eq!(render(&columns, &rows, Some(20), &[2, 1]), None, "never below the minimums");
    }

    #[test]
    fn paragraphs_wrap_at_spaces_under_an_indent() {
        let lines = wrap("one two three four five six seven eight nine ten", 4, Some(28));
        assert!(lines.iter().all(|l| l.starts_with("    ") && l.chars().count() <= 28), "{lines:?}");
        assert_eq!(wrap("one two", 2, None), vec!["  one two"]);
    }
}
