//! The fakes stop wherever they are dropped: a hang here once stalled CI.

use std::time::Duration;

use golive_fakes::{Fakes, Scenario, Wiremock};

/// Spends the current task's cooperative budget without yielding, so the
/// next tokio resource polled in this task answers "yield".
async fn spend_budget() {
    while tokio::task::coop::has_budget_remaining() {
        tokio::task::coop::consume_budget().await;
    }
}

/// wiremock verifies its mocks on drop with `futures::executor::block_on`;
/// inside a task with no budget left that spun forever.
#[test]
fn fakes_drop_inside_a_task_whose_coop_budget_is_spent() {
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build();
        runtime.expect("runtime").block_on(async {
            let fakes = Fakes::start(Scenario::Healthy).await.expect("fakes start");
            let lone = Wiremock::start().await;
            spend_budget().await;
            assert!(!tokio::task::coop::has_budget_remaining(), "the budget is spent");
            drop(lone);
            drop(fakes);
        });
        let _ = done.send(());
    });
    finished
        .recv_timeout(Duration::from_secs(60))
        .expect("dropping the fakes with the task's budget spent returned within 60 s");
}
