//! Network clients shared by the probes of one run: built once per target,
//! reused by every probe, so connections and TLS sessions are pooled, and
//! connections to one origin are set up one at a time ([`gate`]).

pub mod dns;
pub mod gate;
pub mod handshake;
pub mod tls;
pub mod verifier;

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderName, HeaderValue};
use tokio::sync::OnceCell;

use crate::config::Environment;
use crate::spec::ErrorClass;

/// Bodies larger than this are cut when read: reads are always bounded.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The clients of one target (environment + pack), built lazily and once.
pub struct Clients {
    env: Arc<Environment>,
    http: OnceCell<Result<reqwest::Client, String>>,
    dns: OnceCell<Result<dns::Resolver, String>>,
}

impl Clients {
    /// Clients for an environment; nothing is built until first use.
    pub fn new(env: Arc<Environment>) -> Self {
        Clients { env, http: OnceCell::new(), dns: OnceCell::new() }
    }

    /// The HTTP client: the environment's roots and client identity, no
    /// redirects (a redirect is an answer to report, not to follow), no proxy.
    pub async fn http(&self) -> Result<&reqwest::Client, String> {
        let result = self
            .http
            .get_or_init(|| async {
                // Built in this task, not on the blocking pool: a new thread
                // and the hand-over back cost more than the build (bounded
                // reads of regular files, no network), and every probe of
                // the target waits for the client anyway.
                let built = build_http(&self.env);
                match &built {
                    Ok(_) => tracing::debug!(
                        env = %self.env.name,
                        pack = %self.env.pack,
                        server_ca = self.env.server_roots().is_some(),
                        client_cert = self.env.client_cert.is_some(),
                        "HTTP client built"
                    ),
                    Err(e) => tracing::debug!(env = %self.env.name, error = %e, "HTTP client not built"),
                }
                built
            })
            .await;
        result.as_ref().map_err(Clone::clone)
    }

    /// Starts building the HTTP client on the runtime, while the plan is
    /// still being made, so the first probe finds it ready instead of
    /// building it while the target's other probes wait. The build reads
    /// files and sends nothing; a failure is kept for the probes to report,
    /// as when they build it. Outside a runtime, nothing happens.
    pub fn prepare_http(self: &Arc<Self>) {
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let clients = Arc::clone(self);
            runtime.spawn(async move {
                let _ = clients.http().await;
            });
        }
    }

    /// The DNS resolver: the environment's nameservers, or the system's.
    pub async fn dns(&self) -> Result<&dns::Resolver, String> {
        let result = self
            .dns
            .get_or_init(|| async {
                tracing::debug!(env = %self.env.name, nameservers = ?self.env.nameservers, "DNS resolver built");
                dns::Resolver::for_env(&self.env)
            })
            .await;
        result.as_ref().map_err(Clone::clone)
    }
}

/// The one host name golive treats as this machine: its HTTP client resolves
/// it to 127.0.0.1 and ::1 itself, never through /etc/hosts or DNS, so the
/// plain-http guard (`probe::inputs::plain_http_off_host`) may let a secret go
/// to it. `localhost.` (with the root dot) and `*.localhost` are not it.
pub const LOOPBACK_NAME: &str = "localhost";

fn build_http(env: &Environment) -> Result<reqwest::Client, String> {
    let tls = tls::client_config(env, true)?;
    let loopback = [
        std::net::SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, 0)),
        std::net::SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, 0)),
    ];
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        // The port of an overridden address is ignored: the URL's port is used.
        .resolve_to_addrs(LOOPBACK_NAME, &loopback)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .connect_timeout(Duration::from_secs(10))
        // The wait for the origin's turn counts towards the connect timeout.
        .connector_layer(gate::OneSetUpAtATime::new(gate::GRACE))
        .user_agent(concat!("golive/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("building the HTTP client failed: {e}"))
}

/// The key of `[env.NAME]` a URL comes from, for a fix to name: `website_url`
/// for the merchant's site, `webhook.url`, `base_url`, else `the pack's URL` (one written whole in the pack). The
/// longest configured URL the request's URL starts with wins.
pub fn config_key_of(env: &Environment, url: &reqwest::Url) -> &'static str {
    let mut keys: Vec<(&'static str, &reqwest::Url)> = Vec::new();
    keys.extend(env.base_url.iter().map(|u| ("base_url", u)));
    keys.extend(env.website_url.iter().map(|u| ("website_url", u)));
    keys.extend(env.webhook.iter().map(|w| ("webhook.url", &w.url)));
    keys.into_iter()
        .filter(|(_, u)| u.origin() == url.origin() && url.path().starts_with(u.path().trim_end_matches('/')))
        .max_by_key(|(_, u)| u.path().trim_end_matches('/').len())
        .map_or("the pack's URL", |(k, _)| k)
}

/// Reads a response body up to [`MAX_BODY_BYTES`]; says whether it was cut.
pub async fn read_body(mut response: reqwest::Response) -> Result<(Vec<u8>, bool), reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = MAX_BODY_BYTES - body.len();
        if chunk.len() > room {
            tracing::debug!(limit = MAX_BODY_BYTES, "response body cut at the read bound");
            body.extend_from_slice(&chunk[..room]);
            return Ok((body, true));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, false))
}

/// A URL as logs may show it: no user info, no query, no fragment (they can carry tokens).
pub fn loggable(url: &reqwest::Url) -> String {
    format!(
        "{}://{}{}",
        url.scheme(),
        url.host_str().unwrap_or_default(),
        url.port().map(|p| format!(":{p}")).unwrap_or_default()
    ) + url.path()
}

/// Logs one request golive made (shown by `-v`): method, URL (as
/// [`loggable`] shows it: no user info, query or fragment), the status or why
/// there was none, and the time it took. Never a header or a body, so never a
/// secret.
pub fn log_request(method: &str, url: &str, outcome: Result<u16, &str>, elapsed: Duration) {
    let url = match reqwest::Url::parse(url) {
        Ok(u) => loggable(&u),
        Err(_) => url.split(['?', '#']).next().unwrap_or_default().to_string(),
    };
    let ms = elapsed.as_millis();
    match outcome {
        Ok(status) => tracing::debug!(target: "golive::request", "{method} {url} → {status} in {ms} ms"),
        Err(why) => tracing::debug!(target: "golive::request", "{method} {url} → no answer after {ms} ms: {why}"),
    }
}

/// Headers as records may show them: sensitive values (marked so, or
/// credentials by name) replaced by [`crate::redact::MASK`].
pub fn masked_headers<'h>(
    headers: impl IntoIterator<Item = (&'h HeaderName, &'h HeaderValue)>,
) -> Vec<(String, String)> {
    const CREDENTIALS: &[&str] = &["authorization", "x-api-key", "cookie", "set-cookie", "proxy-authorization"];
    headers
        .into_iter()
        .map(|(name, value)| {
            let shown = if value.is_sensitive() || CREDENTIALS.contains(&name.as_str()) {
                crate::redact::MASK.to_string()
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            (name.as_str().to_string(), shown)
        })
        .collect()
}

/// A stable class for an HTTP client error, for diagnoses and reports.
pub fn error_class(e: &reqwest::Error) -> ErrorClass {
    if e.is_timeout() {
        ErrorClass::Timeout
    } else if e.is_connect() {
        if io_kind(e) == Some(std::io::ErrorKind::ConnectionRefused) {
            ErrorClass::ConnectionRefused
        } else {
            ErrorClass::Connect
        }
    } else if e.is_body() || e.is_decode() {
        ErrorClass::Body
    } else if e.is_request() {
        ErrorClass::Request
    } else {
        ErrorClass::Http
    }
}

/// The kind of the first I/O error among an error's causes (`source()` chain,
/// looking inside I/O errors that wrap another error).
pub fn io_kind(e: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
    let mut next = Some(e);
    while let Some(err) = next {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            // An I/O error that wraps another (hyper's, rustls') may hide a
            // more precise I/O error inside it.
            let inner = io.get_ref().and_then(|i| io_kind(i));
            return Some(inner.unwrap_or(io.kind()));
        }
        next = err.source();
    }
    None
}

/// An HTTP client error as one short line that says what happened, e.g.
/// "cannot connect: Connection refused" or "no answer before the deadline".
pub fn describe(e: &reqwest::Error) -> String {
    if let Some(tls) = handshake::find_rustls(e) {
        return format!("the TLS handshake failed: {}", verifier::rustls_error(tls));
    }
    let chain = causes(e);
    let innermost = chain.last().cloned().unwrap_or_default();
    if e.is_timeout() {
        "no answer before the deadline".to_string()
    } else if e.is_connect() {
        format!("cannot connect: {innermost}")
    } else {
        // Drop reqwest's generic wrappers; keep what names the cause.
        let useful: Vec<String> = chain
            .into_iter()
            .filter(|c| !c.starts_with("error sending request") && !c.starts_with("client error"))
            .collect();
        if useful.is_empty() { innermost } else { useful.join(": ") }
    }
}

/// The texts of an error and its sources, without repeats or OS error numbers.
pub fn causes(e: &(dyn std::error::Error + 'static)) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = next {
        let text = err.to_string();
        let text = match text.find(" (os error ") {
            Some(i) => text[..i].to_string(),
            None => text,
        };
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = err.source();
    }
    parts
}
