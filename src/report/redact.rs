//! Redaction of a whole probe report: the model knows its free-text fields,
//! [`Redactor`] knows the secrets.

use super::ProbeReport;
use crate::redact::Redactor;

impl Redactor {
    /// Redacts every free-text field of a probe report in place.
    pub fn redact_report(&self, report: &mut ProbeReport) {
        // No early return without secrets: card numbers are masked regardless.
        let fix = |s: &mut String| self.redact_in_place(s);
        fix(&mut report.title);
        if let Some(reason) = &mut report.reason {
            fix(reason);
        }
        for check in &mut report.checks {
            fix(&mut check.name);
            fix(&mut check.message);
            check.expected.iter_mut().for_each(fix);
            check.actual.iter_mut().for_each(fix);
        }
        if let Some(d) = &mut report.diagnosis {
            fix(&mut d.cause);
            fix(&mut d.fix);
        }
        for value in report.facts.values_mut().chain(report.trace.iter_mut()) {
            self.redact_json(value);
        }
    }
}
