//! Answers, field validation and pagination shared by every Axys route.
//!
//! Error bodies carry `"status": "error"`: the "From Zero to a Funded Card"
//! recipe's client treats `json.status === 'error'` as the failure marker
//! (<https://docs.api.axyscards.com/docs/recipe-zero-to-funded-card>). The pages
//! read show no other error field, so the fake adds only a `message`.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};
use wiremock::{Request, ResponseTemplate};

use crate::variant::CreateStatus;

/// A refused request: its status and message, answered as
/// `{"status": "error", "message": ...}`.
#[derive(Debug)]
pub(super) struct Refusal {
    code: u16,
    message: String,
}

impl Refusal {
    pub fn new(code: u16, message: impl Into<String>) -> Refusal {
        Refusal { code, message: message.into() }
    }

    /// The error answer.
    pub fn respond(self) -> ResponseTemplate {
        ResponseTemplate::new(self.code).set_body_json(json!({"status": "error", "message": self.message}))
    }
}

/// What a route handler gives: an answer, or a refusal.
pub(super) type Answer = Result<ResponseTemplate, Refusal>;

/// Refuses with this status and message.
pub(super) fn refuse<T>(code: u16, message: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal::new(code, message))
}

/// A 200 answer with this JSON body.
pub(super) fn ok(body: Value) -> Answer {
    Ok(ResponseTemplate::new(200).set_body_json(body))
}

/// A successful create with this JSON body. No page shows the HTTP status of
/// an Axys create, only the body: the variant chooses 200 or 201.
pub(super) fn create_answer(body: Value, status: CreateStatus) -> Answer {
    Ok(ResponseTemplate::new(status.code()).set_body_json(body))
}

/// The bare success envelope, for writes whose documented answer the pages do not show.
pub(super) fn success() -> Answer {
    ok(json!({"status": "success"}))
}

/// 404 for a route the documentation does not define.
pub(super) fn no_route() -> Answer {
    refuse(404, "Not Found")
}

/// The request's JSON object body; 400 when it is missing or not an object.
pub(super) fn object(request: &Request) -> Result<Map<String, Value>, Refusal> {
    match serde_json::from_slice::<Value>(&request.body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => refuse(400, "the request body must be a JSON object"),
    }
}

/// An integer path id (`{cardholderId}`, `{cardId}`, `{walletId}` are integers in the reference).
pub(super) fn path_id(segment: &str, name: &str) -> Result<u64, Refusal> {
    segment.parse().map_err(|_| Refusal::new(400, format!("{name} must be an integer")))
}

/// What a documented field accepts.
#[derive(Debug, Clone, Copy)]
pub(super) enum Rule {
    /// A string of `min..=max` characters.
    Text(usize, usize),
    /// A string of `min..=max` ASCII digits.
    Digits(usize, usize),
    /// An integer in `min..=max`.
    Int(i64, i64),
    /// A `YYYY-MM-DD` date string.
    Date,
    /// One of these strings.
    OneOf(&'static [&'static str]),
    /// An `https://` URL string.
    Https,
}

/// A documented request field: its name, whether it is required, and its rule.
#[derive(Debug, Clone, Copy)]
pub(super) struct Field(pub &'static str, pub bool, pub Rule);

fn chars_between(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.chars().count())
}

fn fits(value: &Value, rule: Rule) -> Result<(), String> {
    match (rule, value) {
        (Rule::Text(min, max), Value::String(s)) if chars_between(s, min, max) => Ok(()),
        (Rule::Text(min, max), _) => Err(format!("must be a string of {min} to {max} characters")),
        (Rule::Digits(min, max), Value::String(s))
            if chars_between(s, min, max) && s.chars().all(|c| c.is_ascii_digit()) =>
        {
            Ok(())
        }
        (Rule::Digits(min, max), _) => Err(format!("must be a string of {min} to {max} digits")),
        (Rule::Int(min, max), Value::Number(n)) if n.as_i64().is_some_and(|i| (min..=max).contains(&i)) => Ok(()),
        (Rule::Int(min, max), _) => Err(format!("must be an integer from {min} to {max}")),
        (Rule::Date, Value::String(s))
            if time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).is_ok() =>
        {
            Ok(())
        }
        (Rule::Date, _) => Err("must be a date YYYY-MM-DD".into()),
        (Rule::OneOf(allowed), Value::String(s)) if allowed.contains(&s.as_str()) => Ok(()),
        (Rule::OneOf(allowed), _) => Err(format!("must be one of {}", allowed.join(", "))),
        (Rule::Https, Value::String(s)) if s.starts_with("https://") && s.len() > "https://".len() => Ok(()),
        (Rule::Https, _) => Err("must be an https:// URL".into()),
    }
}

/// Checks `body` against `fields`: 400 naming the first missing or malformed field.
pub(super) fn validate(body: &Map<String, Value>, fields: &[Field]) -> Result<(), Refusal> {
    for Field(name, required, rule) in fields {
        match body.get(*name) {
            None | Some(Value::Null) if *required => return refuse(400, format!("{name} is required")),
            None | Some(Value::Null) => {}
            Some(value) => fits(value, *rule).map_err(|why| Refusal::new(400, format!("{name} {why}")))?,
        }
    }
    Ok(())
}

/// Copies the given fields of `body` that are present into `into`.
pub(super) fn merge(into: &mut Map<String, Value>, body: &Map<String, Value>, fields: &[Field]) {
    for Field(name, ..) in fields {
        if let Some(v) = body.get(*name).filter(|v| !v.is_null()) {
            into.insert((*name).to_string(), v.clone());
        }
    }
}

/// The query of a list request: the shared pagination parameters
/// (<https://docs.api.axyscards.com/docs/pagination-filtering-and-rate-limits>)
/// and every other parameter by name.
#[derive(Debug)]
pub(super) struct Query {
    pub limit: usize,
    pub offset: usize,
    pub before: Option<u64>,
    pub after: Option<u64>,
    pub sort_desc: bool,
    pub rest: BTreeMap<String, String>,
}

/// The documented default page size.
pub(super) const DEFAULT_LIMIT: usize = 50;
/// The documented maximum page size.
pub(super) const MAX_LIMIT: usize = 200;

impl Query {
    /// Parses the query; 400 when `limit` is outside 1..=200 (the page documents the
    /// maximum but not what exceeding it answers: the fake refuses rather than clamps),
    /// or when `offset`, `before`, `after` are not non-negative integers.
    pub fn parse(request: &Request) -> Result<Query, Refusal> {
        let mut rest: BTreeMap<String, String> = request.url.query_pairs().into_owned().collect();
        let number = |rest: &mut BTreeMap<String, String>, key: &str| -> Result<Option<u64>, Refusal> {
            match rest.remove(key) {
                None => Ok(None),
                Some(v) => {
                    v.parse().map(Some).map_err(|_| Refusal::new(400, format!("{key} must be a non-negative integer")))
                }
            }
        };
        let limit = number(&mut rest, "limit")?.map_or(DEFAULT_LIMIT as u64, |l| l);
        if !(1..=MAX_LIMIT as u64).contains(&limit) {
            return refuse(400, format!("limit must be from 1 to {MAX_LIMIT}"));
        }
        let offset = number(&mut rest, "offset")?.unwrap_or(0);
        let before = number(&mut rest, "before")?;
        let after = number(&mut rest, "after")?;
        let sort_desc = match rest.remove("sort").as_deref() {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(_) => return refuse(400, "sort must be asc or desc"),
        };
        Ok(Query {
            limit: limit as usize,
            offset: usize::try_from(offset).unwrap_or(usize::MAX),
            before,
            after,
            sort_desc,
            rest,
        })
    }

    /// An integer filter by name; 400 when present and not an integer.
    pub fn int(&self, key: &str) -> Result<Option<u64>, Refusal> {
        match self.rest.get(key) {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| Refusal::new(400, format!("{key} must be an integer"))),
        }
    }

    /// Whether a record created at `created` passes `before` / `after`.
    pub fn in_window(&self, created: u64) -> bool {
        self.before.is_none_or(|b| created < b) && self.after.is_none_or(|a| created > a)
    }

    /// The documented list envelope around one page of `items` (already filtered).
    pub fn page(&self, mut items: Vec<Value>) -> Answer {
        if self.sort_desc {
            items.reverse();
        }
        let total = items.len();
        let items: Vec<Value> = items.into_iter().skip(self.offset).take(self.limit).collect();
        ok(json!({"status": "success", "items": items, "total": total, "limit": self.limit, "offset": self.offset}))
    }
}

/// An RFC 3339 UTC date-time for Unix seconds (the format of `dateCreated` is not
/// shown on the pages read; only that it is a string).
pub(super) fn datetime(unix: u64) -> String {
    let at = i64::try_from(unix).ok().and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok());
    at.and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok()).unwrap_or_default()
}
