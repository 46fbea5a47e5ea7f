//! Signature schemes as data: the presets and the custom definition a pack or
//! `golive.toml` may write (`scheme = { header = "...", ... }`).
//!
//! The presets are the partner-neutral ones below (`standard-webhooks`,
//! `stripe`, `github`) and every scheme a built-in pack declares as data
//! (`[schemes.NAME]` in `probes/*.toml`), listed first.
//!
//! A [`Scheme`] says where the signature travels, what is signed and how the
//! MAC is encoded; `webhook::sign` and `webhook::verify` only read it.

use std::collections::BTreeMap;
use std::sync::LazyLock;
use std::time::Duration;

use serde::Deserialize;

/// The HMAC hash function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    /// HMAC-SHA256.
    Sha256,
    /// HMAC-SHA512.
    Sha512,
}

/// How MAC bytes are written in a header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    /// Lower-case hexadecimal (verification accepts either case).
    Hex,
    /// Standard base64 with padding.
    Base64,
}

impl Encoding {
    /// Its name in schemes and messages: `hex` or `base64`.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Hex => "hex",
            Encoding::Base64 => "base64",
        }
    }
}

/// A scheme's encoding as golive's inference, where no page shows it: why,
/// and the other encodings a receiver that read the same pages may verify.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InferredEncoding {
    /// From what golive infers the encoding, in one line.
    pub why: String,
    /// The other plausible encodings, tried in order when a receiver refuses
    /// a correctly signed event in the inferred one.
    pub alternatives: Vec<Encoding>,
}

/// How the secret string becomes the HMAC key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SecretFormat {
    /// The secret's UTF-8 bytes are the key (Stripe, GitHub, PaymentsAI).
    Raw,
    /// `whsec_` followed by base64: the decoded bytes are the key (Standard Webhooks).
    Whsec,
    /// The secret is base64: the decoded bytes are the key.
    Base64,
}

/// How the signature header's value is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `<prefix><mac>`, one signature.
    Single,
    /// A space-separated list of `<prefix><mac>` (Standard Webhooks `v1,<base64>`).
    List,
    /// `t=<timestamp>,v1=<hex>` (Stripe): the timestamp travels inside the header.
    Stripe,
}

/// One piece of the signed-content template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Literal text.
    Text(String),
    /// `{id}`: the delivery id.
    Id,
    /// `{timestamp}`: Unix seconds.
    Timestamp,
    /// `{body}`: the raw body bytes.
    Body,
}

/// A resolved signature scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scheme {
    /// The preset's name, or `custom`.
    pub name: String,
    /// The header carrying the signature.
    pub header: String,
    /// The hash function.
    pub algorithm: Algorithm,
    /// How the MAC is encoded.
    pub encoding: Encoding,
    /// Set when `encoding` is golive's inference (a pack's scheme whose pages
    /// do not show it); `None` when it is documented or chosen by the user.
    pub encoding_inferred: Option<InferredEncoding>,
    /// What precedes the encoded MAC, e.g. `sha256=` or `v1,`.
    pub prefix: String,
    /// The header value's layout.
    pub layout: Layout,
    /// What is signed, e.g. `{id}.{timestamp}.{body}`.
    pub content: Vec<Part>,
    /// The header carrying the delivery id, if any.
    pub id_header: Option<String>,
    /// The header carrying the timestamp, if any (Stripe keeps it in the signature header).
    pub timestamp_header: Option<String>,
    /// How far a timestamp may be from now; `None` = timestamps are not checked.
    pub tolerance: Option<Duration>,
    /// Whether a timestamp too far in the future is rejected (Stripe's library does not).
    pub reject_future: bool,
    /// How the secret becomes the key.
    pub secret_format: SecretFormat,
    /// The status a valid delivery must get; `None` = any 2xx.
    pub expect_status: Option<u16>,
}

/// The names of the preset schemes: those the built-in packs declare, then
/// the partner-neutral ones. Iterate it (`for name in PRESETS`) or call
/// [`Presets::iter`].
pub const PRESETS: Presets = Presets;

/// The partner-neutral presets golive itself knows.
const NEUTRAL: &[&str] = &["standard-webhooks", "stripe", "github"];

/// The list of preset names (see [`PRESETS`]).
#[derive(Debug, Clone, Copy)]
pub struct Presets;

impl Presets {
    /// Every preset name, pack schemes first.
    pub fn iter(self) -> std::slice::Iter<'static, &'static str> {
        NAMES.iter()
    }
}

impl IntoIterator for Presets {
    type Item = &'static &'static str;
    type IntoIter = std::slice::Iter<'static, &'static str>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// The schemes the built-in packs declare in `[schemes.NAME]`, in pack order.
static PACK_SCHEMES: LazyLock<Vec<(String, SchemeDef)>> = LazyLock::new(|| {
    #[derive(Deserialize)]
    struct Schemes {
        #[serde(default)]
        schemes: BTreeMap<String, SchemeDef>,
    }
    super::pack::BUILT_IN
        .iter()
        .filter_map(|(_, text)| toml::from_str::<Schemes>(text).ok())
        .flat_map(|s| s.schemes)
        .collect()
});

// The names are known at build time (build.rs): `--help` lists them, and
// parsing the packs for them would cost every start of golive.
static NAMES: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| super::pack::BUILT_IN_SCHEMES.iter().chain(NEUTRAL).copied().collect());

const FIVE_MINUTES: Duration = Duration::from_secs(300);

impl Scheme {
    /// The preset scheme called `name`: partner-neutral, or declared by a built-in pack.
    pub fn preset(name: &str) -> Option<Scheme> {
        let body_only = vec![Part::Body];
        let base = Scheme {
            name: name.to_string(),
            header: String::new(),
            algorithm: Algorithm::Sha256,
            encoding: Encoding::Hex,
            encoding_inferred: None,
            prefix: String::new(),
            layout: Layout::Single,
            content: body_only,
            id_header: None,
            timestamp_header: None,
            tolerance: None,
            reject_future: true,
            secret_format: SecretFormat::Raw,
            expect_status: None,
        };
        Some(match name {
            "github" => Scheme { header: "X-Hub-Signature-256".into(), prefix: "sha256=".into(), ..base },
            "stripe" => Scheme {
                header: "Stripe-Signature".into(),
                layout: Layout::Stripe,
                content: parse_template("{timestamp}.{body}").ok()?,
                tolerance: Some(FIVE_MINUTES),
                reject_future: false,
                ..base
            },
            "standard-webhooks" => Scheme {
                header: "webhook-signature".into(),
                encoding: Encoding::Base64,
                prefix: "v1,".into(),
                layout: Layout::List,
                content: parse_template("{id}.{timestamp}.{body}").ok()?,
                id_header: Some("webhook-id".into()),
                timestamp_header: Some("webhook-timestamp".into()),
                tolerance: Some(FIVE_MINUTES),
                secret_format: SecretFormat::Whsec,
                ..base
            },
            _ => {
                let (_, def) = PACK_SCHEMES.iter().find(|(n, _)| n == name)?;
                let mut scheme = def.clone().resolve().ok()?;
                scheme.name = name.to_string();
                scheme
            }
        })
    }

    /// Whether deliveries carry a timestamp.
    pub fn has_timestamp(&self) -> bool {
        self.layout == Layout::Stripe || self.timestamp_header.is_some()
    }

    /// Whether the signed content includes the delivery id.
    pub fn signs_id(&self) -> bool {
        self.content.contains(&Part::Id)
    }

    /// The same scheme with timestamp checks turned off (a receiver that skips them).
    pub fn without_timestamp_check(&self) -> Scheme {
        Scheme { tolerance: None, ..self.clone() }
    }

    /// The bytes to MAC for a delivery.
    pub fn signed_content(&self, id: &str, timestamp: i64, body: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(body.len() + 64);
        for part in &self.content {
            match part {
                Part::Text(t) => out.extend_from_slice(t.as_bytes()),
                Part::Id => out.extend_from_slice(id.as_bytes()),
                Part::Timestamp => out.extend_from_slice(timestamp.to_string().as_bytes()),
                Part::Body => out.extend_from_slice(body),
            }
        }
        out
    }

    /// The status rule of a valid delivery in words, e.g. `exactly 200` or `2xx`.
    pub fn expect_text(&self) -> String {
        match self.expect_status {
            Some(s) => format!("exactly {s}"),
            None => "2xx".to_string(),
        }
    }
}

/// A scheme as a pack or `golive.toml` writes it: a preset name, or a table.
///
/// A table may start from a preset (`preset = "paymentsai"`, e.g. to switch its
/// `encoding` to base64) or define everything itself (`header` is then required).
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SchemeDef {
    /// A built-in scheme to start from.
    pub preset: Option<String>,
    /// The signature header.
    pub header: Option<String>,
    /// `sha256` (default) or `sha512`.
    pub algorithm: Option<Algorithm>,
    /// `hex` (default) or `base64`.
    pub encoding: Option<Encoding>,
    /// For a pack whose partner's pages do not show the encoding: `{ why =
    /// "...", alternatives = ["base64"] }`. A receiver that accepts only an
    /// alternative passes with a note refuting the inference (a failure with
    /// `--strict-contract`). Setting `encoding` on a preset drops the preset's.
    pub inferred_encoding: Option<InferredEncoding>,
    /// Text before the encoded MAC, e.g. `sha256=`.
    pub prefix: Option<String>,
    /// The signed-content template with `{id}`, `{timestamp}`, `{body}` (default `{body}`).
    pub signed_content: Option<String>,
    /// The header carrying the delivery id.
    pub id_header: Option<String>,
    /// The header carrying the Unix timestamp.
    pub timestamp_header: Option<String>,
    /// How far a timestamp may be from now, e.g. `5m` (default 5m when there is a timestamp).
    pub tolerance: Option<String>,
    /// Whether future timestamps beyond the tolerance are rejected (default true).
    pub reject_future: Option<bool>,
    /// `raw` (default), `whsec` or `base64`.
    pub secret_format: Option<SecretFormat>,
    /// The exact status a valid delivery must get (default: any 2xx).
    pub expect_status: Option<u16>,
}

/// The known scheme names, for errors.
pub fn known_names() -> String {
    NAMES.join(", ")
}

/// Resolves a scheme written as a TOML value: one of `own` (a pack's
/// `[schemes]`) by name, else as [`from_toml`] does.
pub fn from_toml_with(value: &toml::Value, own: &[(String, Scheme)]) -> Result<Scheme, String> {
    if let Some(name) = value.as_str()
        && let Some((_, scheme)) = own.iter().find(|(n, _)| n == name)
    {
        return Ok(scheme.clone());
    }
    from_toml(value)
}

/// Resolves a scheme written as a TOML value: a preset name or a [`SchemeDef`] table.
pub fn from_toml(value: &toml::Value) -> Result<Scheme, String> {
    match value {
        toml::Value::String(name) => from_name(name),
        toml::Value::Table(_) => {
            let def: SchemeDef = value.clone().try_into().map_err(|e: toml::de::Error| e.message().to_string())?;
            def.resolve()
        }
        _ => Err(format!("a scheme is a name ({}) or a table defining a custom scheme", known_names())),
    }
}

/// The preset called `name`, or an error listing the presets.
pub fn from_name(name: &str) -> Result<Scheme, String> {
    Scheme::preset(name).ok_or_else(|| {
        let hint = super::error::closest(name, PRESETS.iter().copied())
            .map(|b| format!(" (did you mean `{b}`?)"))
            .unwrap_or_default();
        format!(
            "unknown webhook scheme `{name}`{hint}; built in: {}, or a table defining a custom scheme",
            known_names()
        )
    })
}

impl SchemeDef {
    /// Checks the definition and turns it into a [`Scheme`].
    pub fn resolve(self) -> Result<Scheme, String> {
        let mut s = match &self.preset {
            Some(name) => from_name(name)?,
            None => {
                let header = self.header.clone().ok_or("a custom scheme needs `header` (the signature header)")?;
                Scheme {
                    name: "custom".into(),
                    header,
                    algorithm: Algorithm::Sha256,
                    encoding: Encoding::Hex,
                    encoding_inferred: None,
                    prefix: String::new(),
                    layout: Layout::Single,
                    content: vec![Part::Body],
                    id_header: None,
                    timestamp_header: None,
                    tolerance: None,
                    reject_future: true,
                    secret_format: SecretFormat::Raw,
                    expect_status: None,
                }
            }
        };
        if self.preset.is_some() && self.header.is_some() {
            s.name = format!("{} (customised)", s.name);
        }
        if let Some(h) = self.header {
            s.header = h;
        }
        s.algorithm = self.algorithm.unwrap_or(s.algorithm);
        // An encoding written here is chosen, not inferred, unless said so here.
        s.encoding_inferred = match (self.encoding, self.inferred_encoding) {
            (_, Some(inferred)) => Some(inferred),
            (Some(_), None) => None,
            (None, None) => s.encoding_inferred,
        };
        s.encoding = self.encoding.unwrap_or(s.encoding);
        s.prefix = self.prefix.unwrap_or(s.prefix);
        s.secret_format = self.secret_format.unwrap_or(s.secret_format);
        s.reject_future = self.reject_future.unwrap_or(s.reject_future);
        s.expect_status = self.expect_status.or(s.expect_status);
        if self.id_header.is_some() {
            s.id_header = self.id_header;
        }
        if self.timestamp_header.is_some() {
            s.timestamp_header = self.timestamp_header;
        }
        if let Some(t) = &self.signed_content {
            s.content = parse_template(t)?;
        }
        s.tolerance = match &self.tolerance {
            Some(t) => Some(super::env::parse_duration(t).map_err(|why| format!("`tolerance`: {why}"))?),
            None if s.tolerance.is_none() && s.has_timestamp() => Some(FIVE_MINUTES),
            None => s.tolerance,
        };
        check(&s)?;
        Ok(s)
    }
}

/// Rejects definitions that cannot work: a `{timestamp}` with no timestamp header, ...
fn check(s: &Scheme) -> Result<(), String> {
    if http::HeaderName::from_bytes(s.header.as_bytes()).is_err() {
        return Err(format!("`header`: `{}` is not a valid header name", s.header));
    }
    for (key, h) in [("id_header", &s.id_header), ("timestamp_header", &s.timestamp_header)] {
        if let Some(h) = h
            && http::HeaderName::from_bytes(h.as_bytes()).is_err()
        {
            return Err(format!("`{key}`: `{h}` is not a valid header name"));
        }
    }
    if s.signs_id() && s.id_header.is_none() {
        return Err("`signed_content` uses {id} but the scheme has no `id_header`".into());
    }
    if s.content.contains(&Part::Timestamp) && !s.has_timestamp() {
        return Err("`signed_content` uses {timestamp} but the scheme has no `timestamp_header`".into());
    }
    if s.expect_status.is_some_and(|c| !(200..300).contains(&c)) {
        return Err("`expect_status` must be a 2xx status".into());
    }
    if let Some(inferred) = &s.encoding_inferred {
        if inferred.why.trim().is_empty() {
            return Err("`inferred_encoding.why`: say from what the encoding is inferred".into());
        }
        if inferred.alternatives.is_empty() || inferred.alternatives.contains(&s.encoding) {
            return Err(
                "`inferred_encoding.alternatives`: list the other plausible encodings, not the scheme's own".into()
            );
        }
    }
    Ok(())
}

/// Parses `{id}.{timestamp}.{body}` into parts; `{body}` must appear exactly once.
pub fn parse_template(text: &str) -> Result<Vec<Part>, String> {
    let mut parts = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        if open > 0 {
            parts.push(Part::Text(rest[..open].to_string()));
        }
        let tail = &rest[open + 1..];
        let close = tail.find('}').ok_or_else(|| format!("`signed_content`: `{{` without `}}` in \"{text}\""))?;
        parts.push(match &tail[..close] {
            "id" => Part::Id,
            "timestamp" => Part::Timestamp,
            "body" => Part::Body,
            other => {
                return Err(format!(
                    "`signed_content`: unknown placeholder `{{{other}}}`; use {{id}}, {{timestamp}} and {{body}}"
                ));
            }
        });
        rest = &tail[close + 1..];
    }
    if !rest.is_empty() {
        parts.push(Part::Text(rest.to_string()));
    }
    if parts.iter().filter(|p| **p == Part::Body).count() != 1 {
        return Err("`signed_content` must contain {body} exactly once".into());
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preset_names_known_at_build_time_are_those_the_packs_declare() {
        let parsed: Vec<&str> = PACK_SCHEMES.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(super::super::pack::BUILT_IN_SCHEMES, parsed.as_slice());
        assert!(!parsed.is_empty(), "the built-in packs declare a scheme");
    }

    #[test]
    fn every_preset_resolves() {
        for name in PRESETS {
            let s = Scheme::preset(name).unwrap();
            check(&s).unwrap();
        }
    }

    #[test]
    fn custom_definition_with_timestamp_gets_default_tolerance() {
        let v: toml::Value = toml::from_str(
            "header = \"X-Sig\"\nalgorithm = \"sha512\"\nencoding = \"base64\"\nsigned_content = \"{timestamp}:{body}\"\ntimestamp_header = \"X-Ts\"",
        )
        .unwrap();
        let s = from_toml(&v).unwrap();
        assert_eq!(s.algorithm, Algorithm::Sha512);
        assert_eq!(s.tolerance, Some(FIVE_MINUTES));
        assert_eq!(s.signed_content("i", 7, b"B"), b"7:B");
    }

    #[test]
    fn bad_definitions_say_why() {
        let bad = |text: &str| from_toml(&toml::from_str::<toml::Value>(text).unwrap()).unwrap_err();
        assert!(bad("header = \"X\"\nsigned_content = \"{id}.{body}\"").contains("no `id_header`"));
        assert!(bad("header = \"X\"\nsigned_content = \"{nonce}{body}\"").contains("unknown placeholder `{nonce}`"));
        assert!(bad("algorithm = \"sha256\"").contains("needs `header`"));
        assert!(bad("header = \"X\"\ncolour = 1").contains("unknown field `colour`"));
        assert!(from_name("stripey").unwrap_err().contains("did you mean `stripe`?"));
    }

    #[test]
    fn an_inferred_encoding_names_its_alternatives_and_a_chosen_one_drops_it() {
        let table = |text: &str| toml::from_str::<toml::Value>(text).unwrap();
        let inferred =
            "header = \"X\"\ninferred_encoding = { why = \"no page shows it\", alternatives = [\"base64\"] }";
        let s = from_toml(&table(inferred)).unwrap();
        assert_eq!(s.encoding_inferred.map(|i| i.alternatives), Some(vec![Encoding::Base64]));
        let own = from_toml(&table(&format!("{inferred}\nencoding = \"base64\""))).unwrap_err();
        assert!(own.contains("not the scheme's own"), "{own}");
        let empty = "header = \"X\"\ninferred_encoding = { why = \" \", alternatives = [\"base64\"] }";
        assert!(from_toml(&table(empty)).unwrap_err().contains("inferred_encoding.why"));
        // The PaymentsAI preset infers hex; a user who names the encoding chooses it.
        let pai = from_name("paymentsai").unwrap();
        assert_eq!((pai.encoding, pai.encoding_inferred.is_some()), (Encoding::Hex, true));
        let chosen = from_toml(&table("preset = \"paymentsai\"\nencoding = \"base64\"")).unwrap();
        assert_eq!((chosen.encoding, chosen.encoding_inferred), (Encoding::Base64, None));
    }

    #[test]
    fn a_preset_can_switch_encoding() {
        let v: toml::Value = toml::from_str("preset = \"github\"\nencoding = \"base64\"").unwrap();
        let s = from_toml(&v).unwrap();
        assert_eq!(
            (s.header.as_str(), s.encoding, s.prefix.as_str()),
            ("X-Hub-Signature-256", Encoding::Base64, "sha256=")
        );
    }
}
