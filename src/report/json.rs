//! The JSON renderer: the stable, versioned document (`"schema": 1`).

use std::io::{self, Write};

use super::RunSummary;

/// Writes the summary as pretty JSON followed by a newline.
pub fn render(summary: &RunSummary, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, summary)?;
    writeln!(out)
}
