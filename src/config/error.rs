//! Configuration errors that point at the line: file, line, column, the line
//! itself with a caret, and a suggestion when one is close.
//!
//! Rendering goes through annotate-snippets (the renderer rustc's own
//! diagnostics use), plain in tests and pipes, styled on a terminal.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};

/// A usage or configuration error: golive ran nothing and exits 2.
/// Boxed, so `Result<_, ConfigError>` stays small on the happy path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(Box<ErrorDetail>);

/// What a [`ConfigError`] says and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorDetail {
    /// The file at fault, as the user named it (or as resolved from a relative path).
    pub path: Option<PathBuf>,
    /// The file's text, when the error points into it.
    pub source: Option<Arc<str>>,
    /// The byte range at fault.
    pub span: Option<Range<usize>>,
    /// The headline.
    pub message: String,
    /// A label under the caret.
    pub label: Option<String>,
    /// Hints: a suggestion, how to write it instead, the known values.
    pub help: Vec<String>,
    /// The other errors of the same file, found in the same pass (see
    /// [`ConfigError::all`]): a file's errors are reported at once.
    pub more: Vec<ConfigError>,
    /// How many more errors there were than [`MAX_ERRORS`] shows.
    pub not_shown: usize,
}

/// The most errors of one file reported at once; the rest are counted.
pub const MAX_ERRORS: usize = 10;

impl ConfigError {
    /// An error not tied to any file (a bad command-line value).
    pub fn usage(message: impl Into<String>) -> Self {
        ConfigError(Box::new(ErrorDetail {
            path: None,
            source: None,
            span: None,
            message: message.into(),
            label: None,
            help: Vec::new(),
            more: Vec::new(),
            not_shown: 0,
        }))
    }

    /// One error carrying every error of `errors` (in file order, at most
    /// [`MAX_ERRORS`] shown, the rest counted), or `None` when there are none.
    pub fn all(mut errors: Vec<ConfigError>) -> Option<ConfigError> {
        errors.sort_by_key(|e| (e.path.clone(), e.span.as_ref().map(|s| s.start)));
        let mut flat: Vec<ConfigError> = Vec::new();
        for mut e in errors {
            let more = std::mem::take(&mut e.0.more);
            flat.push(e);
            flat.extend(more);
        }
        let not_shown = flat.len().saturating_sub(MAX_ERRORS);
        flat.truncate(MAX_ERRORS);
        let mut iter = flat.into_iter();
        let mut first = iter.next()?;
        first.0.more = iter.collect();
        first.0.not_shown += not_shown;
        Some(first)
    }

    /// How many errors this one reports, itself included.
    pub fn count(&self) -> usize {
        1 + self.more.len() + self.not_shown
    }

    /// An error about a whole file.
    pub fn in_file(path: &Path, message: impl Into<String>) -> Self {
        let mut err = ConfigError::usage(message);
        err.0.path = Some(path.to_path_buf());
        err
    }

    /// An error at a span of a file's text.
    pub fn at(file: &SourceFile, span: Range<usize>, message: impl Into<String>) -> Self {
        let mut err = ConfigError::in_file(&file.path, message);
        err.0.source = Some(file.text.clone());
        err.0.span = Some(span);
        err
    }

    /// Adds a label under the caret.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.0.label = Some(label.into());
        self
    }

    /// Adds a hint.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.0.help.push(help.into());
        self
    }

    /// Adds "did you mean `x`?" when a known value is close to `got`.
    pub fn suggest<'a>(self, got: &str, known: impl IntoIterator<Item = &'a str>) -> Self {
        match closest(got, known) {
            Some(best) => self.help(format!("did you mean `{best}`?")),
            None => self,
        }
    }

    /// The 1-based line and column of the span's start.
    pub fn line_col(&self) -> Option<(usize, usize)> {
        let (text, span) = (self.source.as_ref()?, self.span.as_ref()?);
        let before = &text[..span.start.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Some((line, col))
    }

    /// The message as rustc would print it: `error: ...`, `--> file:line:col`,
    /// the line with a caret, then `= help:` lines.
    pub fn render(&self, styled: bool) -> String {
        let path = self.path.as_ref().map(|p| p.display().to_string());
        let mut group = Group::with_title(Level::ERROR.primary_title(&self.message));
        match (&self.source, &self.span, &path) {
            (Some(text), Some(span), _) => {
                let span = clamp(span.clone(), text);
                let mut snippet = Snippet::source(&**text).path(path.as_deref()).fold(true);
                snippet = snippet.annotation(AnnotationKind::Primary.span(span).label(self.label.as_deref()));
                group = group.element(snippet);
            }
            (_, _, Some(p)) => group = group.element(Origin::path(p.as_str())),
            _ => {}
        }
        let group: Group<'_> = self.help.iter().fold(group, |g, h| g.element(Level::HELP.message(h.as_str())));
        let renderer = if styled { Renderer::styled() } else { Renderer::plain() };
        let mut text = renderer.render(&[group]).to_string();
        for e in &self.more {
            text.push_str("\n\n");
            text.push_str(&e.render(styled));
        }
        if self.count() > 1 {
            let file = self.path.as_ref().map(|p| format!(" in {}", p.display())).unwrap_or_default();
            let shown = if self.not_shown > 0 {
                format!(" (the first {} shown)", self.count() - self.not_shown)
            } else {
                String::new()
            };
            text.push_str(&format!("\n\nerror: {} errors{file}{shown}; nothing ran", self.count()));
        }
        text
    }
}

impl std::ops::Deref for ConfigError {
    type Target = ErrorDetail;
    fn deref(&self) -> &ErrorDetail {
        &self.0
    }
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render(false))
    }
}

impl std::error::Error for ConfigError {}

/// A file's path and text, kept so errors can point into it.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path as shown to the user.
    pub path: PathBuf,
    /// The whole text.
    pub text: Arc<str>,
}

impl SourceFile {
    /// Reads a file, with an error that says what to do when it cannot.
    pub fn read(path: &Path, what: &str) -> Result<SourceFile, ConfigError> {
        if path.is_dir() {
            return Err(ConfigError::in_file(path, format!("{what} {} is a directory, not a file", path.display())));
        }
        let text = crate::files::read_regular_text(path, crate::files::MAX_CONFIG_BYTES).map_err(|e| {
            ConfigError::in_file(path, format!("cannot read {what} {}: {}", path.display(), io_reason(&e)))
        })?;
        Ok(SourceFile { path: path.to_path_buf(), text: text.into() })
    }

    /// A file known by name whose text is embedded in the binary.
    pub fn embedded(name: &str, text: &'static str) -> SourceFile {
        SourceFile { path: PathBuf::from(name), text: text.into() }
    }
}

/// A short, lower-case reason for an I/O error, without the OS error number.
pub fn io_reason(e: &std::io::Error) -> String {
    // golive's own errors (a FIFO refused, a file over its bound) say it in words.
    if e.get_ref().is_some() && e.raw_os_error().is_none() {
        return e.to_string();
    }
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        std::io::ErrorKind::InvalidData => "not valid UTF-8 text".to_string(),
        kind => kind.to_string(),
    }
}

/// The known value closest to `got`, if it is close enough to be a typo:
/// fewest edits first (a letter left out, swapped or doubled: `axys-mtl` is
/// `axys-mtls`, not `axys-tls`), the shared prefix (Jaro-Winkler) to break ties.
pub fn closest<'a>(got: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    known
        .into_iter()
        .map(|k| (strsim::normalized_damerau_levenshtein(got, k), strsim::jaro_winkler(got, k), k))
        .filter(|(edits, prefix, _)| *prefix > 0.8 || *edits >= 0.7)
        .max_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)))
        .map(|(_, _, k)| k)
}

fn clamp(span: Range<usize>, text: &str) -> Range<usize> {
    let start = span.start.min(text.len());
    let end = span.end.clamp(start, text.len());
    start..end
}

/// Turns a toml parse or type error into a [`ConfigError`] at its span, with
/// "did you mean" for unknown keys. `context` names the table, e.g. "environment `staging`".
pub fn from_toml(file: &SourceFile, err: &toml::de::Error) -> ConfigError {
    let message = err.message().trim().to_string();
    let span = err.span().unwrap_or(0..0);
    if let Some((key, expected)) = parse_unknown_field(&message) {
        return unknown_key(file, span, &key, expected.iter().map(String::as_str));
    }
    if let Some(field) = message.strip_prefix("missing field ") {
        return ConfigError::at(file, span, format!("missing key {field}")).help(format!("add {field} to this table"));
    }
    ConfigError::at(file, span, message)
}

/// The error for a key not known where it is written, with "did you mean"
/// and the keys known there.
pub fn unknown_key<'a>(
    file: &SourceFile,
    span: Range<usize>,
    key: &str,
    known: impl IntoIterator<Item = &'a str>,
) -> ConfigError {
    let known: Vec<&str> = known.into_iter().collect();
    ConfigError::at(file, span, format!("unknown key `{key}`"))
        .label("not a key golive knows here")
        .suggest(key, known.iter().copied())
        .help(format!("known keys here: {}", known.join(", ")))
}

/// Parses serde's "unknown field `x`, expected one of `a`, `b`" message.
fn parse_unknown_field(message: &str) -> Option<(String, Vec<String>)> {
    let rest = message.strip_prefix("unknown field `")?;
    let (key, rest) = rest.split_once('`')?;
    let expected = rest.split('`').skip(1).step_by(2).map(str::to_string).collect();
    Some((key.to_string(), expected))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_serde_unknown_field_message() {
        let (key, expected) =
            parse_unknown_field("unknown field `base_ur`, expected one of `pack`, `base_url`").unwrap();
        assert_eq!(key, "base_ur");
        assert_eq!(expected, ["pack", "base_url"]);
    }

    #[test]
    fn line_and_column_are_one_based() {
        let file = SourceFile::embedded("x.toml", "a = 1\nbb = 2\n");
        let err = ConfigError::at(&file, 7..8, "boom");
        assert_eq!(err.line_col(), Some((2, 2)));
    }
}
