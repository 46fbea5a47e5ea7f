//! The encodings the `webhook` probe signs in. A scheme whose encoding is
//! golive's inference (`inferred_encoding`: no page shows how the partner
//! writes the MAC) names the other plausible ones: a receiver that refuses
//! the signed event in the inferred encoding is sent it in each alternative,
//! and one that accepts an alternative follows the partner's pages as well as
//! golive does, so it passes with a note refuting the inference (the fact
//! `1.encoding`, counted by `golive contract report`). Every forgery whose
//! bytes depend on the encoding goes out in each of them and must be refused
//! in each: a receiver that tries both encodings must verify both.

use super::cases::{Case, Delivery, Event, plan};
use crate::config::scheme::{Encoding, InferredEncoding, Scheme};
use crate::probe::request::facts::Fact;
use crate::report::{Check, Status};
use crate::spec::basis::{Basis, FactBasis, fact_id};
use crate::webhook::sign::Key;

/// The id of the encoding fact in a webhook probe (its one "request").
pub const ENCODING_FACT: &str = "encoding";

/// The deliveries in one encoding.
pub struct Signed {
    /// The encoding.
    pub encoding: Encoding,
    /// The scheme with that encoding.
    pub scheme: Scheme,
    /// The signed event first, the forgeries, the replay last.
    pub plan: Vec<(Case, Delivery)>,
}

/// The scheme's own encoding first, then its inferred alternatives.
pub fn plans(scheme: &Scheme, key: &Key, event: &Event) -> Result<Vec<Signed>, String> {
    let alternatives = scheme.encoding_inferred.iter().flat_map(|i| i.alternatives.iter().copied());
    std::iter::once(scheme.encoding)
        .chain(alternatives)
        .map(|encoding| {
            let scheme = Scheme { encoding, ..scheme.clone() };
            Ok(Signed { encoding, plan: plan(&scheme, key, event)?, scheme })
        })
        .collect()
}

/// The encoding fact of a scheme whose encoding golive infers.
pub fn fact(scheme: &Scheme) -> Option<Fact> {
    let InferredEncoding { why, .. } = scheme.encoding_inferred.as_ref()?;
    let basis = FactBasis { basis: Basis::Inferred, source: None, why: Some(why.clone()) };
    // Where the scheme is declared is not kept: the check carries its probe's line.
    Some(Fact { id: fact_id(1, ENCODING_FACT), basis, at: None })
}

/// Weighs the signed event's check by the encoding fact: accepted in the
/// inferred encoding confirms it; accepted only in an alternative (after
/// `refused`, each encoding with its answer) refutes it, and the integration
/// passes with a note (a failure with `strict`); accepted in none, the check's
/// own verdict stands, saying what each encoding got.
pub fn weigh_signed(check: &mut Check, fact: &Fact, refused: &[(Encoding, u16)], used: Encoding, strict: bool) {
    let tried: Vec<String> = refused.iter().map(|(e, status)| format!("{status} in {}", e.name())).collect();
    match (refused.first(), check.status == Status::Pass) {
        (None, true) => fact.attach(check, Some(true)),
        (Some((inferred, _)), true) => {
            let status = check.actual.clone().unwrap_or_default();
            check.message = format!(
                "a correctly signed event was answered {} and {status} in {}: the receiver verifies {}",
                tried.join(", "),
                used.name(),
                used.name()
            );
            fact.held_otherwise(check, strict, inferred.name());
        }
        (refusal, false) => {
            if refusal.is_some() {
                check.message =
                    format!("{} (signed in {}; before that {})", check.message, used.name(), tried.join(", "));
            }
            fact.attach(check, None);
        }
    }
}

/// One forgery's check from its verdicts in two encodings: a forgery accepted
/// (or not refused) in either fails, naming the encoding.
pub fn merge(main: Check, extra: Check, encoding: Encoding) -> Check {
    match (main.status, extra.status) {
        // A note (a future timestamp the scheme's library accepts) says it once.
        (Status::Pass, Status::Pass) if extra.note => main,
        (Status::Pass, Status::Pass) => {
            let status = extra.actual.clone().unwrap_or_default();
            let message = format!("{}; signed in {}: rejected with {status}", main.message, encoding.name());
            Check { message, ..main }
        }
        (Status::Pass, _) => Check { message: format!("signed in {}: {}", encoding.name(), extra.message), ..extra },
        _ => main,
    }
}
