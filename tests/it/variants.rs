//! Both built-in packs against the partner fakes in every variant: every probe of
//! the demo's environments, one per partner fake of `golive_fakes::PARTNERS`
//! (the staging flows included), runs with mutations allowed, as `golive verify
//! --env demo --variant NAME` runs them, and must end `pass` or `warn`. A probe that fails against a variant depends on an answer
//! the partners' pages leave open: the pack guessed.
//!
//! Where a variant answers otherwise than the packs infer, each test names the
//! refuted facts it must show: the check carries the fact (inferred, refuted),
//! its message names the step and says what the partner answered, and it is a
//! warning or a passing note, never a failure. Where a variant answers as the
//! packs already read the pages, no inference is refuted at all.

use std::path::Path;
use std::time::Duration;

use golive::plan::{Plan, Selection};
use golive::report::{Check, ProbeReport, RunSummary, Status};
use golive::runner::{self, RunOptions};
use golive::spec::Basis;
use golive_fakes::{Fakes, Scenario, Variant};

use crate::evidence::json_lines;
use crate::support::{demo_targets, golive, golive_in, stderr, stdout};

/// Each probe's own deadline; the fakes answer at once.
const DEADLINE: Duration = Duration::from_secs(60);

/// Runs both built-in packs against the fakes of `variant`.
async fn run(variant: Variant) -> RunSummary {
    let fakes = Fakes::start_with(Scenario::Healthy, variant).await.expect("fakes start");
    let plan = Plan::build("demo", demo_targets(&fakes), &Selection::default()).expect("plan");
    let opts = RunOptions { timeout: Some(DEADLINE), allow_mutations: true, ..RunOptions::default() };
    runner::run(&plan, &opts, &mut |_| {}).await
}

/// Both packs pass or warn against `variant`; a failure names its probe and step.
async fn packs_pass_or_warn(variant: Variant) -> RunSummary {
    let summary = run(variant).await;
    assert!(summary.probes.len() >= 20, "{}: both packs ran: {}", variant.as_str(), summary.probes.len());
    let failed: Vec<String> = summary
        .probes
        .iter()
        .filter(|p| !matches!(p.status, Status::Pass | Status::Warn))
        .map(|p| {
            let steps: Vec<String> = p
                .checks
                .iter()
                .filter(|c| matches!(c.status, Status::Fail | Status::Error))
                .map(|c| format!("{}: {}", c.name, c.message))
                .collect();
            format!("{} ended {:?}: {}", p.id, p.status, steps.join("; "))
        })
        .collect();
    assert!(failed.is_empty(), "against variant {}:\n{}", variant.as_str(), failed.join("\n"));
    // Every partner fake of the list ran its pack: against `default`, this is each
    // partner's healthy scenario passing its pack.
    for partner in golive_fakes::PARTNERS {
        let ran = summary.probes.iter().filter(|p| p.pack == partner.pack()).count();
        assert!(ran > 0, "{}: no probe of {}'s pack `{}` ran", variant.as_str(), partner.name(), partner.pack());
    }
    summary
}

/// A refuted inference a variant must show: the probe, the fact's id, the
/// step the message names, and what the partner answered (part of the message).
type Refuted = (&'static str, &'static str, &'static str, &'static str);

/// The checks of `summary` that refute an inferred fact, with their probes.
fn refutations(summary: &RunSummary) -> Vec<(&ProbeReport, &Check)> {
    summary
        .probes
        .iter()
        .flat_map(|p| p.checks.iter().map(move |c| (p, c)))
        .filter(|(_, c)| c.fact.as_ref().is_some_and(|f| f.held == Some(false)))
        .collect()
}

/// Every refuted inference warns or notes, and each expected one is there,
/// naming its step, its fact and what the partner answered; a variant that
/// expects none refutes none.
fn shows_refutations(variant: Variant, summary: &RunSummary, expected: &[Refuted]) {
    let name = variant.as_str();
    let refuted = refutations(summary);
    for (p, c) in &refuted {
        let mark = c.fact.as_ref().expect("marked");
        assert_eq!(mark.basis, Basis::Inferred, "{name}: only an inference is refuted: {} {c:?}", p.id);
        assert!(mark.why.as_deref().is_some_and(|w| !w.is_empty()), "{name}: says why golive inferred it: {c:?}");
        let shown = c.status == Status::Warn || (c.status == Status::Pass && c.note);
        assert!(shown, "{name}: {} {}: a warning or a note, never {:?}: {}", p.id, c.name, c.status, c.message);
    }
    if expected.is_empty() {
        let all: Vec<String> = refuted.iter().map(|(p, c)| format!("{} {}: {}", p.id, c.name, c.message)).collect();
        assert!(all.is_empty(), "{name} answers as the packs infer, yet:\n{}", all.join("\n"));
    }
    for (probe, fact, step, answered) in expected {
        let found = refuted.iter().find(|(p, c)| {
            p.id == *probe && c.fact.as_ref().is_some_and(|f| f.fact == *fact) && c.message.contains(step)
        });
        let Some((_, c)) = found else {
            let seen: Vec<String> = refuted
                .iter()
                .filter(|(p, _)| p.id == *probe)
                .map(|(_, c)| {
                    format!("{} [{}]: {}", c.name, c.fact.as_ref().map_or("", |f| f.fact.as_str()), c.message)
                })
                .collect();
            panic!("{name}: no refutation of {probe} {fact} naming `{step}`; {probe} shows:\n{}", seen.join("\n"));
        };
        assert!(
            c.message.contains(answered),
            "{name}: {probe} {fact} says what the partner answered ({answered}): {}",
            c.message
        );
    }
}

/// One test per variant, so each can be run on its own, with the refuted
/// inferences it must show (none: it answers as the packs read the pages).
macro_rules! variant_tests {
    ($($test:ident: $variant:ident [$($refuted:expr),* $(,)?];)*) => {
        $(
            #[tokio::test]
            async fn $test() {
                let summary = packs_pass_or_warn(Variant::$variant).await;
                shows_refutations(Variant::$variant, &summary, &[$($refuted),*]);
            }
        )*

        /// The variants the tests above cover.
        const TESTED: &[Variant] = &[$(Variant::$variant),*];
    };
}

const AXYS_201: Refuted = (
    "axys-staging-flow",
    "1.inferred_status",
    "1. create a test cardholder with every documented field",
    "answered 201 where golive inferred 200",
);
const AXYS_WALLET_201: Refuted =
    ("axys-wallets", "7.inferred_status", "7. create a wallet", "answered 201 where golive inferred 200");
const AXYS_ENVELOPED: Refuted = (
    "axys-staging-flow",
    "2.assert.1",
    "2. the new cardholder is a Draft (status 4)",
    "$.status is 4 at the pack's alternative `$.*.status`, not at `$.status`",
);
const AXYS_NESTED_CARD: Refuted = (
    "axys-physical-card",
    "7.assert.1",
    "7. the new card is Not Activated (issuerCardStatus 4)",
    "$.issuerCardStatus is 4 at the pack's alternative `$.*.issuerCardStatus`",
);
const AXYS_NESTED_BALANCE: Refuted = (
    "axys-staging-flow",
    "10.assert.1",
    "10. balance: ledgerBalance and availableBalance",
    "at the pack's alternative `$.*.ledgerBalance`",
);
const AXYS_PAN_NAMES: Refuted = (
    "axys-staging-flow",
    "9.assert.1",
    "9. card details: sensitive data present (masked here)",
    "$.cardNumber: expected present, got (absent)",
);
const AXYS_PAN_CAPTURE: Refuted = (
    "axys-physical-card",
    "8.capture.cardNumber",
    "8. read the card's sensitive details (masked here)",
    "nothing to capture as `cardNumber` at `$.cardNumber` or `$.*.cardNumber`",
);
const AXYS_STATUS_5: Refuted = (
    "axys-staging-flow",
    "4.poll.fail_if.2",
    "4. poll the cardholder until Under Review (status 3)",
    "a read showed $.status is 5",
);
const AXYS_UNFUNDED: Refuted =
    ("axys-wallets", "10.status", "10. transfer from the wallet to the card", "answered 409, expected 2xx");
const PAI_200: Refuted = (
    "pai-first-subscription",
    "2.inferred_status",
    "2. create a test customer",
    "answered 200 where golive inferred 201",
);
const PAI_SUBSCRIPTION_200: Refuted = (
    "pai-first-subscription",
    "6.inferred_status",
    "6. start a subscription on the plan with the attached instrument",
    "answered 200 where golive inferred 201",
);
const PAI_NO_EVENT_TYPES: Refuted = (
    "pai-webhook-destination",
    "1.assert.3",
    "1. read the registered webhook destination",
    "$.data.eventTypes: expected array, got (absent)",
);
const PAI_BASE64: Refuted =
    ("pai-webhook-signature", "1.encoding", "signed event", "answered 401 in hex and 200 in base64");
const PAI_WRAPPED: Refuted = (
    "pai-first-subscription",
    "2.capture.customerId",
    "2. create a test customer",
    "found at the pack's alternative `$.data.id`, not at `$.id`",
);
const PAI_PENDING_CANCEL: Refuted =
    ("pai-first-subscription", "7.status", "7. cancel the test subscription", "answered 400, expected 2xx");

variant_tests! {
    packs_pass_against_default: Default [];
    packs_pass_against_axys_201_creates: Axys201Creates [AXYS_201, AXYS_WALLET_201];
    packs_pass_against_axys_enveloped_cardholder: AxysEnvelopedCardholder [AXYS_ENVELOPED];
    packs_pass_against_axys_nested_card: AxysNestedCard [AXYS_NESTED_CARD];
    packs_pass_against_axys_nested_balance: AxysNestedBalance [AXYS_NESTED_BALANCE];
    packs_pass_against_axys_details_pan_names: AxysDetailsPanNames [AXYS_PAN_NAMES, AXYS_PAN_CAPTURE];
    // The activation sends the integers its reference types, whatever the details' types.
    packs_pass_against_axys_details_strings: AxysDetailsStrings [];
    // The packs re-submit a declined cardholder through kyc-submit, as the reference says.
    packs_pass_against_axys_refresh_only_in_review: AxysRefreshOnlyInReview [];
    packs_pass_against_axys_transitional_0: AxysTransitional0 [];
    packs_pass_against_axys_transitional_5: AxysTransitional5 [AXYS_STATUS_5];
    // The packs subscribe with the cardholder id, as the reference requires.
    packs_pass_against_axys_otp_cardholder_id: AxysOtpCardholderId [];
    packs_pass_against_axys_unfunded_transfer_refused: AxysUnfundedTransferRefused [AXYS_UNFUNDED];
    packs_pass_against_axys_trace_funds_wallet: AxysTraceFundsWallet [];
    packs_pass_against_pai_200_creates: Pai200Creates [PAI_200, PAI_SUBSCRIPTION_200];
    packs_pass_against_pai_destination_without_event_types: PaiDestinationWithoutEventTypes [PAI_NO_EVENT_TYPES];
    packs_pass_against_pai_signature_base64: PaiSignatureBase64 [PAI_BASE64];
    packs_pass_against_pai_wrapped_objects: PaiWrappedObjects [PAI_WRAPPED];
    packs_pass_against_pai_cancel_only_active: PaiCancelOnlyActive [PAI_PENDING_CANCEL];
    packs_pass_against_docs_strict: DocsStrict [AXYS_UNFUNDED, PAI_PENDING_CANCEL];
    packs_pass_against_alt: Alt [
        AXYS_201, AXYS_WALLET_201, AXYS_ENVELOPED, AXYS_NESTED_CARD, AXYS_NESTED_BALANCE, AXYS_PAN_NAMES,
        AXYS_PAN_CAPTURE, AXYS_STATUS_5, AXYS_UNFUNDED, PAI_200, PAI_SUBSCRIPTION_200, PAI_NO_EVENT_TYPES,
        PAI_BASE64, PAI_WRAPPED, PAI_PENDING_CANCEL,
    ];
}

/// The checks of one probe of `summary`.
fn probe<'a>(summary: &'a RunSummary, id: &str) -> &'a ProbeReport {
    summary.probes.iter().find(|p| p.id == id).unwrap_or_else(|| panic!("no probe {id}"))
}

fn named<'a>(p: &'a ProbeReport, part: &str) -> &'a Check {
    p.checks.iter().find(|c| c.name.contains(part)).unwrap_or_else(|| panic!("{}: no check {part}: {p:#?}", p.id))
}

/// A card whose details were not found is never activated: what checks the
/// activation is not run, and the On Hold cleanup, which a Not Activated card
/// refuses, is not sent. (Against these details the physical-card flow once
/// failed its "Active" read and its cleanup.)
#[tokio::test]
async fn a_card_whose_details_were_not_found_is_neither_activated_nor_put_on_hold() {
    let summary = run(Variant::AxysDetailsPanNames).await;
    let card = probe(&summary, "axys-physical-card");
    assert_eq!(card.status, Status::Warn, "{card:#?}");
    assert_eq!(named(card, "9. activate the card and set its PIN (mutating) › not run").status, Status::Skip);
    let active = named(card, "10. the card is Active (issuerCardStatus 1) › not run");
    assert!(active.message.contains("9. activate the card and set its PIN (mutating) was not sent"), "{active:?}");
    let hold = named(card, "11. put the test card On Hold (mutating) › not run");
    assert!(hold.message.contains("cleanup not run: it follows 9. activate the card"), "{hold:?}");

    // Details as strings of digits: sent as the integers the activation
    // reference types, the card is activated, then put On Hold.
    let summary = run(Variant::AxysDetailsStrings).await;
    let card = probe(&summary, "axys-physical-card");
    assert_eq!(card.status, Status::Pass, "{card:#?}");
    assert_eq!(named(card, "9. activate the card and set its PIN (mutating) › status").status, Status::Pass);
    assert_eq!(named(card, "11. put the test card On Hold (mutating) › status").status, Status::Pass);
}

/// Runs `golive verify --env demo --variant NAME --only PROBE` with its evidence
/// in `dir/NAME`.
fn demo_evidence(dir: &Path, variant: &str, probe: &str) -> std::path::PathBuf {
    let evidence = dir.join(variant);
    let args = ["verify", "--env", "demo", "--variant", variant, "--only", probe, "--no-progress", "--evidence"];
    let out = golive_in(dir, &[&args[..], &[evidence.to_str().expect("utf-8 path")]].concat(), &[]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{variant}: {}{}", stdout(&out), stderr(&out));
    evidence
}

/// Under `{"status":"success","cardholder":{...}}` the tracked state is the
/// cardholder's integer status, read where the step's assertion found it; the
/// evidence once recorded the envelope's "success" as the state.
#[test]
fn the_enveloped_cardholder_is_tracked_by_its_integer_status_not_the_envelopes_success() {
    let dir = tempfile::tempdir().expect("tempdir");
    let evidence = demo_evidence(dir.path(), "axys-enveloped-cardholder", "axys-staging-flow");
    let states: Vec<serde_json::Value> = json_lines(&evidence, "states.jsonl")
        .into_iter()
        .filter(|s| s["entity"] == "cardholder")
        .map(|s| s["to"].clone())
        .collect();
    assert_eq!(states, [4, 3, 1], "Draft, Under Review, Approved");
}

/// The signature encoding golive infers is refuted by a run against a receiver
/// verifying base64 and confirmed by one verifying hex.
#[test]
fn the_contract_report_counts_the_signature_encoding_refuted_in_one_bundle_and_confirmed_in_the_other() {
    let dir = tempfile::tempdir().expect("tempdir");
    let base64 = demo_evidence(dir.path(), "pai-signature-base64", "pai-webhook-signature");
    let hex = demo_evidence(dir.path(), "default", "pai-webhook-signature");
    let (base64, hex) = (base64.to_str().expect("utf-8"), hex.to_str().expect("utf-8"));
    let out = golive(&["contract", "report", "--evidence", base64, "--evidence", hex, "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let fact = report["facts"]
        .as_array()
        .expect("facts")
        .iter()
        .find(|f| f["probe"] == "pai-webhook-signature" && f["fact"] == "1.encoding")
        .unwrap_or_else(|| panic!("the encoding fact is listed: {report:#}"));
    assert_eq!(
        (fact["runs"][0]["seen"].as_str(), fact["runs"][1]["seen"].as_str()),
        (Some("refuted"), Some("confirmed"))
    );
    let answered = fact["runs"][0]["answered"].as_str().unwrap_or_default();
    assert!(answered.contains("answered 401 in hex and 200 in base64: the receiver verifies base64"), "{answered}");
}

#[test]
fn every_variant_has_its_pack_test() {
    let missing: Vec<&str> = Variant::ALL.iter().filter(|v| !TESTED.contains(v)).map(|v| v.as_str()).collect();
    assert!(missing.is_empty(), "variants without a test in tests/it/variants.rs: {missing:?}");
    assert_eq!(TESTED.len(), Variant::ALL.len(), "a variant tested twice");
}

/// The status each create of the Axys staging flow got, from the run's evidence:
/// `golive verify --env demo --variant NAME` reaches the fakes with the variant.
fn cardholder_create_statuses(variant: &str) -> Vec<u64> {
    let dir = tempfile::tempdir().expect("tempdir");
    let evidence = dir.path().join("evidence");
    let evidence = evidence.to_str().expect("utf-8 path");
    let args = ["verify", "--env", "demo", "--variant", variant, "--only", "axys-staging-flow", "--no-progress"];
    let out = golive_in(dir.path(), &[&args[..], &["--evidence", evidence]].concat(), &[]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{variant}: {}{}", stdout(&out), stderr(&out));
    json_lines(Path::new(evidence), "trace.jsonl")
        .into_iter()
        .filter(|r| r["type"] == "http" && r["method"] == "POST")
        .filter(|r| r["url"].as_str().is_some_and(|u| u.ends_with("/v2/cardholders")))
        .filter_map(|r| r["response"]["status"].as_u64())
        .collect()
}

#[test]
fn the_demo_plays_the_variant_it_is_given() {
    assert_eq!(cardholder_create_statuses("axys-201-creates"), [201], "the variant's create status");
    assert_eq!(cardholder_create_statuses("default"), [200], "the default's");
}

#[test]
fn an_unknown_variant_is_a_usage_error_naming_the_closest_and_listing_all() {
    for args in [
        &["verify", "--env", "demo", "--variant", "axys-201-create"][..],
        &["fake", "serve", "--variant", "axys-201-create"][..],
    ] {
        let out = golive(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains("invalid value 'axys-201-create' for '--variant <NAME>'"), "{err}");
        assert!(err.contains("a similar value exists: 'axys-201-creates'"), "did you mean: {err}");
        for v in Variant::ALL {
            assert!(err.contains(v.as_str()), "{} listed: {err}", v.as_str());
        }
        assert!(stdout(&out).is_empty(), "nothing ran: {}", stdout(&out));
    }
    let out = golive(&["verify", "--env", "staging", "--variant", "alt"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--variant only applies to --env demo"), "{}", stderr(&out));
}

#[test]
fn fake_variants_lists_every_variant_with_what_it_answers() {
    let out = golive(&["fake", "variants"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), Variant::ALL.len(), "{text}");
    for (line, v) in lines.iter().zip(Variant::ALL) {
        let (name, help) = line.split_once("  ").unwrap_or_else(|| panic!("name and help: {line}"));
        assert_eq!((name, help.trim()), (v.as_str(), v.help()), "{text}");
    }
    // The options name the list; the help of the commands does not repeat it.
    for cmd in [&["verify", "--help"][..], &["fake", "serve", "--help"]] {
        let help = stdout(&golive(cmd));
        let flat = help.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(flat.contains("(`golive fake variants` lists them)"), "{cmd:?}: {help}");
        assert!(!help.contains("axys-201-creates"), "{cmd:?} lists no variant: {help}");
    }
}
