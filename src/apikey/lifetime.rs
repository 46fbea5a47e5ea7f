//! How old the one-time temporal key is, against the lifetime the partner
//! documents (pack data: `temporal_key_valid_days`), when the environment says
//! when the key was issued (`temporal_key_issued_at`). Pure: the caller passes
//! the clock, so the boundaries are tested without waiting.

use time::{Duration, OffsetDateTime};

/// How long before the expiry a run warns.
pub const NEAR_EXPIRY: Duration = Duration::hours(24);

/// How much a clock may run ahead before an issue time in the future is suspect.
const SKEW: Duration = Duration::minutes(5);

/// What golive can tell about the temporal key's age.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemporalKeyAge {
    /// The issue time or the partner's lifetime is not known: nothing is checked.
    Unknown,
    /// Well within its lifetime.
    Valid {
        /// When it expires, RFC 3339.
        expires_at: String,
    },
    /// Less than [`NEAR_EXPIRY`] left.
    ExpiringSoon {
        /// When it expires, RFC 3339.
        expires_at: String,
        /// Time left, e.g. `5h 12m`.
        left: String,
    },
    /// Past its lifetime: the partner will refuse it, so nothing may be sent.
    Expired {
        /// When it was issued, RFC 3339.
        issued_at: String,
        /// When it expired, RFC 3339.
        expired_at: String,
        /// The partner's lifetime in days.
        valid_days: u32,
    },
    /// The issue time lies in the future: a typo or a wrong clock.
    IssuedInFuture {
        /// The configured issue time, RFC 3339.
        issued_at: String,
    },
}

/// RFC 3339 to the second.
fn rfc3339(t: OffsetDateTime) -> String {
    let t = t.replace_nanosecond(0).unwrap_or(t);
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_else(|_| t.to_string())
}

/// Whole hours and minutes, e.g. `5h 12m`.
fn span(d: Duration) -> String {
    let minutes = d.whole_minutes().max(0);
    format!("{}h {:02}m", minutes / 60, minutes % 60)
}

/// The temporal key's age at `now`.
pub fn check(issued_at: Option<OffsetDateTime>, valid_days: Option<u32>, now: OffsetDateTime) -> TemporalKeyAge {
    let (Some(issued), Some(days)) = (issued_at, valid_days) else {
        return TemporalKeyAge::Unknown;
    };
    if issued > now + SKEW {
        return TemporalKeyAge::IssuedInFuture { issued_at: rfc3339(issued) };
    }
    let expires = issued + Duration::days(i64::from(days));
    if now >= expires {
        TemporalKeyAge::Expired { issued_at: rfc3339(issued), expired_at: rfc3339(expires), valid_days: days }
    } else if expires - now <= NEAR_EXPIRY {
        TemporalKeyAge::ExpiringSoon { expires_at: rfc3339(expires), left: span(expires - now) }
    } else {
        TemporalKeyAge::Valid { expires_at: rfc3339(expires) }
    }
}

impl TemporalKeyAge {
    /// A warning to show before the exchange, if any.
    pub fn warning(&self) -> Option<String> {
        match self {
            TemporalKeyAge::ExpiringSoon { expires_at, left } => Some(format!(
                "the temporal key expires at {expires_at} ({left} left): exchange it now, or ask the partner for a new one if this run cannot finish in time"
            )),
            TemporalKeyAge::IssuedInFuture { issued_at } => Some(format!(
                "temporal_key_issued_at ({issued_at}) is in the future: check it and this machine's clock; the key's age was not checked"
            )),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const ISSUED: OffsetDateTime = datetime!(2026-11-20 10:00 UTC);

    #[test]
    fn the_boundaries_of_a_seven_day_key() {
        let at = |t: OffsetDateTime| check(Some(ISSUED), Some(7), t);
        assert_eq!(
            at(datetime!(2026-11-21 10:00 UTC)),
            TemporalKeyAge::Valid { expires_at: "2026-11-27T10:00:00Z".into() }
        );
        assert_eq!(
            at(datetime!(2026-11-26 10:00 UTC)),
            TemporalKeyAge::ExpiringSoon { expires_at: "2026-11-27T10:00:00Z".into(), left: "24h 00m".into() }
        );
        assert_eq!(
            at(datetime!(2026-11-27 04:48 UTC)),
            TemporalKeyAge::ExpiringSoon { expires_at: "2026-11-27T10:00:00Z".into(), left: "5h 12m".into() }
        );
        let expired = TemporalKeyAge::Expired {
            issued_at: "2026-11-20T10:00:00Z".into(),
            expired_at: "2026-11-27T10:00:00Z".into(),
            valid_days: 7,
        };
        assert_eq!(at(datetime!(2026-11-27 10:00 UTC)), expired, "the expiry instant itself is too late");
        assert_eq!(at(datetime!(2027-01-01 00:00 UTC)), expired);
        assert_eq!(
            at(datetime!(2026-11-20 09:00 UTC)),
            TemporalKeyAge::IssuedInFuture { issued_at: "2026-11-20T10:00:00Z".into() }
        );
        assert!(matches!(at(datetime!(2026-11-20 09:56 UTC)), TemporalKeyAge::Valid { .. }), "a little clock skew");
    }

    #[test]
    fn nothing_is_checked_without_an_issue_time_or_a_lifetime() {
        let now = datetime!(2030-01-01 00:00 UTC);
        assert_eq!(check(None, Some(7), now), TemporalKeyAge::Unknown);
        assert_eq!(check(Some(ISSUED), None, now), TemporalKeyAge::Unknown);
    }
}
