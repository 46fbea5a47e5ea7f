//! Peer benchmark (issue 19): golive against Hurl and against the runbook's
//! shell command (curl, with jq for the assertions) on N = 1, 20 and 100
//! identical mTLS GETs, each with four JSON assertions.
//!
//! Run: `cargo bench --bench peers` (also part of `cargo bench`). Not a test:
//! it prints a table and fails only when a tool does not pass its checks.
//!
//! The server is in this process: tokio-rustls on 127.0.0.1 that requires a
//! client certificate signed by a bench CA (rcgen certificates: an RSA-2048
//! client key as Axys issues, an ECDSA P-256 server key), answering
//! `GET /v2/cardholders` with the body the Axys runbook expects,
//! `{"status":"success","items":[],"total":0,"limit":50,"offset":0}`.
//! The four assertions: status is "success", total is 0, limit is 50, offset is 0.
//!
//! - golive: one pack of N `http` probes, `golive verify --jobs 16`.
//! - Hurl: N files of one request each, `hurl --test --jobs 16`; skipped with
//!   the way to install it when `hurl` is not on PATH.
//! - shell: the runbook's `curl --cert --key -H X-API-Key` piped to `jq -e`,
//!   N of them, 16 at a time (`xargs -P 16`); skipped when curl or jq is missing.
//!
//! Each cell is the median wall time of RUNS runs, the tools taking turns.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use golive::fake::certs::{Authority, Identity, LeafSpec};
use golive::net::tls::provider;
use http_body_util::Full;
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use tokio_rustls::TlsAcceptor;

const RUNS: usize = 7;
const SIZES: [usize; 3] = [1, 20, 100];
const JOBS: usize = 16;
const BODY: &str = r#"{"status":"success","items":[],"total":0,"limit":50,"offset":0}"#;
const API_KEY: &str = "bench-not-a-secret";

type Result<T> = std::result::Result<T, String>;

fn main() {
    if let Err(e) = run() {
        eprintln!("peers: {e}");
        std::process::exit(1);
    }
}

fn on_path(tool: &str) -> bool {
    Command::new(tool).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

fn run() -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let ca = Authority::new("bench CA")?;
    let server = ca.leaf(&LeafSpec::server(&["localhost", "127.0.0.1"]))?;
    let client = ca.leaf(&LeafSpec::client("bench-client", &["bench.example"]))?;
    write(dir.path(), "ca.pem", &ca.cert_pem())?;
    write(dir.path(), "client.crt", &client.cert_pem)?;
    write(dir.path(), "client.key", &client.key_pem)?;
    let acceptor = TlsAcceptor::from(Arc::new(server_config(&server, &ca.cert_pem())?));
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).map_err(|e| e.to_string())?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    rt.spawn(serve(listener, acceptor));
    let url = format!("https://127.0.0.1:{port}/v2/cardholders");

    let golive = env!("CARGO_BIN_EXE_golive");
    let hurl = on_path("hurl");
    let shell = on_path("curl") && on_path("jq");
    println!("| N | golive ms | Hurl ms | golive/Hurl | shell (curl + jq) ms | golive/shell |");
    println!("|---|---|---|---|---|---|");
    for n in SIZES {
        let case = dir.path().join(format!("n{n}"));
        std::fs::create_dir_all(&case).map_err(|e| e.to_string())?;
        golive_files(&case, dir.path(), port, n)?;
        hurl_files(&case, dir.path(), &url, n)?;
        let (mut g, mut h, mut s) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..RUNS {
            g.push(timed(
                Command::new(golive)
                    .args(["verify", "--env", "bench", "--no-progress", "--jobs", &JOBS.to_string(), "--config"])
                    .arg(case.join("golive.toml"))
                    .env("BENCH_API_KEY", API_KEY)
                    .env("NO_COLOR", "1"),
                "golive",
            )?);
            if hurl {
                let mut cmd = Command::new("hurl");
                cmd.args(["--test", "--jobs", &JOBS.to_string(), "--no-color"])
                    .arg("--cacert")
                    .arg(dir.path().join("ca.pem"))
                    .arg("--cert")
                    .arg(dir.path().join("client.crt"))
                    .arg("--key")
                    .arg(dir.path().join("client.key"))
                    .arg("--variable")
                    .arg(format!("api_key={API_KEY}"));
                for i in 0..n {
                    cmd.arg(case.join(format!("get{i}.hurl")));
                }
                h.push(timed(&mut cmd, "hurl")?);
            }
            if shell {
                s.push(timed(
                    Command::new("sh").arg("-c").arg(shell_script(dir.path(), &url, n)).env("BENCH_API_KEY", API_KEY),
                    "shell",
                )?);
            }
        }
        let g = median(g);
        let cell = |v: Vec<f64>, why: &str| {
            if v.is_empty() {
                (why.to_string(), "-".to_string())
            } else {
                let m = median(v);
                (format!("{m:.1}"), format!("{:.2}×", g / m))
            }
        };
        let (h, hr) = cell(h, "not installed");
        let (s, sr) = cell(s, "curl or jq missing");
        println!("| {n} | {g:.1} | {h} | {hr} | {s} | {sr} |");
    }
    if !hurl {
        println!(
            "\nHurl is not installed: its column is skipped. Install it from https://hurl.dev \
             (a .deb or binary from its GitHub releases, `brew install hurl`, or `cargo install hurl --locked`), then rerun."
        );
    }
    Ok(())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn write(dir: &Path, name: &str, text: &str) -> Result<PathBuf> {
    let path = dir.join(name);
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

/// Runs a command to completion; its wall time in ms. A failure is an error:
/// every tool must pass every check for its time to count.
fn timed(cmd: &mut Command, what: &str) -> Result<f64> {
    let started = Instant::now();
    let out = cmd.stdin(Stdio::null()).output().map_err(|e| format!("{what}: {e}"))?;
    let ms = started.elapsed().as_secs_f64() * 1e3;
    if !out.status.success() {
        return Err(format!(
            "{what} failed ({:?}):\n{}\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(ms)
}

fn golive_files(case: &Path, certs: &Path, port: u16, n: usize) -> Result<()> {
    let mut pack = String::from(
        "[pack]\nname = \"bench\"\ntitle = \"Peer bench\"\nrunbook = \"bench\"\n\n[auth]\nheader = \"X-API-Key\"\n",
    );
    for i in 0..n {
        pack.push_str(&format!(
            "\n[[probe]]\nid = \"get{i}\"\nkind = \"http\"\ntitle = \"GET /cardholders #{i}\"\n[probe.params]\n\
             method = \"GET\"\nurl = \"${{base_url}}/cardholders\"\nexpect_status = 200\nassert = [\n  \
             {{ path = \"$.status\", equals = \"success\" }},\n  {{ path = \"$.total\", equals = 0 }},\n  \
             {{ path = \"$.limit\", equals = 50 }},\n  {{ path = \"$.offset\", equals = 0 }},\n]\n"
        ));
    }
    write(case, "pack.toml", &pack)?;
    let c = certs.display();
    write(
        case,
        "golive.toml",
        &format!(
            "[env.bench]\npack = \"pack.toml\"\nbase_url = \"https://127.0.0.1:{port}/v2\"\n\
             api_key = {{ env = \"BENCH_API_KEY\" }}\nclient_cert = \"{c}/client.crt\"\n\
             client_key = \"{c}/client.key\"\nca_bundle = \"{c}/ca.pem\"\nstage = \"staging\"\n"
        ),
    )?;
    Ok(())
}

fn hurl_files(case: &Path, _certs: &Path, url: &str, n: usize) -> Result<()> {
    let text = format!(
        "GET {url}\nX-API-Key: {{{{api_key}}}}\nHTTP 200\n[Asserts]\njsonpath \"$.status\" == \"success\"\n\
         jsonpath \"$.total\" == 0\njsonpath \"$.limit\" == 50\njsonpath \"$.offset\" == 0\n"
    );
    for i in 0..n {
        write(case, &format!("get{i}.hurl"), &text)?;
    }
    Ok(())
}

/// The runbook's auth test (`curl --cert program.crt --key program.key -H
/// "X-API-Key: ..." .../cardholders`) with the CA of the bench and jq checking
/// the same four values; N of them, JOBS at a time; fails if any fails.
fn shell_script(certs: &Path, url: &str, n: usize) -> String {
    let c = certs.display();
    format!(
        "seq {n} | xargs -P {JOBS} -I{{}} sh -c 'curl -sS --fail --cacert {c}/ca.pem --cert {c}/client.crt \
         --key {c}/client.key -H \"X-API-Key: $BENCH_API_KEY\" {url} | jq -e \
         \".status == \\\"success\\\" and .total == 0 and .limit == 50 and .offset == 0\" >/dev/null'"
    )
}

fn server_config(server: &Identity, ca_pem: &str) -> Result<rustls::ServerConfig> {
    let certs = CertificateDer::pem_slice_iter(server.cert_pem.as_bytes())
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let key = PrivateKeyDer::from_pem_slice(server.key_pem.as_bytes()).map_err(|e| e.to_string())?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert.map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
    }
    let verifier =
        WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider()).build().map_err(|e| e.to_string())?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_client_cert_verifier(verifier)
        .with_single_cert(certs, key)
        .map_err(|e| e.to_string())?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

async fn serve(listener: tokio::net::TcpListener, acceptor: TlsAcceptor) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else { continue };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let Ok(tls) = acceptor.accept(tcp).await else { return };
            let service = hyper::service::service_fn(|req: hyper::Request<hyper::body::Incoming>| async move {
                let (status, body) = if req.uri().path() == "/v2/cardholders"
                    && req.headers().get("x-api-key").is_some_and(|v| v == API_KEY)
                {
                    (200, BODY)
                } else {
                    (401, r#"{"status":"error"}"#)
                };
                let mut response = hyper::Response::new(Full::new(Bytes::from_static(body.as_bytes())));
                *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::OK);
                response
                    .headers_mut()
                    .insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("application/json"));
                Ok::<_, std::convert::Infallible>(response)
            });
            let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(tls), service).await;
        });
    }
}
