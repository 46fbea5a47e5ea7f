//! `server_ca` and `client_chain` do one job each: the partner's server roots
//! for every TLS connection, the program certificate's issuing CAs for the
//! `cert` probe's chain check. The older `ca_bundle` is still read as both,
//! and golive.toml accepts the three keys.

use golive::config::Environment;
use golive::plan::Selection;
use golive::report::{ProbeReport, Status};
use golive::runner::RunOptions;
use golive_fakes::{Fakes, Scenario};

use crate::support::{demo_targets, golive_in, run_pack, stderr};

async fn run(env: &Environment, fakes: &Fakes, ids: &[&str]) -> Vec<ProbeReport> {
    let (_, pack) = demo_targets(fakes).into_iter().find(|(_, p)| p.name == "axys").expect("axys");
    let sel = Selection { only: ids.iter().map(|s| s.to_string()).collect(), ..Selection::default() };
    run_pack(env.clone(), pack, &sel, &RunOptions::default()).await.probes
}

fn status(reports: &[ProbeReport], id: &str) -> (Status, String) {
    let r = reports.iter().find(|r| r.id == id).unwrap_or_else(|| panic!("{id} ran"));
    let text = r.checks.iter().map(|c| c.message.clone()).collect::<Vec<_>>().join("\n");
    let fix = r.diagnosis.as_ref().map(|d| d.fix.clone()).unwrap_or_default();
    (r.status, format!("{text}\n{fix}"))
}

#[tokio::test]
async fn server_ca_and_client_chain_each_do_one_job_and_ca_bundle_still_does_both() {
    let fakes = Fakes::start(Scenario::Healthy).await.expect("fakes start");
    let (demo, _) = demo_targets(&fakes).into_iter().find(|(_, p)| p.name == "axys").expect("axys");
    let (server_root, program_ca) =
        (demo.server_ca.clone().expect("server_ca"), demo.client_chain.clone().expect("chain"));
    let ids = ["axys-tls", "axys-cert"];

    // The demo's own split: both pass.
    let reports = run(&demo, &fakes, &ids).await;
    assert_eq!(status(&reports, "axys-tls").0, Status::Pass, "{}", status(&reports, "axys-tls").1);
    assert_eq!(status(&reports, "axys-cert").0, Status::Pass, "{}", status(&reports, "axys-cert").1);

    // client_chain names the server's root: the server is still trusted, the client chain is not.
    let swapped = Environment { client_chain: Some(server_root.clone()), ..demo.clone() };
    let reports = run(&swapped, &fakes, &ids).await;
    assert_eq!(status(&reports, "axys-tls").0, Status::Pass);
    let (cert, text) = status(&reports, "axys-cert");
    assert_eq!(cert, Status::Fail, "{text}");
    assert!(text.contains("client_chain") && text.contains(&server_root.display().to_string()), "{text}");

    // server_ca names the program CA: the partner's server is not trusted; the fix names server_ca.
    let swapped = Environment { server_ca: Some(program_ca.clone()), ..demo.clone() };
    let reports = run(&swapped, &fakes, &["axys-tls"]).await;
    let (tls, text) = status(&reports, "axys-tls");
    assert_eq!(tls, Status::Fail, "{text}");
    assert!(text.contains("set server_ca"), "{text}");

    // The older ca_bundle: one file with both, still read for both jobs.
    let dir = tempfile::tempdir().expect("tempdir");
    let both = dir.path().join("both.pem");
    let pem = |p: &std::path::Path| std::fs::read_to_string(p).expect("read");
    std::fs::write(&both, format!("{}{}", pem(&server_root), pem(&program_ca))).expect("write");
    let old = Environment { server_ca: None, client_chain: None, ca_bundle: Some(both), ..demo.clone() };
    let reports = run(&old, &fakes, &ids).await;
    assert_eq!(status(&reports, "axys-tls").0, Status::Pass);
    assert_eq!(status(&reports, "axys-cert").0, Status::Pass);
}

#[test]
fn golive_toml_reads_server_ca_client_chain_and_ca_bundle() {
    let dir = tempfile::tempdir().expect("tempdir");
    for f in ["server.pem", "chain.pem", "bundle.pem"] {
        std::fs::write(dir.path().join(f), "").expect("write");
    }
    std::fs::write(
        dir.path().join("golive.toml"),
        "[env.staging]\npack = \"axys\"\nbase_url = \"https://staging.example.test/v2\"\nserver_ca = \"server.pem\"\nclient_chain = \"chain.pem\"\n\n[env.old]\npack = \"axys\"\nbase_url = \"https://staging.example.test/v2\"\nca_bundle = \"bundle.pem\"\n",
    )
    .expect("write golive.toml");
    for env in ["staging", "old"] {
        let out = golive_in(dir.path(), &["list", "--env", env], &[]);
        assert_eq!(out.status.code(), Some(0), "{env}: {}", stderr(&out));
    }
    std::fs::remove_file(dir.path().join("chain.pem")).expect("rm");
    let out = golive_in(dir.path(), &["list", "--env", "staging"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("`client_chain` file not found"), "{}", stderr(&out));
}
