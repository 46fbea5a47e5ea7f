//! The partner of the key-exchange fault tests, over real TLS (rcgen
//! certificates, tokio-rustls) and speaking HTTP/1.1 by hand, so each test
//! controls every byte and every pause: the TLS handshake, the answer's head,
//! each part of its body. Also: the folder and configuration of a run, the
//! golive process with what it says as it says it, and the suite's invariant.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Semaphore;

pub const ACCOUNT: &str = "acc_fault_1";
pub const ORGANIZATION: &str = "6f326525-1586-479b-8176-55ba802caea4";
pub const TEMPORAL: &str = "CANARY-temporal-f4u1t";
pub const SECRET: &str = "CANARY-Secret-Fault-9";
/// The permanent key the partner hands out, and its id.
pub const KEY: &str = "CANARY_pk_fault_5e1f0a77";
pub const KEY_ID: &str = "kid_77f3";

/// How the partner answers the exchange.
#[derive(Clone)]
pub enum Answer {
    /// A 200 with this body, at once.
    Body(Vec<u8>),
    /// A 200 announcing `first` + `rest`; `first` is sent, then the partner
    /// waits for [`Partner::release`] before sending `rest`.
    Stall { first: Vec<u8>, rest: Vec<u8> },
    /// A 200 whose body is `prefix` and then `len` bytes of padding, chunked.
    Huge { prefix: Vec<u8>, len: usize },
}

/// The documented answer's fields, as the pack reads them.
pub fn key_json() -> Vec<u8> {
    format!(r#"{{"apiKey":"{KEY}","apiKeyId":"{KEY_ID}"}}"#).into_bytes()
}

/// A partner over TLS on 127.0.0.1.
pub struct Partner {
    pub addr: std::net::SocketAddr,
    pub ca_pem: String,
    patches: Arc<AtomicUsize>,
    accepted: Arc<AtomicUsize>,
    gate: Arc<Semaphore>,
    _task: tokio::task::JoinHandle<()>,
}

/// What the partner does besides answering.
#[derive(Clone, Default)]
pub struct Behaviour {
    /// Hold every TLS handshake until released.
    pub gate_handshake: bool,
    /// Run this (blocking) when a PATCH arrives, before answering.
    pub on_patch: Option<Arc<dyn Fn() + Send + Sync>>,
}

impl Partner {
    pub async fn start(answer: Answer, behaviour: Behaviour) -> Partner {
        let ca = golive_fakes::certs::Authority::new("fault partner CA").expect("CA");
        let id = ca.leaf(&golive_fakes::certs::LeafSpec::server(&["127.0.0.1"])).expect("server cert");
        use rustls::pki_types::pem::PemObject;
        let certs = rustls::pki_types::CertificateDer::pem_slice_iter(id.cert_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .expect("certs");
        let key = rustls::pki_types::PrivateKeyDer::from_pem_slice(id.key_pem.as_bytes()).expect("key");
        let config = rustls::ServerConfig::builder_with_provider(golive::net::tls::provider())
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .expect("server config");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (patches, accepted) = (Arc::<AtomicUsize>::default(), Arc::<AtomicUsize>::default());
        let gate = Arc::new(Semaphore::new(0));
        let (p, a, g) = (Arc::clone(&patches), accepted.clone(), gate.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else { continue };
                a.fetch_add(1, Ordering::SeqCst);
                let (acceptor, answer, behaviour, p, g) =
                    (acceptor.clone(), answer.clone(), behaviour.clone(), p.clone(), g.clone());
                tokio::spawn(async move {
                    if behaviour.gate_handshake {
                        let Ok(permit) = g.acquire().await else { return };
                        permit.forget();
                    }
                    let Ok(tls) = acceptor.accept(tcp).await else { return };
                    serve(tls, answer, behaviour, p, g).await;
                });
            }
        });
        Partner { addr, ca_pem: ca.cert_pem(), patches, accepted, gate, _task: task }
    }

    pub fn patches(&self) -> usize {
        self.patches.load(Ordering::SeqCst)
    }

    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// Lets one held handshake or stalled answer go on.
    pub fn release(&self) {
        self.gate.add_permits(1);
    }
}

/// One connection: read a request, answer it, close.
async fn serve(
    mut tls: tokio_rustls::server::TlsStream<tokio::net::TcpStream>,
    answer: Answer,
    behaviour: Behaviour,
    patches: Arc<AtomicUsize>,
    gate: Arc<Semaphore>,
) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        match tls.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0)))
        .unwrap_or(0);
    while buf.len() < head_end + length {
        match tls.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    if !head.starts_with("patch ") {
        // The documented read with the new key: only its status matters.
        let _ = tls.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").await;
        let _ = tls.shutdown().await;
        return;
    }
    patches.fetch_add(1, Ordering::SeqCst);
    if let Some(f) = behaviour.on_patch.clone() {
        let _ = tokio::task::spawn_blocking(move || f()).await;
    }
    let head_for = |len: usize| {
        format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {len}\r\nconnection: close\r\n\r\n"
        )
        .into_bytes()
    };
    match answer {
        Answer::Body(body) => {
            let mut all = head_for(body.len());
            all.extend_from_slice(&body);
            let _ = tls.write_all(&all).await;
        }
        Answer::Stall { first, rest } => {
            let mut all = head_for(first.len() + rest.len());
            all.extend_from_slice(&first);
            if tls.write_all(&all).await.is_err() || tls.flush().await.is_err() {
                return;
            }
            let Ok(permit) = gate.acquire().await else { return };
            permit.forget();
            let _ = tls.write_all(&rest).await;
        }
        Answer::Huge { prefix, len } => {
            let head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n";
            if tls.write_all(head).await.is_err() {
                return;
            }
            let mut body = prefix;
            body.resize(body.len() + len, b' ');
            for piece in body.chunks(64 * 1024) {
                let mut framed = format!("{:x}\r\n", piece.len()).into_bytes();
                framed.extend_from_slice(piece);
                framed.extend_from_slice(b"\r\n");
                if tls.write_all(&framed).await.is_err() {
                    return;
                }
            }
            let _ = tls.write_all(b"0\r\n\r\n").await;
        }
    }
    let _ = tls.shutdown().await;
}

/// A folder with a golive.toml for the partner: `out/` for the key files,
/// `state/` for the history.
pub struct Setup {
    pub dir: tempfile::TempDir,
}

impl Setup {
    pub fn new(partner: &Partner) -> Setup {
        let dir = tempfile::tempdir().expect("dir");
        std::fs::write(dir.path().join("ca.pem"), &partner.ca_pem).expect("ca");
        std::fs::create_dir_all(dir.path().join("out")).expect("out");
        let config = format!(
            "[env.production]\npack = \"paymentsai\"\nbase_url = \"https://{}\"\nca_bundle = \"ca.pem\"\n\
             account_id = \"{ACCOUNT}\"\norganization_id = \"{ORGANIZATION}\"\n\
             temporal_api_key = {{ env = \"T_KEY\" }}\naccount_secret = {{ env = \"T_SECRET\" }}\n\
             permanent_key_file = \"out/probe.key\"\nstate_file = \"state/state.json\"\n",
            partner.addr
        );
        std::fs::write(dir.path().join("golive.toml"), config).expect("config");
        Setup { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `golive [pre...] key exchange --env production --yes --out OUT`, as a command.
    pub fn command(&self, pre: &[&str], out: &str) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_golive"));
        cmd.args(pre)
            .args(["key", "exchange", "--env", "production", "--yes", "--timeout", "60s", "--out", out])
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .env("T_KEY", TEMPORAL)
            .env("T_SECRET", SECRET)
            .stdin(Stdio::null());
        cmd
    }
}

/// A running golive whose stdout and stderr are collected as they come.
pub struct Running {
    pub child: Child,
    said: Arc<Mutex<String>>,
    readers: Vec<std::thread::JoinHandle<()>>,
}

impl Running {
    pub fn spawn(mut cmd: Command) -> Running {
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("golive runs");
        let said = Arc::new(Mutex::new(String::new()));
        let mut readers = Vec::new();
        let pipes: Vec<Box<dyn std::io::Read + Send>> =
            vec![Box::new(child.stdout.take().expect("stdout")), Box::new(child.stderr.take().expect("stderr"))];
        for mut pipe in pipes {
            let said = said.clone();
            readers.push(std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = pipe.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    said.lock().expect("lock").push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            }));
        }
        Running { child, said, readers }
    }

    pub fn signal(&self, name: &str) {
        let ok = Command::new("kill").args([&format!("-{name}"), &self.child.id().to_string()]).status();
        assert!(ok.expect("kill runs").success(), "kill -{name}");
    }

    pub fn said(&self) -> String {
        self.said.lock().expect("lock").clone()
    }

    /// Waits (polling, off the runtime) until `done` holds; fails after the suite's limit.
    pub async fn until(&self, what: &str, done: impl Fn(&str) -> bool) {
        let limit = std::time::Instant::now() + crate::support::RUN_LIMIT;
        while !done(&self.said()) {
            assert!(std::time::Instant::now() < limit, "never: {what}; golive said:\n{}", self.said());
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits for the exit; returns its code (128 + n when a signal ended it) and all it said.
    pub async fn wait(mut self) -> (i32, String) {
        let status = tokio::task::spawn_blocking(move || {
            let status = self.child.wait().expect("golive ends");
            for r in self.readers {
                let _ = r.join();
            }
            status
        })
        .await
        .expect("joined");
        use std::os::unix::process::ExitStatusExt;
        let code = status.code().or(status.signal().map(|s| 128 + s)).expect("a code or a signal");
        (code, self.said.lock().expect("lock").clone())
    }
}

/// Waits until `done` holds (polling); fails after the suite's limit.
pub async fn until(what: &str, done: impl Fn() -> bool) {
    let limit = std::time::Instant::now() + crate::support::RUN_LIMIT;
    while !done() {
        assert!(std::time::Instant::now() < limit, "never: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).map(|m| m.permissions().mode() & 0o777).unwrap_or(0)
}

/// The files golive named in `said` (relative to `root`, or absolute; a
/// prefix in `moved` maps where a file was to where it is now).
fn named_files(said: &str, root: &Path, moved: &[(&Path, &Path)]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for token in said.split(|c: char| c.is_whitespace() || "`(),;".contains(c)) {
        let token = token.trim_end_matches(['.', ':']);
        if token.len() < 3 {
            continue;
        }
        let mut path = if Path::new(token).is_absolute() { PathBuf::from(token) } else { root.join(token) };
        for (from, to) in moved {
            if let Ok(rest) = path.strip_prefix(from) {
                path = to.join(rest);
            }
        }
        if path.is_file() && !out.contains(&path) {
            out.push(path);
        }
    }
    out
}

/// The suite's invariant: either the partner received no exchange, or the
/// permanent key is in a 0600 file whose path golive printed.
pub fn assert_kept_or_not_sent(case: &str, patches: usize, said: &str, root: &Path, moved: &[(&Path, &Path)]) {
    assert!(patches <= 1, "{case}: the temporal key was sent {patches} times");
    if patches == 0 {
        return;
    }
    let holding: Vec<PathBuf> = named_files(said, root, moved)
        .into_iter()
        .filter(|p| std::fs::read(p).is_ok_and(|b| String::from_utf8_lossy(&b).contains(KEY)))
        .collect();
    assert!(!holding.is_empty(), "{case}: the key was sent for, and is in no file golive named:\n{said}");
    #[cfg(unix)]
    for p in &holding {
        assert_eq!(mode(p), 0o600, "{case}: {} is private", p.display());
    }
}
