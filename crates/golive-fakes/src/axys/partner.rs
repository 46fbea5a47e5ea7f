//! The Axys fake in the list of partners: its own scenarios (the allowlist and
//! FCrDNS 403s, the launch-day allowlist loss), how it starts (its API behind
//! the mTLS front, answering the shared outages with its documented errors),
//! and its environment of the fakes' golive.toml.

use async_trait::async_trait;
use secrecy::ExposeSecret;
use serde_json::json;
use wiremock::matchers::{any, header, method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::config::{EnvAt, list, quote};
use crate::files::write_private;
use crate::partner::{Partner, Running, Start};
use crate::pki;
use crate::scenario::{Outage, PartnerScenario, own_scenarios};
use crate::variant::AxysChoices;
use crate::{Scenario, Wiremock, dns, mtls_front};

own_scenarios! {
    /// Axys's own scenarios. Axys gives the same 403 "No Authorised IPs
    /// configured" for an allowlist failure and an FCrDNS failure.
    AxysScenario for "axys" {
        IpNotAllowlisted = "ip-not-allowlisted" => "Axys answers 403 \"No Authorised IPs configured\" (IP not allowlisted, or PTR not set)",
        PtrMissing = "ptr-missing" => "The calling IPv4 has no PTR record (NXDOMAIN); Axys answers 403",
        PtrNotInCert = "ptr-not-in-cert" => "The PTR names the provider's generic host, not a certificate name; Axys answers 403",
        APointsElsewhere = "a-points-elsewhere" => "The certificate's domain has an A record elsewhere; Axys answers 403",
        Starts403Halfway = "starts-403-halfway" => "Axys answers its first 3 authenticated requests, then 403 \"No Authorised IPs configured\": a launch-day allowlist loss for `--watch` to catch",
    }
}

/// The environment playing the Axys pack.
pub const ENV: &str = "fake-axys";
/// How many authenticated requests Axys answers in `starts-403-halfway` before it turns to 403.
pub const STARTS_403_AFTER: u64 = 3;
/// The API key's file in the fakes' folder.
const API_KEY: &str = "axys_api_key";
/// The certificates' files in the fakes' folder.
const PKI: pki::Files = pki::Files {
    cert: "axys-program.crt",
    key: "axys-program.key",
    root: "axys-server-ca.pem",
    ca: "axys-program-ca.pem",
};

/// The Axys fake (card issuing), behind its mTLS front.
pub struct Axys;

/// The running Axys fake.
pub struct AxysRunning {
    /// The API (`/v2/...`) behind the front.
    pub api: Wiremock,
    /// The mTLS front clients call.
    pub front: mtls_front::Front,
}

impl Running for AxysRunning {
    fn api(&self) -> &Wiremock {
        &self.api
    }

    fn url(&self) -> String {
        format!("https://{}", self.front.addr)
    }

    fn listing(&self) -> (&'static str, String) {
        ("axys-like API (mTLS)", format!("https://{}/v2", self.front.addr))
    }
}

fn error(code: u16, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(code).set_body_json(json!({"status": "error", "code": code, "message": message}))
}

/// Mounts the Axys-like API (`/v2/...`, `X-API-Key`) answering open choices as
/// `choices` say; a shared outage answers every method, so the flow's writes break too.
async fn mount(server: &MockServer, scenario: Scenario, api_key: &str, choices: AxysChoices) {
    if let Some(outage) = scenario.outage() {
        let answer = match outage {
            Outage::KeyRejected => error(401, "Invalid API key"),
            Outage::Down => error(500, "Internal Server Error"),
            Outage::Hangs => ResponseTemplate::new(200).set_delay(std::time::Duration::from_secs(30)),
        };
        Mock::given(any()).respond_with(answer).mount(server).await;
        return;
    }
    let own = AxysScenario::of(scenario);
    let forbidden =
        matches!(own, Some(AxysScenario::PtrMissing | AxysScenario::PtrNotInCert | AxysScenario::APointsElsewhere));
    if forbidden {
        Mock::given(path_regex(r"^/v2/")).respond_with(error(403, "No Authorised IPs configured")).mount(server).await;
        return;
    }
    if own == Some(AxysScenario::Starts403Halfway) {
        // The auth test's list answers a few times, then the allowlist is lost.
        Mock::given(method("GET"))
            .and(path("/v2/cardholders"))
            .and(header("X-API-Key", api_key))
            .respond_with(ResponseTemplate::new(200).set_body_json(super::empty_list()))
            .up_to_n_times(STARTS_403_AFTER)
            .with_priority(2)
            .mount(server)
            .await;
        Mock::given(path("/v2/cardholders"))
            .and(header("X-API-Key", api_key))
            .respond_with(error(403, "No Authorised IPs configured"))
            .with_priority(3)
            .mount(server)
            .await;
    }
    super::mount_choices(server, api_key, super::Mode::Staging, choices).await;
}

#[async_trait]
impl Partner for Axys {
    fn name(&self) -> &'static str {
        "axys"
    }

    fn pack(&self) -> &'static str {
        "axys"
    }

    fn env(&self) -> &'static str {
        ENV
    }

    fn scheme(&self) -> &'static str {
        "https"
    }

    fn scenarios(&self) -> &'static [PartnerScenario] {
        AxysScenario::ALL
    }

    fn files(&self) -> &'static [&'static str] {
        &[API_KEY, PKI.cert, PKI.key, PKI.root, PKI.ca]
    }

    fn calling_ipv4(&self, scenario: Scenario) -> dns::CallingIpv4 {
        match AxysScenario::of(scenario) {
            Some(AxysScenario::PtrMissing) => dns::CallingIpv4::NoPtr,
            Some(AxysScenario::PtrNotInCert) => dns::CallingIpv4::PtrToProvider,
            Some(AxysScenario::APointsElsewhere) => dns::CallingIpv4::AElsewhere,
            Some(AxysScenario::IpNotAllowlisted | AxysScenario::Starts403Halfway) | None => dns::CallingIpv4::Healthy,
        }
    }

    async fn start(&self, at: Start<'_>) -> Result<Box<dyn Running>, String> {
        let key = crate::random_token("demo_axys_")?;
        write_private(&at.dir.join(API_KEY), key.expose_secret().as_bytes())?;
        let api = Wiremock::start().await;
        mount(&api, at.scenario, key.expose_secret(), at.choices.axys).await;
        let allowlisted = AxysScenario::of(at.scenario) != Some(AxysScenario::IpNotAllowlisted);
        let front = pki::start_mtls_front(at.scenario, &at.upstream(&api), at.dir, &PKI, allowlisted).await?;
        Ok(Box::new(AxysRunning { api, front }))
    }

    fn env_toml(&self, at: &EnvAt<'_>) -> String {
        let mut out = format!("base_url = {}\n", quote(&format!("{}/v2", at.url)));
        out.push_str(&format!("api_key = {}\n", at.secret(API_KEY)));
        if at.scenario != Scenario::NoClientCert {
            out.push_str(&format!("client_cert = {}\nclient_key = {}\n", at.path(PKI.cert), at.path(PKI.key)));
        }
        out.push_str(&format!("server_ca = {}\nclient_chain = {}\n", at.path(PKI.root), at.path(PKI.ca)));
        out.push_str(&format!("calling_ips = {}\n", list([dns::DEMO_IPV4, dns::DEMO_IPV6].map(|ip| ip.to_string()))));
        out.push_str(&format!("nameservers = {}\n", list([at.dns.to_string()])));
        // The fakes' state (secret history, resumed flows) stays in their folder.
        out.push_str(&format!("state_file = {}\n", at.path("state.json")));
        // The fakes play the partners' staging environments, with every optional
        // program feature the Axys pack knows, so the demo runs them all.
        out.push_str(&format!(
            "features = {}\n",
            list(["physical-card", "bank-deposit", "wallets", "3ds"].map(String::from))
        ));
        out.push_str("stage = \"staging\"\n");
        // The demo needs no git, so it names no repository.
        out.push_str(&at.exposure(Vec::new()));
        out
    }
}
