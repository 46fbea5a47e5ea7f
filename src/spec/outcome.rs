//! What a probe observed that a pack diagnosis may match on, the diagnosis it
//! yields and the runbook item a probe proves: the words packs and reports share.

use serde::{Deserialize, Serialize};

/// Why a probe did not pass and what to do about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Diagnosis {
    /// The most likely cause, in the runbook's words where it has them.
    pub cause: String,
    /// What to do.
    pub fix: String,
}

/// The runbook item a probe proves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RunbookRef {
    /// The runbook's name, e.g. `axys-program-launch`.
    pub runbook: String,
    /// The section, e.g. `Phase 3: Production verification`.
    pub section: String,
    /// The item's text.
    pub item: String,
}

/// What the runner observed that a pack diagnosis may match on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Signals {
    /// The HTTP status of the response that decided the verdict.
    pub http_status: Option<u16>,
    /// The (bounded, redacted) body of that response.
    pub body: Option<String>,
    /// A stable error class, e.g. `timeout`, `connect`, `tls`, `unknown-ca`.
    pub error_class: Option<super::ErrorClass>,
    /// The URL that gave `http_status` and `body`, when the probe knows it: a
    /// pack-wide diagnosis only matches answers of the partner's API.
    pub url: Option<String>,
    /// The headers of that response (credentials masked), lower-case names:
    /// a diagnosis shows one with `${header.retry-after}`.
    pub headers: Vec<(String, String)>,
}

impl Diagnosis {
    /// Fills `${header.NAME}` in the cause and fix with that header of the
    /// answer (case-insensitive; at most 200 characters), or `not sent` when
    /// the answer had none. Any other `${...}` is left as written.
    pub fn with_headers(self, headers: &[(String, String)]) -> Diagnosis {
        let fill = |text: String| {
            if !text.contains("${header.") {
                return text;
            }
            let mut out = String::with_capacity(text.len());
            let mut rest = text.as_str();
            while let Some(start) = rest.find("${header.") {
                out.push_str(&rest[..start]);
                let after = &rest[start + "${header.".len()..];
                let Some(end) = after.find('}') else {
                    out.push_str(&rest[start..]);
                    rest = "";
                    break;
                };
                let name = &after[..end];
                let value = headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim());
                match value {
                    Some(v) => out.extend(v.chars().take(200)),
                    None => out.push_str("not sent"),
                }
                rest = &after[end + 1..];
            }
            out.push_str(rest);
            out
        };
        Diagnosis { cause: fill(self.cause), fix: fill(self.fix) }
    }
}
