//! A failed check points back at the pack line that asked for it, as Hurl's
//! errors do: the assertion itself, else its step (a wrong status), else its
//! probe, as `(at file:line)` after the message in the human report, as `at` in
//! the JSON report and in the JUnit failure. Real processes against a
//! wiremock partner for your own pack; the demo's fakes for a built-in one.

use serde_json::{Value, json};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{golive, golive_in, stderr, stdout};

/// Your own pack: the second assertion of the first step (line 14) fails,
/// the second probe's step (line 21) answers a wrong status.
const PACK: &str = r#"[pack]
name = "nimbus"
title = "Nimbus launch"
runbook = "Nimbus go-live"

[[probe]]
id = "nimbus-orders"
kind = "http"
title = "Orders list"
[[probe.params.steps]]
url = "${base_url}/orders"
assert = [
  { path = "$.status", equals = "ok" },
  { path = "$.total", type = "integer" },
]

[[probe]]
id = "nimbus-health"
kind = "http"
title = "Health"
[[probe.params.steps]]
name = "health answers"
url = "${base_url}/health"
"#;

/// The 1-based number of the line of `text` that starts with `prefix`
/// (after indentation), after the line holding `after`.
fn line_of(text: &str, after: &str, prefix: &str) -> usize {
    let start = text.lines().position(|l| l.contains(after)).unwrap_or_else(|| panic!("no `{after}`"));
    start + 1 + text.lines().skip(start).position(|l| l.trim_start().starts_with(prefix)).expect("the line")
}

async fn nimbus() -> (MockServer, tempfile::TempDir) {
    let server = MockServer::start().await;
    Mock::given(path("/orders"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "ok", "total": "12"})))
        .mount(&server)
        .await;
    Mock::given(path("/health")).respond_with(ResponseTemplate::new(503)).mount(&server).await;
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("pack.toml"), PACK).expect("write pack.toml");
    let config = format!("[env.staging]\npack = \"pack.toml\"\nbase_url = \"{}\"\n", server.uri());
    std::fs::write(dir.path().join("golive.toml"), config).expect("write golive.toml");
    (server, dir)
}

fn check<'a>(doc: &'a Value, probe: &str, name: &str) -> &'a Value {
    let p = doc["probes"].as_array().expect("probes").iter().find(|p| p["id"] == probe).expect("the probe");
    p["checks"].as_array().expect("checks").iter().find(|c| c["name"] == name).unwrap_or_else(|| panic!("{p:#}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_assertion_of_your_own_pack_names_its_line_in_every_output() {
    let (_server, dir) = nimbus().await;
    let assertion = format!("pack.toml:{}", line_of(PACK, "nimbus-orders", "{ path = \"$.total\""));
    let step = format!("pack.toml:{}", line_of(PACK, "nimbus-health", "[[probe.params.steps]]"));
    assert_eq!((assertion.as_str(), step.as_str()), ("pack.toml:14", "pack.toml:21"));
    let xml = dir.path().join("golive.xml");
    let report = format!("junit={}", xml.display());
    let run = |args: Vec<String>| {
        let d = dir.path().to_path_buf();
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            golive_in(&d, &args, &[])
        })
    };
    let base = ["verify", "--env", "staging", "--no-progress"].map(String::from).to_vec();
    let human = run(base.clone()).await.expect("human run");
    let text = stdout(&human);
    assert_eq!(human.status.code(), Some(1), "{text}{}", stderr(&human));
    let failed = text.lines().find(|l| l.contains("$.total")).unwrap_or_else(|| panic!("{text}"));
    assert!(failed.trim_end().ends_with(&format!("(at {assertion})")), "{failed}");
    let status = text.lines().find(|l| l.contains("503")).unwrap_or_else(|| panic!("{text}"));
    assert!(status.trim_end().ends_with(&format!("(at {step})")), "{status}");

    let mut args = base;
    args.extend(["--format", "json", "--report", &report].map(String::from));
    let out = run(args).await.expect("json run");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
    let total = check(&doc, "nimbus-orders", "$.total");
    assert_eq!((total["status"].as_str(), total["at"].as_str()), (Some("fail"), Some(assertion.as_str())), "{total:#}");
    // A passing assertion keeps its own line too.
    let ok = check(&doc, "nimbus-orders", "$.status");
    assert_eq!(ok["at"], json!(format!("pack.toml:{}", line_of(PACK, "nimbus-orders", "{ path = \"$.status\""))));
    let health = check(&doc, "nimbus-health", "status");
    assert_eq!((health["status"].as_str(), health["at"].as_str()), (Some("fail"), Some(step.as_str())), "{health:#}");
    // `source` stays the documentation of the fact: here the pack file itself.
    assert_eq!(total["source"], "pack.toml", "{total:#}");

    let xml = std::fs::read_to_string(&xml).expect("the JUnit report");
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut failures = Vec::new();
    let mut inside = false;
    loop {
        match reader.read_event().expect("well-formed XML") {
            quick_xml::events::Event::Eof => break,
            quick_xml::events::Event::Start(e) if e.name().as_ref() == b"failure" => {
                let message = e.attributes().flatten().find(|a| a.key.as_ref() == b"message").expect("a message");
                failures.push(message.unescape_value().expect("text").into_owned());
                inside = true;
            }
            quick_xml::events::Event::Text(t) if inside => failures.push(t.decode().expect("text").into_owned()),
            quick_xml::events::Event::End(e) if e.name().as_ref() == b"failure" => inside = false,
            _ => {}
        }
    }
    let all = failures.join("\n");
    assert!(all.contains("$.total: ") && all.contains(&format!("(at {assertion})")), "{all}");
    assert!(all.contains(&format!("(at {step})")), "{all}");

    let formatted = |format: &str| {
        let mut args = ["verify", "--env", "staging", "--no-progress", "--format"].map(String::from).to_vec();
        args.push(format.into());
        run(args)
    };
    let markdown = stdout(&formatted("markdown").await.expect("markdown run"));
    assert!(
        markdown.contains(&format!("at `{assertion}`: ")) && markdown.contains(&format!("at `{step}`: ")),
        "{markdown}"
    );
    // GitHub places each annotation on its pack line: the pack is in the folder golive runs from.
    let github = stdout(&formatted("github").await.expect("github run"));
    let annotation =
        |id: &str| github.lines().find(|l| l.contains(&format!("golive%3A {id} failed"))).map(str::to_owned);
    let orders = annotation("nimbus-orders").unwrap_or_else(|| panic!("{github}"));
    assert!(orders.starts_with(&format!("::error file=pack.toml,line={},title=", &assertion[10..])), "{orders}");
    let health = annotation("nimbus-health").unwrap_or_else(|| panic!("{github}"));
    assert!(health.starts_with(&format!("::error file=pack.toml,line={},title=", &step[10..])), "{health}");
}

#[test]
fn a_failed_check_of_a_built_in_pack_names_its_line_in_probes() {
    let pack = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/probes/axys.toml")).expect("axys.toml");
    let out =
        golive(&["verify", "--env", "demo", "--scenario", "ip-not-allowlisted", "--format", "json", "--no-progress"]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
    // The 403 is judged against the step's `expect_status`, on its own line.
    let status = check(&doc, "axys-auth", "status");
    let line = line_of(&pack, "id = \"axys-auth\"", "expect_status");
    assert_eq!(status["status"], "fail", "{status:#}");
    assert_eq!(status["at"], json!(format!("probes/axys.toml:{line}")), "{status:#}");

    // A kind without steps: its failed check points at its `[[probe]]`.
    let out = golive(&["verify", "--env", "demo", "--scenario", "untrusted-ca", "--no-progress"]);
    let text = stdout(&out);
    // `[[probe]]` is the line right above the id: counted from 1, the id's index from 0.
    let probe = pack.lines().position(|l| l == "id = \"axys-cert\"").expect("axys-cert");
    assert_eq!(pack.lines().nth(probe - 1), Some("[[probe]]"));
    let failed = text
        .lines()
        .skip_while(|l| !l.contains("axys-cert"))
        .find(|l| l.trim_start().starts_with('✗'))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(failed.trim_end().ends_with(&format!("(at probes/axys.toml:{probe})")), "{failed}\n{text}");
}

/// A capture that finds nothing and a poll stopped by a failed state, each
/// on a line of its own.
const FLOW: &str = r#"[[probe]]
id = "capture"
kind = "http"
title = "Capture"
[[probe.params.steps]]
url = "${base_url}/thing"
capture = { thingId = "$.id" }

[[probe]]
id = "poll"
kind = "http"
title = "Poll"
[[probe.params.steps]]
url = "${base_url}/job"
poll = { every = "10ms", attempts = 3, until = [
  { path = "$.state", equals = "done" },
], fail_if = [
  { path = "$.state", equals = "failed" },
] }
"#;

#[tokio::test]
async fn a_missed_capture_and_a_failed_poll_state_name_their_own_lines() {
    let server = MockServer::start().await;
    Mock::given(path("/thing")).respond_with(ResponseTemplate::new(200).set_body_json(json!({}))).mount(&server).await;
    Mock::given(path("/job"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"state": "failed"})))
        .mount(&server)
        .await;
    let (capture, poll) = FLOW.split_at(FLOW.find("\n\n").expect("two probes"));
    for (probe, name, after, line) in [
        (capture, "capture", "id = \"capture\"", "capture = {"),
        (poll, "poll", "id = \"poll\"", "{ path = \"$.state\", equals = \"failed\""),
    ] {
        let r = crate::support::run_probe(crate::support::env_at(&server.uri()), probe).await;
        // `run_probe` puts a five-line `[pack]` header before the probe, in `test.toml`.
        let text = format!("[pack]\nname = \"t\"\ntitle = \"T\"\nrunbook = \"t\"\n\n{probe}");
        let failed =
            r.checks.iter().find(|c| c.status == golive::report::Status::Fail).unwrap_or_else(|| panic!("{r:#?}"));
        let expected = format!("test.toml:{}", line_of(&text, after, line));
        assert_eq!(failed.at.as_ref().map(ToString::to_string), Some(expected), "{name}: {failed:#?}");
    }
}

/// A pack that does not load because of one step names that step's line, not
/// only its probe's `params`, which may hold many steps (nothing is sent).
#[test]
fn a_step_that_does_not_load_names_its_own_line() {
    const BROKEN: &str = r#"[pack]
name = "nimbus"
title = "Nimbus"
runbook = "Nimbus go-live"

[[probe]]
id = "orders"
kind = "http"
title = "Orders"
[[probe.params.steps]]
url = "${base_url}/a"
[[probe.params.steps]]
url = "${base_url}/orders"
assert = [{ path = "$.total[", equals = 1 }]
"#;
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("pack.toml"), BROKEN).expect("write pack.toml");
    let config = "[env.staging]\npack = \"pack.toml\"\nbase_url = \"https://127.0.0.1:9\"\n";
    std::fs::write(dir.path().join("golive.toml"), config).expect("write golive.toml");
    let out = golive_in(dir.path(), &["verify", "--env", "staging", "--no-progress"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}{}", stdout(&out), stderr(&out));
    let second = line_of(BROKEN, "url = \"${base_url}/a\"", "[[probe.params.steps]]");
    let said = stderr(&out);
    assert!(said.contains(&format!("step 2. GET /orders (at pack.toml:{second}): invalid JSONPath")), "{said}");
}
