//! [`Policy`]: the thresholds and rules a pack sets for a client certificate
//! (days before expiry that warn or fail, key type and size, wildcards,
//! required names, clientAuth), evaluated into findings.

use serde::Deserialize;
use time::{Duration, OffsetDateTime};

use super::Finding;
use super::facts::CertFacts;
use super::key::KeyType;
use crate::report::text::count;
use crate::report::{Check, Status};
use crate::spec::ErrorClass;

/// The rules a certificate is held to; also the `cert` probe's parameters.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "CertParams")]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Warn when the certificate expires within this many days.
    #[serde(default = "default_warn_days")]
    pub warn_days: i64,
    /// Fail when it expires within this many days (0: only once expired).
    #[serde(default)]
    pub fail_days: i64,
    /// The key type required, if any.
    #[serde(default)]
    pub key_type: Option<KeyType>,
    /// The minimum key size in bits, if any.
    #[serde(default)]
    pub min_key_bits: Option<u32>,
    /// Whether wildcard names (`*.example.com`) are forbidden.
    #[serde(default)]
    pub forbid_wildcards: bool,
    /// Names that must be the CN or a SAN (e.g. each calling domain).
    #[serde(default)]
    pub required_names: Vec<String>,
    /// Whether an extended key usage extension, when present, must allow clientAuth.
    #[serde(default = "default_true")]
    pub require_client_auth: bool,
}

fn default_warn_days() -> i64 {
    30
}

fn default_true() -> bool {
    true
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            warn_days: default_warn_days(),
            fail_days: 0,
            key_type: None,
            min_key_bits: None,
            forbid_wildcards: false,
            required_names: Vec::new(),
            require_client_auth: true,
        }
    }
}

impl Policy {
    /// Checks that the thresholds make sense.
    pub fn validate(&self) -> Result<(), String> {
        if self.warn_days < 0 || self.fail_days < 0 {
            return Err("`warn_days` and `fail_days` are numbers of days, 0 or more".to_string());
        }
        if self.fail_days > self.warn_days {
            return Err(format!(
                "`fail_days` ({}) is larger than `warn_days` ({}): the warning would never show",
                self.fail_days, self.warn_days
            ));
        }
        Ok(())
    }

    /// Every rule of this policy applied to the leaf certificate.
    pub fn evaluate(&self, leaf: &CertFacts, now: OffsetDateTime) -> Vec<Finding> {
        let mut out = vec![self.validity(leaf, now), self.key(leaf)];
        if self.forbid_wildcards {
            out.push(wildcards(leaf));
        }
        if !self.required_names.is_empty() {
            out.push(self.names(leaf));
        }
        if self.require_client_auth {
            out.push(client_auth(leaf));
        }
        out
    }

    fn validity(&self, leaf: &CertFacts, now: OffsetDateTime) -> Finding {
        let left = leaf.not_after_at - now;
        let days = leaf.days_left;
        let expected = format!("more than {} days left", self.warn_days);
        let actual = format!("{days} days left");
        let check = |status, message: String| Check::new("validity", status, message).with_values(&expected, &actual);
        if now < leaf.not_before_at {
            let wait = (leaf.not_before_at - now).whole_hours();
            return Finding::fail(
                check(
                    Status::Fail,
                    format!(
                        "not valid yet: valid from {} (in {}); check the clock of this machine, or wait until then",
                        leaf.not_before,
                        count(wait, "hour", "hours")
                    ),
                ),
                ErrorClass::CertNotYetValid,
            );
        }
        if left <= Duration::ZERO {
            return Finding::fail(
                check(Status::Fail, format!("expired {} ago (on {})", count(-days, "day", "days"), leaf.not_after)),
                ErrorClass::CertExpired,
            );
        }
        let until = format!("valid until {}", leaf.not_after);
        if left <= Duration::days(self.fail_days) {
            return Finding::fail(
                check(
                    Status::Fail,
                    format!("{until}: {} left, within the {}-day limit", count(days, "day", "days"), self.fail_days),
                ),
                ErrorClass::CertExpiring,
            );
        }
        if left <= Duration::days(self.warn_days) {
            return Finding {
                check: check(
                    Status::Warn,
                    format!(
                        "{until}: {} left, within the {}-day warning window",
                        count(days, "day", "days"),
                        self.warn_days
                    ),
                ),
                class: Some(ErrorClass::CertExpiring),
            };
        }
        Finding::pass(check(Status::Pass, format!("{until} ({} left)", count(days, "day", "days"))))
    }

    fn key(&self, leaf: &CertFacts) -> Finding {
        let have = describe_key(leaf);
        let want = match (self.key_type, self.min_key_bits) {
            (Some(t), Some(b)) => format!("{} of at least {b} bits", t.label()),
            (Some(t), None) => t.label().to_string(),
            (None, Some(b)) => format!("at least {b} bits"),
            (None, None) => return Finding::pass(Check::new("key", Status::Pass, format!("public key: {have}"))),
        };
        let check = |status, message: String| Check::new("key", status, message).with_values(&want, &have);
        if let Some(t) = self.key_type.filter(|t| *t != leaf.key_type) {
            return Finding::fail(
                check(Status::Fail, format!("the certificate's key is {have}; {} is required", t.label())),
                ErrorClass::KeyType,
            );
        }
        if let Some(min) = self.min_key_bits.filter(|min| leaf.key_bits < *min) {
            return Finding::fail(
                check(Status::Fail, format!("the certificate's key is {have}; at least {min} bits are required")),
                ErrorClass::KeyTooSmall,
            );
        }
        Finding::pass(check(Status::Pass, format!("public key: {have}")))
    }

    fn names(&self, leaf: &CertFacts) -> Finding {
        let names = leaf.dns_names();
        let wanted: Vec<String> =
            self.required_names.iter().map(|n| n.trim().to_ascii_lowercase()).filter(|n| !n.is_empty()).collect();
        let missing: Vec<&String> = wanted.iter().filter(|w| !names.iter().any(|n| covers(n, w))).collect();
        let have = if names.is_empty() { "none".to_string() } else { names.join(", ") };
        let check = |status, message: String| {
            Check::new("required-names", status, message).with_values(wanted.join(", "), have.clone())
        };
        if missing.is_empty() {
            return Finding::pass(check(Status::Pass, format!("every required name is in the CN or a SAN ({have})")));
        }
        let list: Vec<String> = missing.iter().map(|m| format!("`{m}`")).collect();
        Finding::fail(
            check(
                Status::Fail,
                format!(
                    "{} not in the CN or the SANs (the certificate names: {have}); request a certificate that names every calling domain",
                    list.join(", ")
                ),
            ),
            ErrorClass::NameMissing,
        )
    }
}

/// "RSA 2048 bits", "EC P-256 (256 bits)".
pub fn describe_key(facts: &CertFacts) -> String {
    match &facts.curve {
        Some(curve) => format!("{} {curve} ({} bits)", facts.key_type.label(), facts.key_bits),
        None => format!("{} {} bits", facts.key_type.label(), facts.key_bits),
    }
}

/// Whether certificate name `name` (maybe `*.x`) covers `wanted`.
fn covers(name: &str, wanted: &str) -> bool {
    if name == wanted {
        return true;
    }
    match (name.strip_prefix("*."), wanted.split_once('.')) {
        (Some(suffix), Some((label, rest))) => !label.is_empty() && rest == suffix,
        _ => false,
    }
}

fn wildcards(leaf: &CertFacts) -> Finding {
    let wild: Vec<&String> = leaf.common_name.iter().chain(&leaf.sans).filter(|n| n.contains('*')).collect();
    if wild.is_empty() {
        return Finding::pass(Check::new("wildcards", Status::Pass, "no wildcard names"));
    }
    let list: Vec<&str> = wild.iter().map(|s| s.as_str()).collect();
    Finding::fail(
        Check::new(
            "wildcards",
            Status::Fail,
            format!(
                "wildcard names are not allowed: {}; request a certificate that lists each domain",
                list.join(", ")
            ),
        ),
        ErrorClass::WildcardSan,
    )
}

fn client_auth(leaf: &CertFacts) -> Finding {
    match &leaf.extended_key_usage {
        None => Finding::pass(Check::new(
            "client-auth",
            Status::Pass,
            "no extended key usage extension: client authentication allowed",
        )),
        Some(usages) if usages.iter().any(|u| u == "clientAuth" || u == "any") => Finding::pass(Check::new(
            "client-auth",
            Status::Pass,
            format!("extended key usage allows clientAuth ({})", usages.join(", ")),
        )),
        Some(usages) => Finding::fail(
            Check::new(
                "client-auth",
                Status::Fail,
                format!(
                    "extended key usage is {} without clientAuth: this certificate cannot authenticate a client; request it again with clientAuth",
                    if usages.is_empty() { "empty".to_string() } else { usages.join(", ") }
                ),
            ),
            ErrorClass::ClientAuthMissing,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_covers_one_label_only() {
        assert!(covers("*.example.com", "api.example.com"));
        assert!(!covers("*.example.com", "a.b.example.com"));
        assert!(!covers("*.example.com", "example.com"));
        assert!(covers("api.example.com", "api.example.com"));
    }

    #[test]
    fn thresholds_are_checked() {
        assert!(Policy { fail_days: 40, ..Policy::default() }.validate().is_err());
        assert!(Policy { warn_days: -1, ..Policy::default() }.validate().is_err());
        assert!(Policy::default().validate().is_ok());
    }
}
