//! The JUnit renderer (quick-junit): one test suite per runbook section, one
//! test case per probe; fail → `<failure>`, error → `<error>`, skip → `<skipped>`,
//! the probe's error class as the `type` of a failure or error.
//!
//! Every string goes through [`terminal`] first: a CI page shows a server's
//! escape sequences as text, and XML cannot hold most control characters at
//! all, escaped or not.

use std::io::{self, Write};
use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::text::terminal;
use super::{Check, ProbeReport, RunSummary, Status};

/// Writes the summary as JUnit XML.
pub fn render(summary: &RunSummary, out: &mut dyn Write) -> io::Result<()> {
    let mut report = Report::new(format!("golive {}", terminal(&summary.env)));
    report.set_time(Duration::from_millis(summary.duration_ms));
    for (section, probes) in summary.by_section() {
        let mut suite = TestSuite::new(terminal(&section).into_owned());
        for p in probes {
            suite.add_test_case(case(p));
        }
        report.add_test_suite(suite);
    }
    // Serialized in memory first: quick-junit wraps a write error in its own
    // type, which would hide a closed pipe (EPIPE) from the caller.
    let xml = report.to_string().map_err(io::Error::other)?;
    writeln!(out, "{xml}")
}

fn case(p: &ProbeReport) -> TestCase {
    let details = || {
        let mut lines: Vec<String> =
            p.findings().map(|c| format!("{}: {}{}", terminal(&c.name), terminal(&c.message), at(c))).collect();
        if let Some(d) = &p.diagnosis {
            lines.push(format!("cause: {}", terminal(&d.cause)));
            lines.push(format!("fix: {}", terminal(&d.fix)));
        }
        lines.join("\n")
    };
    let first = || p.findings().next().map_or_else(String::new, |c| format!("{}{}", terminal(&c.message), at(c)));
    let status = match p.status {
        Status::Pass | Status::Warn => TestCaseStatus::success(),
        Status::Fail | Status::Error => {
            let kind = if p.status == Status::Fail { NonSuccessKind::Failure } else { NonSuccessKind::Error };
            let mut s = TestCaseStatus::non_success(kind);
            s.set_message(first()).set_description(details());
            // The stable error class (`unknown-ca`, `http-status`): what a CI
            // dashboard groups failures by. The kind is in the classname.
            if let Some(class) = p.error_class {
                s.set_type(class.as_str());
            }
            s
        }
        Status::Skip => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(terminal(p.reason.as_deref().unwrap_or_default()).into_owned());
            s
        }
    };
    let mut case = TestCase::new(format!("{} — {}", terminal(&p.id), terminal(&p.title)), status);
    case.set_classname(format!("{}.{}", terminal(&p.pack), terminal(&p.kind)));
    case.set_time(Duration::from_millis(p.duration_ms));
    if p.status == Status::Warn {
        case.set_system_out(details());
    }
    case
}

/// ` (at nimbus.toml:42)`: where the pack declares what a check judged.
fn at(c: &Check) -> String {
    c.at.as_ref().map(|a| format!(" (at {})", terminal(&a.to_string()))).unwrap_or_default()
}
