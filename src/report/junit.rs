//! The JUnit renderer (quick-junit): one test suite per runbook section, one
//! test case per probe; fail → `<failure>`, error → `<error>`, skip → `<skipped>`.

use std::io::{self, Write};
use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::{ProbeReport, RunSummary, Status};

/// Writes the summary as JUnit XML.
pub fn render(summary: &RunSummary, out: &mut dyn Write) -> io::Result<()> {
    let mut report = Report::new(format!("golive {}", summary.env));
    report.set_time(Duration::from_millis(summary.duration_ms));
    for (section, probes) in summary.by_section() {
        let mut suite = TestSuite::new(section);
        for p in probes {
            suite.add_test_case(case(p));
        }
        report.add_test_suite(suite);
    }
    report.serialize(&mut *out).map_err(io::Error::other)?;
    writeln!(out)
}

fn case(p: &ProbeReport) -> TestCase {
    let details = || {
        let mut lines: Vec<String> = p.findings().map(|c| format!("{}: {}", c.name, c.message)).collect();
        if let Some(d) = &p.diagnosis {
            lines.push(format!("cause: {}", d.cause));
            lines.push(format!("fix: {}", d.fix));
        }
        lines.join("\n")
    };
    let first = || p.findings().next().map_or_else(String::new, |c| c.message.clone());
    let status = match p.status {
        Status::Pass | Status::Warn => TestCaseStatus::success(),
        Status::Fail | Status::Error => {
            let kind = if p.status == Status::Fail { NonSuccessKind::Failure } else { NonSuccessKind::Error };
            let mut s = TestCaseStatus::non_success(kind);
            s.set_message(first()).set_type(p.kind.clone()).set_description(details());
            s
        }
        Status::Skip => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(p.reason.clone().unwrap_or_default());
            s
        }
    };
    let mut case = TestCase::new(format!("{} — {}", p.id, p.title), status);
    case.set_classname(format!("{}.{}", p.pack, p.kind));
    case.set_time(Duration::from_millis(p.duration_ms));
    if p.status == Status::Warn {
        case.set_system_out(details());
    }
    case
}
