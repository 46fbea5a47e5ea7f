//! A webhook scheme whose encoding golive infers (PaymentsAI's: no readable
//! page shows whether `x-pai-signature` is hex or base64), over real HTTP: a
//! receiver that verifies the other plausible encoding passes with a note that
//! refutes the inference (a failure with `--strict-contract`), one that
//! verifies neither fails saying what each got, and a forgery must be refused
//! in every encoding, not only in the one the receiver verifies.

use base64::Engine as _;
use golive::config::scheme;
use golive::config::{Environment, Secret, SecretRef, Webhook};
use golive::plan::Selection;
use golive::report::{Check, ProbeReport, Status};
use golive::runner::RunOptions;
use golive_fakes::paymentsai::{Encoding, Signature};
use golive_fakes::webhook::Verify as _;
use golive_fakes::webhook::{self as receiver, Behaviour};
use secrecy::SecretString;
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, Request, Respond, ResponseTemplate};

use crate::support::{pack_from, run_pack};

const SECRET: &str = "a-test-secret-for-the-receiver";

const PACK: &str = "[pack]\nname = \"test\"\ntitle = \"Test\"\nrunbook = \"test\"\n\n[[probe]]\nid = \"hook\"\nkind = \"webhook\"\ntitle = \"Webhook\"\n[probe.params]\nid_field = \"deduplicationId\"\n[probe.params.event]\ndeduplicationId = \"x\"\ntype = \"transaction-processed\"\norganizationId = \"org_test\"\nmetadata = { source = \"test\" }\n";

/// The `webhook` probe with PaymentsAI's scheme (hex inferred, base64 its
/// alternative) against the receiver at `url`.
async fn probe(url: reqwest::Url, strict: bool) -> ProbeReport {
    let env = Environment {
        name: "test".into(),
        pack: "test".into(),
        strict_contract: strict,
        webhook: Some(Webhook {
            url,
            scheme: Some(scheme::from_name("paymentsai").expect("the pack's scheme")),
            secret: Secret { value: SecretString::from(SECRET), source: SecretRef::Env("TEST_WEBHOOK_SECRET".into()) },
        }),
        ..Environment::default()
    };
    let summary = run_pack(env, pack_from(PACK), &Selection::default(), &RunOptions::default()).await;
    summary.probes.into_iter().next().expect("one probe")
}

/// A receiver that verifies the pages' facts in `encoding`, with `secret`.
async fn verifying(encoding: Encoding, secret: &str) -> golive_fakes::Wiremock {
    receiver::start(Signature::new(SecretString::from(secret), encoding), Behaviour::Verifying).await
}

fn check<'a>(r: &'a ProbeReport, name: &str) -> &'a Check {
    r.checks.iter().find(|c| c.name == name).unwrap_or_else(|| panic!("no check {name}: {r:#?}"))
}

#[tokio::test]
async fn a_receiver_verifying_base64_passes_with_a_note_refuting_hex_and_fails_under_strict_contract() {
    let server = verifying(Encoding::Base64, SECRET).await;
    let r = probe(receiver::url(&server).expect("url"), false).await;
    assert_eq!(r.status, Status::Pass, "{r:#?}");
    assert_eq!(r.phases.iter().filter(|p| p.name == "signed").count(), 2, "hex, then base64: {:?}", r.phases);
    let signed = check(&r, "signed event");
    let mark = signed.fact.as_ref().expect("the encoding fact");
    assert_eq!((mark.fact.as_str(), mark.held), ("1.encoding", Some(false)), "{signed:?}");
    assert!(signed.note, "{signed:?}");
    assert!(
        signed.message.contains("answered 401 in hex and 200 in base64: the receiver verifies base64")
            && signed.message.contains("golive inferred hex"),
        "names both encodings, what each got and the inference: {}",
        signed.message
    );
    // The forgeries went out in both encodings and were refused in both.
    let forged = check(&r, "forgery: wrong secret");
    assert!(forged.status == Status::Pass && forged.message.contains("signed in hex: rejected with 401"), "{forged:?}");

    let r = probe(receiver::url(&server).expect("url"), true).await;
    assert_eq!(r.status, Status::Fail, "--strict-contract holds hex: {r:#?}");
    assert!(check(&r, "signed event").message.contains("--strict-contract"), "{r:#?}");
}

#[tokio::test]
async fn a_receiver_verifying_hex_confirms_the_inference_and_gets_no_base64_event() {
    let server = verifying(Encoding::Hex, SECRET).await;
    let r = probe(receiver::url(&server).expect("url"), false).await;
    assert_eq!(r.status, Status::Pass, "{r:#?}");
    let signed = check(&r, "signed event");
    assert_eq!(signed.fact.as_ref().and_then(|f| f.held), Some(true), "{signed:?}");
    assert_eq!(signed.message, "a correctly signed event was answered 200");
    assert_eq!(r.phases.iter().filter(|p| p.name == "signed").count(), 1, "one signed event: {:?}", r.phases);
    let forged = check(&r, "forgery: tampered body");
    assert!(forged.message.contains("signed in base64: rejected with 401"), "{forged:?}");
}

#[tokio::test]
async fn a_receiver_verifying_neither_encoding_fails_saying_what_each_got() {
    let server = verifying(Encoding::Hex, "another-secret-than-golive-has").await;
    let r = probe(receiver::url(&server).expect("url"), false).await;
    assert_eq!(r.status, Status::Fail, "{r:#?}");
    let signed = check(&r, "signed event");
    assert_eq!(signed.status, Status::Fail);
    assert!(signed.message.contains("(signed in base64; before that 401 in hex)"), "{}", signed.message);
    assert_eq!(signed.fact.as_ref().map(|f| f.held), Some(None), "no verdict on the encoding: {signed:?}");
}

/// Verifies hex, but takes any 32 bytes of base64 for a signature checked
/// elsewhere: it refuses every hex forgery and accepts every base64 one.
struct LenientOnBase64 {
    hex: Signature,
}

impl Respond for LenientOnBase64 {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        if self.hex.verify(&request.headers, &request.body, true).is_ok() {
            return ResponseTemplate::new(200);
        }
        let header = request.headers.get("x-pai-signature").and_then(|v| v.to_str().ok()).unwrap_or_default();
        match base64::engine::general_purpose::STANDARD.decode(header) {
            Ok(bytes) if bytes.len() == 32 => ResponseTemplate::new(200),
            _ => ResponseTemplate::new(401).set_body_json(json!({"error": "bad signature"})),
        }
    }
}

#[tokio::test]
async fn a_forgery_accepted_in_the_other_encoding_fails_naming_it() {
    let server = golive_fakes::Wiremock::start().await;
    let hex = Signature::new(SecretString::from(SECRET), Encoding::Hex);
    Mock::given(method("POST")).respond_with(LenientOnBase64 { hex }).mount(&server).await;
    let url = reqwest::Url::parse(&format!("{}/hooks", server.uri())).expect("url");
    let r = probe(url, false).await;
    assert_eq!(r.status, Status::Fail, "{r:#?}");
    assert_eq!(check(&r, "signed event").fact.as_ref().and_then(|f| f.held), Some(true), "hex was verified");
    for name in ["forgery: wrong secret", "forgery: tampered body"] {
        let forged = check(&r, name);
        assert_eq!(forged.status, Status::Fail, "{forged:?}");
        assert!(forged.message.starts_with("signed in base64: ") && forged.message.contains("accepted"), "{forged:?}");
    }
    // A missing or malformed header is the same in every encoding: sent once.
    assert_eq!(check(&r, "forgery: missing signature").status, Status::Pass);
}
