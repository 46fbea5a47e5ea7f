//! Canary secrets: set distinctive secret values, make a server echo them
//! back, and search every renderer's output, report files and stderr for them.

use wiremock::matchers::path;
use wiremock::{Mock, ResponseTemplate};

use crate::support::golive_in;

const API_KEY: &str = "CANARY-api-key-7f3a9c";
const TEMPORAL: &str = "CANARY-temporal-41d2";
const WEBHOOK: &str = "CANARY-webhook-secret-88e1";

#[tokio::test]
async fn canary_secrets_appear_in_no_output() {
    let server = golive_fakes::Wiremock::start().await;
    // A careless partner error that echoes the key back.
    Mock::given(path("/v2/cardholders"))
        .respond_with(
            ResponseTemplate::new(401).set_body_string(format!("{{\"message\":\"Invalid API key {API_KEY}\"}}")),
        )
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("webhook.secret"), WEBHOOK).expect("write secret");
    std::fs::write(
        dir.path().join("pack.toml"),
        "[pack]\nname = \"canary\"\ntitle = \"Canary\"\nrunbook = \"canary\"\n[auth]\nheader = \"X-API-Key\"\n\
         [inputs.temporal_api_key]\nabout = \"a secret input\"\nsecret = true\n\
         [[probe]]\nid = \"auth\"\nkind = \"http\"\ntitle = \"Auth\"\n[probe.params]\nurl = \"${base_url}/cardholders\"\n",
    )
    .expect("write pack");
    std::fs::write(
        dir.path().join("golive.toml"),
        format!(
            "[env.staging]\npack = \"pack.toml\"\nbase_url = \"{}/v2\"\napi_key = {{ env = \"CANARY_API_KEY\" }}\n\
             temporal_api_key = {{ env = \"CANARY_TEMPORAL\" }}\n\
             webhook = {{ url = \"{}/hooks\", scheme = \"paymentsai\", secret = {{ file = \"webhook.secret\" }} }}\n",
            server.uri(),
            server.uri()
        ),
    )
    .expect("write config");
    let envs = [("CANARY_API_KEY", API_KEY), ("CANARY_TEMPORAL", TEMPORAL)];
    for format in ["human", "json", "junit", "markdown"] {
        let out = golive_in(
            dir.path(),
            &[
                "verify",
                "--env",
                "staging",
                "--format",
                format,
                "--report",
                "json=r.json",
                "--report",
                "junit=r.xml",
                "--report",
                "markdown=r.md",
                "--report",
                "human=r.txt",
            ],
            &envs,
        );
        assert_eq!(out.status.code(), Some(1), "the 401 fails the auth probe");
        let mut all = String::from_utf8_lossy(&out.stdout).into_owned();
        all.push_str(&String::from_utf8_lossy(&out.stderr));
        for file in ["r.json", "r.xml", "r.md", "r.txt"] {
            all.push_str(&std::fs::read_to_string(dir.path().join(file)).expect("report written"));
        }
        assert!(all.contains("Invalid API key ***"), "the echo is masked, not dropped:\n{all}");
        for canary in [API_KEY, TEMPORAL, WEBHOOK, "CANARY"] {
            assert_eq!(all.matches(canary).count(), 0, "{canary} leaked in {format}:\n{all}");
        }
    }
}
