//! The monitoring check (`check = "alerts"`): asks the Prometheus the user
//! names for its loaded alerting rules (`GET /api/v1/rules?type=alert`) and
//! proves that each alert the pack asks for exists and is not firing.
//!
//! An alerting rule covers an alert when one of the alert's `any` words is in
//! its expression or a label value, and one of its `partner` words is in its
//! expression, labels, annotations, name or group. A word of letters and
//! digits matches a whole token (`403` in `code="403"`, not in `4031`;
//! `payments` not in `paymentsai`); anything else matches as text (`5..`).

use std::time::Duration;

use serde_json::Value;

use super::judge::Verdict;
use crate::config::observe::AlertSpec;
use crate::report::{Check, Status};

/// How long Prometheus may take to list its rules.
const DEADLINE: Duration = Duration::from_secs(10);

/// Whether `word` is in `text` (lower-case both): a whole token for a word of
/// letters and digits, a substring otherwise.
fn holds(text: &str, word: &str) -> bool {
    if word.chars().all(char::is_alphanumeric) {
        text.split(|c: char| !c.is_alphanumeric()).any(|t| t == word)
    } else {
        text.contains(word)
    }
}

/// A URL as shown in a report: without user and password.
pub fn shown(url: &reqwest::Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.to_string()
}

/// One loaded alerting rule, as Prometheus lists it.
struct Loaded<'a> {
    group: &'a str,
    rule: &'a Value,
}

impl Loaded<'_> {
    fn name(&self) -> &str {
        self.rule["name"].as_str().unwrap_or("?")
    }

    fn text_of(&self, key: &str) -> String {
        self.rule[key].as_object().map_or_else(String::new, |m| {
            m.values().filter_map(Value::as_str).collect::<Vec<_>>().join(" ").to_lowercase()
        })
    }

    fn covers(&self, spec: &AlertSpec) -> bool {
        let query = self.rule["query"].as_str().unwrap_or_default().to_lowercase();
        let labels = self.text_of("labels");
        let what = format!("{query} {labels}");
        let all = format!(
            "{what} {} {} {}",
            self.text_of("annotations"),
            self.name().to_lowercase(),
            self.group.to_lowercase()
        );
        spec.any.iter().any(|w| holds(&what, w))
            && (spec.partner.is_empty() || spec.partner.iter().any(|w| holds(&all, w)))
    }

    /// `GoliveHttpSpike (group golive-demo, status 403)`: name, group and labels that tell rules apart.
    fn describe(&self) -> String {
        let labels: Vec<String> = self.rule["labels"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, _)| k.as_str() != "severity")
            .filter_map(|(k, v)| v.as_str().map(|v| format!("{k} {v}")))
            .collect();
        let labels = if labels.is_empty() { String::new() } else { format!(", {}", labels.join(", ")) };
        format!("{} (group {}{labels})", self.name(), self.group)
    }
}

/// The verdict on `alerts` against the Prometheus at `url`.
pub async fn check(url: Option<&reqwest::Url>, alerts: &[AlertSpec]) -> Verdict {
    let Some(url) = url else {
        return Verdict::skip(
            "no Prometheus named: pass --prometheus URL, or set vars.prometheus_url in the environment",
        );
    };
    let at = shown(url);
    let answer = match fetch(url).await {
        Ok(v) => v,
        Err(why) => {
            return Verdict::of(
                vec![Check::new("prometheus", Status::Error, format!("cannot read the alerting rules of {at}: {why}"))],
                vec![],
            );
        }
    };
    let groups = answer["data"]["groups"].as_array().cloned().unwrap_or_default();
    let loaded: Vec<Loaded<'_>> = groups
        .iter()
        .flat_map(|g| {
            let group = g["name"].as_str().unwrap_or("?");
            g["rules"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|r| r["type"] == "alerting")
                .map(move |rule| Loaded { group, rule })
        })
        .collect();
    let mut checks = Vec::new();
    for spec in alerts {
        let covering: Vec<&Loaded<'_>> = loaded.iter().filter(|l| l.covers(spec)).collect();
        let check = if covering.is_empty() {
            let partner =
                if spec.partner.is_empty() { String::new() } else { format!(" naming {}", spec.partner.join(" or ")) };
            Check::new(
                &spec.about,
                Status::Fail,
                format!(
                    "none of the {} alerting rules loaded in {at} covers {} (an expression or label with {}{partner})",
                    loaded.len(),
                    spec.about,
                    spec.any.join(" or ")
                ),
            )
        } else if let Some(firing) = covering.iter().find(|l| l.rule["state"] == "firing") {
            Check::new(
                &spec.about,
                Status::Fail,
                format!("{} covers {} and is firing now", firing.describe(), spec.about),
            )
        } else if let Some(pending) = covering.iter().find(|l| l.rule["state"] == "pending") {
            Check::new(
                &spec.about,
                Status::Warn,
                format!("{} covers {} and is pending (about to fire)", pending.describe(), spec.about),
            )
        } else {
            let names: Vec<String> = covering.iter().take(3).map(|l| l.describe()).collect();
            Check::new(
                &spec.about,
                Status::Pass,
                format!("{} covers {}: loaded, not firing", names.join("; "), spec.about),
            )
        };
        checks.push(check);
    }
    Verdict::of(checks, vec![])
}

async fn fetch(url: &reqwest::Url) -> Result<Value, String> {
    let mut rules = url.clone();
    let path = format!("{}/api/v1/rules", url.path().trim_end_matches('/'));
    rules.set_path(&path);
    rules.set_query(Some("type=alert"));
    let client = reqwest::Client::builder().no_proxy().timeout(DEADLINE).build().map_err(|e| e.to_string())?;
    let response = client.get(rules).send().await.map_err(|e| crate::net::describe(&e))?;
    let status = response.status();
    let body: Value = response
        .json()
        .await
        .map_err(|e| format!("the answer ({status}) is not JSON: {}", crate::net::describe(&e)))?;
    if body["status"] != "success" {
        return Err(format!("it answered {status}: {}", body["error"].as_str().unwrap_or("no rules")));
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_match_whole_tokens_and_patterns_match_text() {
        assert!(holds("count(golive_probe_http_status_code{pack=\"axys\"} == 403)", "403"));
        assert!(!holds("code=\"4031\"", "403"));
        assert!(!holds("pack=\"paymentsai\"", "payments"));
        assert!(holds("paymentsai_transactions_failed_total", "transactions"));
        assert!(holds("code=~\"5..\"", "5.."));
    }
}
