//! What a probe needs before it may run, checked when the plan is made ready
//! (`Plan::preflight`), so a gate fails closed with exit 2 and nothing sent:
//!
//! - [`missing`]: the environment values each probe kind cannot run without
//!   (each kind says which: [`kinds::Kind::needs`]).
//!   A selected probe whose inputs are missing is a configuration error, not an
//!   `error` at run time that a CI job would take for a network blink and retry.
//!   Values a pack interpolates (`${account_id}`) are checked by interpolation
//!   itself; this covers what a kind reads from the environment directly.
//! - [`secrets_sent`]: where a probe sends a secret (an API key, the temporal
//!   key and account secret of the exchange, the webhook signing secret and
//!   Basic password; each kind says: [`kinds::Kind::sends`]). [`insecure`] keeps those aimed at plain `http://` on a
//!   host other than loopback, which an environment allows only with
//!   `allow_insecure_http = true`.

use super::kinds;
use crate::config::{Environment, Pack};
use crate::spec::ProbeKind;

/// One environment key a probe needs and the environment does not set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    /// The key of `[env.NAME]`.
    pub key: String,
    /// What the probe does with it.
    pub why: &'static str,
}

/// The keys `kind` needs, with (uninterpolated) parameters `params`, that `env` lacks:
/// what the kind says it needs ([`kinds::Kind::needs`]) and `env` does not set. A
/// part of a key (`webhook.scheme`) is not named when the whole (`webhook`) is missing.
pub fn missing(kind: ProbeKind, params: &toml::Table, env: &Environment, pack: &Pack) -> Vec<Missing> {
    let needs = kinds::of(kind).needs(&kinds::Query { params, env, pack });
    let unset = |key: &str| needs.iter().any(|n| n.key == key && !n.set);
    needs
        .iter()
        .filter(|n| !n.set && !n.key.split_once('.').is_some_and(|(whole, _)| unset(whole)))
        .map(|n| Missing { key: n.key.clone(), why: n.why })
        .collect()
}

/// One secret a probe sends, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The environment key of the secret, e.g. `api_key`.
    pub secret: String,
    /// The URL it is sent to (captured values shown as `${name}`).
    pub url: reqwest::Url,
}

/// Where a probe of `kind` with (uninterpolated) `params` sends secrets of
/// `env`, as the kind says ([`kinds::Kind::sends`]). URLs are interpolated with the
/// environment's values; a value only a run captures cannot change the scheme
/// or host of a pack's URLs, so it is kept as its placeholder.
pub fn secrets_sent(kind: ProbeKind, params: &toml::Table, env: &Environment, pack: &Pack) -> Vec<Sent> {
    kinds::of(kind).sends(&kinds::Query { params, env, pack })
}

/// Whether a secret sent to `url` travels in clear text to another machine:
/// plain `http://` to a host that is not loopback. Only a literal loopback
/// address (127.0.0.0/8, `::1`) or exactly `localhost`, which golive's HTTP
/// client resolves itself to loopback (`crate::net::LOOPBACK_NAME`), is this
/// machine: `localhost.` or `api.localhost` go through DNS, whose answer
/// anyone on the path may forge.
pub fn plain_http_off_host(url: &reqwest::Url) -> bool {
    if url.scheme() != "http" {
        return false;
    }
    let host = url.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
    let loopback = match host.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.to_canonical().is_loopback(),
        // The URL parser lower-cases names; `localhost.` keeps its dot.
        Err(_) => host == crate::net::LOOPBACK_NAME,
    };
    !loopback
}

/// The secrets of `sent` that would travel in clear text, unless the
/// environment allows it with `allow_insecure_http = true`.
pub fn insecure(sent: Vec<Sent>, env: &Environment) -> Vec<Sent> {
    if env.allow_insecure_http {
        return Vec::new();
    }
    sent.into_iter().filter(|s| plain_http_off_host(&s.url)).collect()
}

/// The configuration error for secrets that would be sent in clear text, if
/// any: each with who sends it (``probe `pai-api-key` ``, `the key exchange`).
pub fn insecure_error(env_name: &str, sends: &[(String, Sent)]) -> Option<crate::config::ConfigError> {
    let ((who, first), rest) = sends.split_first()?;
    let mut err = crate::config::ConfigError::usage(format!(
        "{who} would send `{}` over plain http:// to {}, which is not this machine: anyone on the way can read it",
        first.secret,
        origin(&first.url)
    ));
    for (who, s) in rest.iter().take(5) {
        err = err.help(format!("{who} would also send `{}` to {}", s.secret, origin(&s.url)));
    }
    Some(err.help("nothing was sent").help(format!(
        "use the https:// URL in [env.{env_name}] of golive.toml; only for a test server you trust on a private \
network, set `allow_insecure_http = true` there"
    )))
}

/// `http://host:port` of a URL, the part that decides where a secret goes.
fn origin(url: &reqwest::Url) -> String {
    url.origin().ascii_serialization()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::PathBuf;

    use super::*;
    use crate::config::{Input, Secret, SecretRef, Webhook, WebhookAuth};

    /// What each kind needs of an empty environment and which secrets it
    /// sends, written out per kind: a kind of the list that is not written
    /// here fails the test until it says both.
    fn declared(kind: ProbeKind, pack: &Pack) -> (BTreeSet<String>, BTreeSet<String>) {
        let set = |keys: &[&str]| keys.iter().map(|k| k.to_string()).collect::<BTreeSet<_>>();
        let x = &pack.key_exchange.as_ref().expect("the pack has a key exchange").inputs;
        match kind.name() {
            "cert" => (set(&["client_cert", "client_key"]), set(&[])),
            "http" => (set(&["api_key"]), set(&["api_key"])),
            "tls" => (set(&[]), set(&[])),
            "mtls" => (set(&["client_cert", "client_key", "api_key"]), set(&["api_key"])),
            "apikey" => (set(&["api_key"]), set(&["api_key"])),
            "apikey-exchange" => (
                set(&[&x.account, &x.temporal_key, &x.secret, &x.key_file]),
                set(&[&x.temporal_key, &x.secret, "the permanent key the exchange returns"]),
            ),
            "webhook" => (set(&["webhook"]), set(&["webhook.secret", "webhook.auth.basic.password"])),
            "fcrdns" => (set(&["calling_ips", "client_cert"]), set(&[])),
            "environment" => (set(&[]), set(&[])),
            "exposure" => (set(&[]), set(&[])),
            other => panic!("kind `{other}`: write here what it needs and which secrets it sends"),
        }
    }

    fn secret(var: &str) -> Secret {
        Secret { value: secrecy::SecretString::from("canary".to_string()), source: SecretRef::Env(var.into()) }
    }

    /// An environment that sets everything, every URL plain http:// to another machine.
    fn full(pack: &Pack) -> Environment {
        let x = &pack.key_exchange.as_ref().expect("the pack has a key exchange").inputs;
        Environment {
            name: "staging".into(),
            base_url: Some(url("http://192.0.2.1")),
            api_key: Some(secret("API_KEY")),
            client_cert: Some(PathBuf::from("program.crt")),
            client_key: Some(PathBuf::from("program.key")),
            calling_ips: vec!["192.0.2.10".parse().unwrap()],
            inputs: vec![
                (x.account.clone(), Input::Text("acct".into())),
                (x.temporal_key.clone(), Input::Secret(secret("TEMPORAL"))),
                (x.secret.clone(), Input::Secret(secret("SECRET"))),
                (x.key_file.clone(), Input::Path(PathBuf::from("key"))),
            ],
            webhook: Some(Webhook {
                url: url("http://198.51.100.7/hooks"),
                scheme: Some(crate::config::scheme::from_name("standard-webhooks").unwrap()),
                secret: secret("WEBHOOK_SECRET"),
            }),
            webhook_auth: Some(WebhookAuth::Basic { user: "golive".into(), password: secret("BASIC") }),
            ..Environment::default()
        }
    }

    /// Every kind, in the list of kinds, declares what it needs and the
    /// secrets it sends, and the preflight acts on both: with nothing set it
    /// names exactly the declared keys; with everything set nothing is
    /// missing; aimed at plain http:// off this machine, exactly the declared
    /// secrets are refused.
    #[test]
    fn every_kind_declares_its_needs_and_the_secrets_it_sends() {
        let pack = crate::config::pack::load("paymentsai", None).expect("built-in pack");
        assert!(pack.auth.is_some());
        let full = full(&pack);
        let empty = Environment { name: "staging".into(), ..Environment::default() };
        let params: toml::Table = toml::from_str("url = \"${base_url}/v1/x\"").unwrap();
        let mut senders = 0;
        for kind in ProbeKind::all() {
            let (needs, sends) = declared(kind, &pack);
            let names = |m: Vec<Missing>| m.into_iter().map(|m| m.key).collect::<BTreeSet<_>>();
            assert_eq!(names(missing(kind, &params, &empty, &pack)), needs, "{}: needs", kind.name());
            assert_eq!(names(missing(kind, &params, &full, &pack)), BTreeSet::new(), "{}: all set", kind.name());
            let sent = secrets_sent(kind, &params, &full, &pack);
            let secrets: BTreeSet<String> = sent.iter().map(|s| s.secret.clone()).collect();
            assert_eq!(secrets, sends, "{}: secrets sent", kind.name());
            assert_eq!(insecure(sent, &full).len(), sends.len(), "{}: refused over plain http", kind.name());
            senders += usize::from(!sends.is_empty());
        }
        assert_eq!(senders, 5, "http, mtls, apikey, apikey-exchange and webhook send secrets");
    }

    fn url(text: &str) -> reqwest::Url {
        reqwest::Url::parse(text).unwrap()
    }

    #[test]
    fn only_plain_http_to_another_machine_is_insecure() {
        for off in ["http://192.0.2.1/", "http://api.example.com/v1", "http://[2001:db8::1]:8080/"] {
            assert!(plain_http_off_host(&url(off)), "{off}");
        }
        for fine in [
            "https://192.0.2.1/",
            "http://127.0.0.1:8080/",
            "http://127.1.2.3/",
            "http://[::1]:9/",
            "http://localhost:3000/x",
            "http://LOCALHOST:3000/x",
            "http://[::ffff:127.0.0.1]/",
        ] {
            assert!(!plain_http_off_host(&url(fine)), "{fine}");
        }
        // Names a resolver answers for: DNS, not this machine.
        for dns in
            ["http://localhost./", "http://api.localhost/", "http://localhost.example.com/", "http://127.0.0.1.nip.io/"]
        {
            assert!(plain_http_off_host(&url(dns)), "{dns}");
        }
    }
}
