//! Why a key exchange did not happen or did not finish, each with what to do,
//! and what that means for a verdict. No variant carries a secret.

use std::path::PathBuf;

/// Why the exchange did not happen or did not finish. No variant carries a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExchangeError {
    /// A value the exchange needs is not configured (nothing was sent).
    Missing(String),
    /// The output file exists already (nothing was sent).
    OutExists(PathBuf),
    /// The raw answer file exists already (nothing was sent).
    AnswerExists(PathBuf),
    /// An empty raw answer file exists already: an earlier exchange stopped
    /// before any answer arrived (nothing was sent this time).
    EmptyAnswerExists(PathBuf),
    /// Another exchange holds the state file's lock (nothing was sent).
    Busy(PathBuf),
    /// golive was stopping (a signal) before anything was sent.
    Stopped,
    /// The temporal key is past the partner's documented lifetime (nothing was sent).
    TemporalKeyExpired {
        /// When it was issued, RFC 3339.
        issued_at: String,
        /// When it expired, RFC 3339.
        expired_at: String,
        /// The partner's lifetime in days.
        valid_days: u32,
    },
    /// The output folder cannot be written (nothing was sent).
    OutUnwritable(String),
    /// The secret breaks the policy (nothing was sent).
    Policy(Vec<String>),
    /// The secret was used before (nothing was sent).
    Reused(usize),
    /// The request timed out: the key may or may not have been exchanged.
    Timeout,
    /// The connection failed: nothing was sent.
    Transport(String),
    /// The connection failed after the request may have been sent (a reset
    /// while waiting for the answer): the key may or may not have been exchanged.
    UnknownState(String),
    /// The partner refused the temporal key (used, expired or wrong).
    TemporalKeyRefused(u16),
    /// The partner refused the request otherwise (4xx): the status, the
    /// partner's message, and its `Retry-After` header when it sent one (429).
    Rejected(u16, String, Option<String>),
    /// The partner failed (5xx): not retried.
    ServerError(u16),
    /// The partner accepted the exchange, but the key is in no file: neither
    /// the raw answer nor the credential could be written.
    BadAnswer(String),
    /// The partner accepted the exchange, but no key file was made; the raw
    /// answer, which holds the permanent key, is in `answer` (0600).
    AnswerKept {
        /// Where the raw answer is.
        answer: PathBuf,
        /// Why no key file was made.
        why: String,
        /// The header to build by hand, e.g. `Authorization: ApiKey acc_1_<apiKey>_<apiKeyId>`.
        header: String,
    },
    /// The partner accepted the exchange, but its answer did not arrive whole
    /// (cut off, larger than golive keeps): what arrived is in `answer` (0600).
    AnswerCut {
        /// Where the bytes that arrived are.
        answer: PathBuf,
        /// How many bytes of the answer (head and body) are there.
        bytes: u64,
        /// Why the answer is not whole.
        why: String,
    },
    /// The key was exchanged but could not be moved to `out`; it is in `kept` (0600).
    KeptElsewhere {
        /// Where it should have gone.
        out: PathBuf,
        /// Where it is.
        kept: PathBuf,
        /// Why the move failed.
        why: String,
    },
}

impl std::fmt::Display for ExchangeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExchangeError::Missing(what) => write!(f, "{what}; nothing was sent"),
            ExchangeError::OutExists(p) => write!(f, "{} exists already; golive never overwrites a key file (choose another --out); nothing was sent", p.display()),
            ExchangeError::AnswerExists(p) => write!(f, "{} exists already: it may hold the permanent key of an earlier exchange, and golive never overwrites it. Store what it holds safely and move it away, or choose another --out; nothing was sent", p.display()),
            ExchangeError::EmptyAnswerExists(p) => write!(f, "{} exists already and is empty: an earlier exchange stopped before any answer arrived (or another one is running). If that exchange sent its request, the temporal key may be used: ask the partner before trying again, then delete the empty file; nothing was sent", p.display()),
            ExchangeError::Busy(lock) => write!(f, "another golive key exchange is running (it holds {}): the temporal key is sent by one exchange at a time; wait for it to end; nothing was sent", lock.display()),
            ExchangeError::Stopped => f.write_str("golive was stopping (a signal arrived) before the exchange started; nothing was sent"),
            ExchangeError::TemporalKeyExpired { issued_at, expired_at, valid_days } => write!(f, "the temporal key expired at {expired_at}: it was issued at {issued_at} (temporal_key_issued_at) and the partner documents a lifetime of {valid_days} days; nothing was sent. Ask the partner for a new temporal key, then set temporal_api_key to it and temporal_key_issued_at to when it was issued"),
            ExchangeError::OutUnwritable(why) => write!(f, "{why}; nothing was sent"),
            ExchangeError::Policy(v) => write!(f, "the secret breaks the partner's policy: {}; nothing was sent", v.join("; ")),
            ExchangeError::Reused(n) => write!(f, "the secret is one of the last {n} used for this account; choose a new one; nothing was sent"),
            ExchangeError::Timeout => f.write_str("the exchange timed out: the key may or may not have been exchanged. golive does not retry. Before trying again, ask the partner whether the temporal key was used (a 401 on a retry means it was)"),
            ExchangeError::Transport(why) => write!(f, "the exchange request could not connect ({why}); nothing was sent and it was not retried"),
            ExchangeError::UnknownState(why) => write!(f, "unknown state — the key may or may not have been exchanged; check with the partner before retrying. The connection failed after the request may have been sent ({why}); golive does not retry"),
            ExchangeError::TemporalKeyRefused(s) => write!(f, "the partner answered {s}: the temporal key was already used or has expired; ask the partner for a new temporal key"),
            ExchangeError::Rejected(429, why, retry_after) => {
                let wait = retry_after.as_ref().map(|v| format!(" (Retry-After: {v})")).unwrap_or_default();
                write!(f, "the partner refused the exchange with 429, too many requests{wait}: {why}; golive does not retry a one-time exchange")
            }
            ExchangeError::Rejected(s, why, _) => write!(f, "the partner refused the exchange with {s}: {why}"),
            ExchangeError::ServerError(s) => write!(f, "the partner answered {s}; golive does not retry a one-time exchange. Ask the partner whether the temporal key still works before trying again"),
            ExchangeError::BadAnswer(why) => write!(f, "the partner accepted the exchange (the temporal key is now used), but {why}; golive holds no copy of the permanent key. Do not exchange again: contact the partner"),
            ExchangeError::AnswerKept { answer, why, header } => write!(f, "the partner accepted the exchange (the temporal key is now used), but {why}, so no key file was made. The partner's raw answer is saved in {} (mode 0600), byte for byte as it arrived (read it with `less` or `cat -v`, not `cat`): it holds the permanent key, of which the partner keeps no copy. Do not exchange again and do not share the file. Find the key and its id in the body (after the headers) and build the header yourself: `{header}`; store it in your secrets manager, then delete the file", answer.display()),
            ExchangeError::AnswerCut { answer, bytes, why } => write!(f, "the partner accepted the exchange (the temporal key is now used), but its answer did not arrive whole: {why}. The {bytes} bytes that arrived are saved in {} (mode 0600), byte for byte (read it with `less` or `cat -v`): they may or may not hold the whole permanent key, of which the partner keeps no copy. Do not exchange again: look for the key in the file, and contact the partner with what you find", answer.display()),
            ExchangeError::KeptElsewhere { out, kept, why } => write!(f, "the temporal key was exchanged, but the permanent key could not be moved to {} ({why}); it is kept in {} (mode 0600): move it where it belongs yourself and do not exchange again", out.display(), kept.display()),
        }
    }
}

/// What an exchange failure means for a verdict: the one mapping the
/// `apikey-exchange` probe (a status) and `golive key exchange` (an exit code) share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// A local check refused before anything was sent (an input, a file, the
    /// secret policy): the probe fails, the command is a usage error.
    NotSent,
    /// No verdict: the partner's state is unknown (timeout, a lost connection,
    /// a key kept elsewhere) or the partner failed (5xx).
    NoVerdict,
    /// The partner refused the exchange, or accepted it and the key is not in
    /// its file: something is wrong.
    Wrong,
}

impl ExchangeError {
    /// What this failure means for a verdict.
    pub fn kind(&self) -> FailureKind {
        match self {
            ExchangeError::Missing(_)
            | ExchangeError::OutExists(_)
            | ExchangeError::AnswerExists(_)
            | ExchangeError::EmptyAnswerExists(_)
            | ExchangeError::Busy(_)
            | ExchangeError::Stopped
            | ExchangeError::TemporalKeyExpired { .. }
            | ExchangeError::OutUnwritable(_)
            | ExchangeError::Policy(_)
            | ExchangeError::Reused(_) => FailureKind::NotSent,
            ExchangeError::Timeout
            | ExchangeError::Transport(_)
            | ExchangeError::UnknownState(_)
            | ExchangeError::KeptElsewhere { .. }
            | ExchangeError::ServerError(_) => FailureKind::NoVerdict,
            ExchangeError::TemporalKeyRefused(_)
            | ExchangeError::Rejected(..)
            | ExchangeError::BadAnswer(_)
            | ExchangeError::AnswerKept { .. }
            | ExchangeError::AnswerCut { .. } => FailureKind::Wrong,
        }
    }

    /// Whether the request was sent (so the partner's state may have changed):
    /// a local refusal or a failed connection proves it was not.
    pub fn sent(&self) -> bool {
        self.kind() != FailureKind::NotSent && !matches!(self, ExchangeError::Transport(_))
    }
}
