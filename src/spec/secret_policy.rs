//! The partner's secret policy, as pack data, checked before any request.

use serde::Deserialize;

/// A secret policy, e.g. PaymentsAI's: 12 to 30 characters, at least one
/// uppercase letter and one alphanumeric character, rotate every 90 days, none
/// of the last 4 secrets again.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretPolicy {
    /// Fewest characters.
    #[serde(default)]
    pub min_length: usize,
    /// Most characters.
    pub max_length: Option<usize>,
    /// Fewest uppercase letters.
    #[serde(default)]
    pub min_uppercase: usize,
    /// Fewest lowercase letters.
    #[serde(default)]
    pub min_lowercase: usize,
    /// Fewest digits.
    #[serde(default)]
    pub min_digits: usize,
    /// Fewest alphanumeric characters (letters or digits).
    #[serde(default)]
    pub min_alphanumeric: usize,
    /// Rotation period of the key made with the secret, in days.
    pub rotate_days: Option<u32>,
    /// How many previous secrets may not be used again.
    #[serde(default)]
    pub history: usize,
}

impl SecretPolicy {
    /// Every rule the secret breaks, each as a sentence; empty when it complies.
    /// The secret itself never appears in a message.
    pub fn violations(&self, secret: &str) -> Vec<String> {
        let count = |f: fn(&char) -> bool| secret.chars().filter(f).count();
        let len = secret.chars().count();
        let mut out = Vec::new();
        if len < self.min_length {
            out.push(format!("it has {len} characters; at least {} are required", self.min_length));
        }
        if let Some(max) = self.max_length.filter(|max| len > *max) {
            out.push(format!("it has {len} characters; at most {max} are allowed"));
        }
        let rules: [(usize, usize, &str); 4] = [
            (self.min_uppercase, count(char::is_ascii_uppercase), "uppercase letter"),
            (self.min_lowercase, count(char::is_ascii_lowercase), "lowercase letter"),
            (self.min_digits, count(char::is_ascii_digit), "digit"),
            (self.min_alphanumeric, count(|c| c.is_alphanumeric()), "alphanumeric character"),
        ];
        for (want, got, what) in rules {
            if got < want {
                let plural = if want == 1 { "" } else { "s" };
                out.push(format!("it needs at least {want} {what}{plural}; it has {got}"));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The policy of the built-in pack that declares one: tests/it/packs.rs
    /// (`the_secret_policy_table_is_the_built_in_policy`) holds the two together.
    fn table_policy() -> SecretPolicy {
        SecretPolicy {
            min_length: 12,
            max_length: Some(30),
            min_uppercase: 1,
            min_lowercase: 0,
            min_digits: 0,
            min_alphanumeric: 1,
            rotate_days: Some(90),
            history: 4,
        }
    }

    #[test]
    fn the_policy_table() {
        let p = table_policy();
        let a = |n: usize| format!("A{}", "b".repeat(n.saturating_sub(1)));
        assert_eq!(p.violations("").len(), 3, "empty: too short, no uppercase, no alphanumeric");
        assert_eq!(p.violations(&a(11)), ["it has 11 characters; at least 12 are required"]);
        assert!(p.violations(&a(12)).is_empty());
        assert!(p.violations(&a(30)).is_empty());
        assert_eq!(p.violations(&a(31)), ["it has 31 characters; at most 30 are allowed"]);
        assert_eq!(p.violations("lowercase-only-123"), ["it needs at least 1 uppercase letter; it has 0"]);
        assert!(p.violations("ALLUPPERCASE").is_empty());
        assert_eq!(
            p.violations("!!!!!!!!!!!!!"),
            ["it needs at least 1 uppercase letter; it has 0", "it needs at least 1 alphanumeric character; it has 0"]
        );
    }
}
