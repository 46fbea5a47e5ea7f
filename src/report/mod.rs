//! The report model and its renderers: one small file per output format.
//!
//! Every renderer writes a [`RunSummary`] to any `io::Write`, so tests capture
//! it. The model is redacted before it reaches a renderer (see [`crate::redact`]),
//! and every string in it is made inert where it is printed (see [`text`]).

pub mod events;
mod github;
pub mod html;
mod human;
mod json;
mod junit;
mod markdown;
pub mod merge;
mod model;
pub mod progress;
mod redact;
pub mod reporter;
pub mod schema;
pub mod stdout;
pub mod text;
pub mod trace;

use std::io;
use std::str::FromStr;

pub use events::RunEvent;
pub use github::render as render_github;
pub use human::{render as render_human, style as status_style};
pub use json::render as render_json;
pub use junit::render as render_junit;
pub use markdown::{render as render_markdown, render_remote as render_markdown_remote};
pub use model::*;

/// An output format for `--format` and `--report FORMAT=PATH`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Readable report grouped by runbook section (the default).
    Human,
    /// The versioned JSON document (`"schema": 1`).
    Json,
    /// JUnit XML for CI test reporters.
    Junit,
    /// Markdown for a CI job summary or a pull-request comment.
    Markdown,
    /// GitHub Actions workflow commands: one `::error`/`::warning` annotation per probe that did not pass.
    Github,
    /// One self-contained HTML page: summary, timeline, stages, certificate bars.
    Html,
}

impl Format {
    /// The format's name in messages: `human`, `JSON`, `JUnit`, `Markdown`.
    pub fn label(self) -> &'static str {
        match self {
            Format::Human => "human",
            Format::Json => "JSON",
            Format::Junit => "JUnit",
            Format::Markdown => "Markdown",
            Format::Github => "GitHub annotations",
            Format::Html => "HTML",
        }
    }

    /// Renders the summary in this format. `colour` only affects `human`.
    pub fn render(self, summary: &RunSummary, out: &mut dyn io::Write, colour: bool) -> io::Result<()> {
        match self {
            Format::Human => render_human(summary, out, colour),
            Format::Json => render_json(summary, out),
            Format::Junit => render_junit(summary, out),
            Format::Markdown => render_markdown(summary, out),
            Format::Github => render_github(summary, out),
            Format::Html => html::render(summary, out),
        }
    }
}

impl Format {
    /// Renders a summary read back from report files (`golive report merge`):
    /// as [`Format::render`], except that Markdown writes every string of the
    /// summary as code, since anyone could have written those files.
    pub fn render_remote(self, summary: &RunSummary, out: &mut dyn io::Write, colour: bool) -> io::Result<()> {
        match self {
            Format::Markdown => render_markdown_remote(summary, out),
            other => other.render(summary, out, colour),
        }
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        <Format as clap::ValueEnum>::from_str(s, true)
            .map_err(|_| format!("unknown format `{s}`: use human, json, junit, markdown, html or github"))
    }
}

/// A `--report FORMAT=PATH` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportTarget {
    /// The format.
    pub format: Format,
    /// Where to write it.
    pub path: std::path::PathBuf,
}

impl FromStr for ReportTarget {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (format, path) =
            s.split_once('=').ok_or_else(|| format!("`{s}` is not FORMAT=PATH, e.g. junit=golive.xml"))?;
        if path.is_empty() {
            return Err(format!("`{s}` has no path after `=`, e.g. junit=golive.xml"));
        }
        Ok(ReportTarget { format: format.parse()?, path: path.into() })
    }
}
