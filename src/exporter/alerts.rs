//! `golive alerts`: Prometheus alerting rules for the metrics of `golive
//! serve`, generated from the plan's probes and each pack's `[[watch]]` table.
//!
//! - `GoliveProbeFailing`, one per read-only probe: `golive_probe_success`
//!   is 0 for the `for` duration; annotated with the runbook items it proves.
//! - `GoliveHttpSpike`, one per status a pack's `[[watch]]` names, plus 403
//!   and 5xx always (the Axys runbook's "alerting active for 403 and 5xx
//!   rates"): a probe that did not pass got such an answer from the partner
//!   (the same rule as `--watch`: an expected 4xx is no spike). A class rule
//!   (`4xx`) leaves out the exact statuses the pack names. Annotated with the
//!   `[[watch]]` meaning.
//! - `GoliveCertExpiring` (warning) and `GoliveCertExpiryCritical`, per
//!   `cert`/`tls` probe, at its `warn_days` and `fail_days`.
//! - `GoliveExporterDown`: no series of the environment at all (the exporter
//!   is down, or Prometheus does not reach it): every other rule would stay
//!   silent then, so this one speaks.
//! - `GoliveSeriesAbsent`: a probe that reported within the last day no
//!   longer does (a relabelling or a tag lost it); a probe never scraped is
//!   no alarm.
//!
//! Every rule carries `runbook_url`: `--runbook-url`, else the pack's
//! `[pack] runbook_url` (where the partner publishes the runbook).
//!
//! The output is YAML; every string is written as a JSON string, which YAML
//! reads as a double-quoted scalar.

use std::fmt::Write as _;
use std::time::Duration;

use crate::config::WatchRule;
use crate::plan::Plan;

/// Options of `golive alerts`.
#[derive(Debug, Clone)]
pub struct AlertOptions {
    /// How long a condition must hold before the alert fires.
    pub for_: Duration,
    /// `--runbook-url`: every rule's `runbook_url`, over the packs' own.
    pub runbook_url: Option<String>,
}

impl Default for AlertOptions {
    fn default() -> Self {
        AlertOptions { for_: Duration::from_secs(300), runbook_url: None }
    }
}

/// How long a probe's series are remembered for `GoliveSeriesAbsent`.
const ABSENT_WINDOW: &str = "24h";

/// A YAML (JSON-style) double-quoted string.
fn q(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into())
}

/// Text from a pack, for an annotation: `{{` would start a Go template there,
/// and pack text never means one.
fn plain(text: &str) -> String {
    text.replace("{{", "{ {")
}

/// A PromQL string literal (double-quoted, backslash escapes).
fn lit(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into())
}

/// A duration as Prometheus writes one, e.g. `5m` or `90s`.
fn prom_duration(d: Duration) -> String {
    let s = d.as_secs().max(1);
    if s.is_multiple_of(3600) {
        format!("{}h", s / 3600)
    } else if s.is_multiple_of(60) {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}

struct Rule {
    alert: &'static str,
    expr: String,
    severity: &'static str,
    labels: Vec<(&'static str, String)>,
    summary: String,
    description: String,
    runbook: Option<String>,
    runbook_url: Option<String>,
}

fn write_rule(out: &mut String, r: &Rule, for_: &str) {
    let _ = writeln!(out, "      - alert: {}", r.alert);
    let _ = writeln!(out, "        expr: {}", q(&r.expr));
    let _ = writeln!(out, "        for: {for_}");
    let _ = writeln!(out, "        labels:");
    let _ = writeln!(out, "          severity: {}", r.severity);
    for (k, v) in &r.labels {
        let _ = writeln!(out, "          {k}: {}", q(v));
    }
    let _ = writeln!(out, "        annotations:");
    let _ = writeln!(out, "          summary: {}", q(&r.summary));
    let _ = writeln!(out, "          description: {}", q(&r.description));
    if let Some(runbook) = &r.runbook {
        let _ = writeln!(out, "          runbook: {}", q(runbook));
    }
    if let Some(url) = &r.runbook_url {
        let _ = writeln!(out, "          runbook_url: {}", q(url));
    }
}

/// The integer value of a probe parameter, when written as one.
fn int_param(params: &toml::Table, key: &str) -> Option<i64> {
    params.get(key).and_then(toml::Value::as_integer)
}

/// The PromQL condition on `golive_probe_http_status_code` for a `[[watch]]`
/// status: exact (`== 403`) or a class minus the exact statuses named beside it.
fn status_condition(status: &str, exact_named: &[u16]) -> Option<String> {
    if let Ok(code) = status.parse::<u16>() {
        return Some(format!("== {code}"));
    }
    let class = status.chars().next()?.to_digit(10)?;
    let low = class * 100;
    let mut cond = format!(">= {low} < {}", low + 100);
    for code in exact_named.iter().filter(|c| u32::from(**c) / 100 == class) {
        let _ = write!(cond, " != {code}");
    }
    Some(cond)
}

/// The alerting rules for the plan's environment, as a Prometheus rule file.
pub fn rules(plan: &Plan, opts: &AlertOptions) -> String {
    let env = &plan.env_name;
    let for_ = prom_duration(opts.for_);
    let mut rules: Vec<Rule> = Vec::new();
    let envsel = format!("env={}", lit(env));
    let url_of = |pack: &crate::config::Pack| opts.runbook_url.clone().or_else(|| pack.runbook_url.clone());
    for p in plan.probes.iter().filter(|p| !p.spec.mutating()) {
        let pack = &plan.targets[p.target].pack.name;
        let runbook_url = url_of(&plan.targets[p.target].pack);
        let sel = format!("{{{envsel}, pack={}, probe={}}}", lit(pack), lit(&p.spec.id));
        let proves: Vec<String> =
            p.spec.runbook.iter().map(|r| plain(&format!("{} › {} › {}", r.runbook, r.section, r.item))).collect();
        let title = plain(&p.spec.title);
        let description = if proves.is_empty() {
            format!("{title} has not passed for {for_} from egress {{{{ $labels.egress }}}}.")
        } else {
            format!(
                "{title} has not passed for {for_} from egress {{{{ $labels.egress }}}}. It proves: {}.",
                proves.join("; ")
            )
        };
        rules.push(Rule {
            alert: "GoliveProbeFailing",
            expr: format!("golive_probe_success{sel} == 0"),
            severity: "critical",
            labels: vec![("probe", p.spec.id.clone())],
            summary: format!("golive probe {} is failing in {env}", p.spec.id),
            description,
            runbook: p.spec.runbook.first().map(|r| r.runbook.clone()),
            runbook_url: runbook_url.clone(),
        });
        let kind = p.spec.kind.name();
        if matches!(kind, "cert" | "tls") {
            let warn = int_param(&p.spec.params, "warn_days").unwrap_or(30);
            let fail = int_param(&p.spec.params, "fail_days").unwrap_or(0);
            let which =
                if kind == "cert" { "the client (program) certificate" } else { "the partner's server certificate" };
            let meaning = p
                .diagnoses
                .iter()
                .find(|d| d.when.error_class == Some(crate::spec::ErrorClass::CertExpiring))
                .map(|d| plain(&format!(" {}: {}.", d.cause.trim_end_matches('.'), d.fix.trim_end_matches('.'))))
                .unwrap_or_default();
            let expiry = format!("golive_cert_not_after_timestamp_seconds{sel} - time()");
            rules.push(Rule {
                alert: "GoliveCertExpiring",
                expr: format!("{expiry} < {} * 86400", warn),
                severity: "warning",
                labels: vec![("probe", p.spec.id.clone())],
                summary: format!("{which} checked by {} expires within {warn} days", p.spec.id),
                description: format!("{title} ({pack} pack warns at {warn} days).{meaning}"),
                runbook: p.spec.runbook.first().map(|r| r.runbook.clone()),
                runbook_url: runbook_url.clone(),
            });
            if fail > 0 {
                rules.push(Rule {
                    alert: "GoliveCertExpiryCritical",
                    expr: format!("{expiry} < {} * 86400", fail),
                    severity: "critical",
                    labels: vec![("probe", p.spec.id.clone())],
                    summary: format!("{which} checked by {} expires within {fail} days", p.spec.id),
                    description: format!("{title} ({pack} pack fails at {fail} days).{meaning}"),
                    runbook: p.spec.runbook.first().map(|r| r.runbook.clone()),
                    runbook_url: runbook_url.clone(),
                });
            }
        }
    }
    for target in &plan.targets {
        let pack = &target.pack;
        let mut statuses: Vec<String> = pack.watch.iter().map(|w| w.status.clone()).collect();
        for always in ["403", "5xx"] {
            if !statuses.iter().any(|s| s == always) {
                statuses.push(always.to_string());
            }
        }
        let exact: Vec<u16> = statuses.iter().filter_map(|s| s.parse().ok()).collect();
        let sel = format!("{{{envsel}, pack={}}}", lit(&pack.name));
        for status in &statuses {
            let Some(cond) = status_condition(status, &exact) else { continue };
            let meaning = WatchRule::meaning_of(&pack.watch, status)
                .map(plain)
                .unwrap_or_else(|| format!("{status} answers from the partner's API"));
            rules.push(Rule {
                alert: "GoliveHttpSpike",
                expr: format!(
                    "count by (env, pack, egress) (golive_probe_http_status_code{sel} {cond} and on (env, pack, probe, kind, egress) golive_probe_success{sel} == 0) > 0"
                ),
                severity: if status.starts_with('5') || status == "403" { "critical" } else { "warning" },
                labels: vec![("pack", pack.name.clone()), ("status", status.clone())],
                summary: format!("{} answers {status} to failing golive probes in {env}", plain(&pack.title)),
                description: format!("{meaning}. Egress {{{{ $labels.egress }}}}; {{{{ $value }}}} probes affected."),
                runbook: Some(pack.runbook.clone()),
                runbook_url: url_of(pack),
            });
        }
    }
    let first_url = plan.targets.first().and_then(|t| url_of(&t.pack));
    rules.push(Rule {
        alert: "GoliveExporterDown",
        expr: format!("absent(golive_probe_status{{{envsel}}})"),
        severity: "critical",
        labels: vec![("env", env.to_string())],
        summary: format!("golive serve of {env} reports nothing"),
        description: format!(
            "No golive series of environment {env} for {for_}: golive serve is down, or Prometheus cannot scrape it (check `up` of its job, and `golive serve --env {env}`). Every other golive alert is silent meanwhile."
        ),
        runbook: None,
        runbook_url: first_url,
    });
    for target in &plan.targets {
        let sel = format!("{envsel}, pack={}, status=\"pass\"", lit(&target.pack.name));
        let by = "count by (env, pack, probe, egress)";
        rules.push(Rule {
            alert: "GoliveSeriesAbsent",
            expr: format!(
                "{by} (present_over_time(golive_probe_status{{{sel}}}[{ABSENT_WINDOW}])) unless {by} (golive_probe_status{{{sel}}})"
            ),
            severity: "warning",
            labels: vec![("pack", target.pack.name.clone())],
            summary: format!("golive probe {{{{ $labels.probe }}}} stopped reporting in {env}"),
            description: format!(
                "The probe reported within the last {ABSENT_WINDOW} but not for {for_} (egress {{{{ $labels.egress }}}}): a scrape configuration, a tag or a relabelling no longer reaches it."
            ),
            runbook: Some(target.pack.runbook.clone()),
            runbook_url: url_of(&target.pack),
        });
    }
    let mut out = String::new();
    let _ = writeln!(out, "# Prometheus alerting rules for golive serve --env {env}, generated by `golive alerts`.");
    let _ = writeln!(out, "# Dashboard: `golive dashboard` prints a Grafana dashboard of the same metrics.");
    let _ =
        writeln!(out, "# Load them with `rule_files:` in prometheus.yml; check them with `promtool check rules FILE`.");
    let _ = writeln!(out, "groups:");
    let _ = writeln!(out, "  - name: {}", q(&format!("golive-{env}")));
    let _ = writeln!(out, "    rules:");
    for r in &rules {
        write_rule(&mut out, r, &for_);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_class_rule_leaves_out_the_exact_statuses_named_beside_it() {
        assert_eq!(status_condition("403", &[403]).as_deref(), Some("== 403"));
        assert_eq!(status_condition("4xx", &[401, 403, 503]).as_deref(), Some(">= 400 < 500 != 401 != 403"));
        assert_eq!(status_condition("5xx", &[]).as_deref(), Some(">= 500 < 600"));
    }

    #[test]
    fn durations_read_as_prometheus_writes_them() {
        assert_eq!(prom_duration(Duration::from_secs(300)), "5m");
        assert_eq!(prom_duration(Duration::from_secs(7200)), "2h");
        assert_eq!(prom_duration(Duration::from_secs(90)), "90s");
    }

    #[test]
    fn strings_are_quoted_and_templates_neutralised() {
        assert_eq!(q(&plain("a \"b\" {{ x }}")), r#""a \"b\" { { x }}""#);
    }
}
