//! golive's state file on throwaway CI runners: when it does not exist yet,
//! the report says so (what is unknown because of it, and how to keep it)
//! instead of silently starting the key history over; once it holds the key's
//! exchange, the key's age is checked and nothing is said about it.

use golive::plan::Selection;
use golive::report::Status;
use golive::runner::RunOptions;
use golive_fakes::{Fakes, Scenario};

use crate::support::{demo_targets, run_pack};

#[tokio::test]
async fn a_new_state_file_is_said_in_the_report_instead_of_starting_over_silently() {
    let fakes = Fakes::start(Scenario::Healthy).await.expect("fakes start");
    let (mut env, pack) =
        demo_targets(&fakes).into_iter().find(|(_, p)| p.name == "paymentsai").expect("the paymentsai target");
    // A real environment (the demo's own state is temporary by design).
    env.name = "staging".into();
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("ci-state").join("state.json");
    env.state_file = Some(state.clone());
    let sel = Selection { only: vec!["pai-api-key".into()], ..Selection::default() };

    let summary = run_pack(env.clone(), pack.clone(), &sel, &RunOptions::default()).await;
    let probe = summary.probes.iter().find(|p| p.id == "pai-api-key").expect("pai-api-key ran");
    let note = probe.checks.iter().find(|c| c.name == "state").expect("a state note");
    assert_eq!(note.status, Status::Pass, "a note, not a failure: {note:?}");
    for needed in [state.display().to_string().as_str(), "does not exist yet", "age is unknown", "GOLIVE_STATE_DIR"] {
        assert!(note.message.contains(needed), "{needed}: {}", note.message);
    }
    let mut human = Vec::new();
    golive::report::Format::Human.render(&summary, &mut human, false).expect("render");
    assert!(String::from_utf8_lossy(&human).contains("does not exist yet"), "the human report shows the note");

    // The state knows the key's exchange: its age is checked, the note is gone.
    let account = env.input_text("account_id").expect("account_id");
    let made = time::OffsetDateTime::now_utc() - time::Duration::days(10);
    let made = made.format(&time::format_description::well_known::Rfc3339).expect("format");
    std::fs::create_dir_all(state.parent().expect("folder")).expect("mkdir");
    let record = serde_json::json!({ "accounts": { format!("paymentsai/{account}"): { "exchanged_at": made } } });
    std::fs::write(&state, record.to_string()).expect("write the state");
    let summary = run_pack(env, pack, &sel, &RunOptions::default()).await;
    let probe = summary.probes.iter().find(|p| p.id == "pai-api-key").expect("pai-api-key ran");
    assert!(probe.checks.iter().all(|c| c.name != "state"), "{:?}", probe.checks);
    let rotation = probe.checks.iter().find(|c| c.name == "rotation").expect("the key's age is checked");
    assert!(rotation.message.contains("10 days ago"), "{}", rotation.message);
}
