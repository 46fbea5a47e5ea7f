//! The recording: one JSON object per line for every exchange the front saw,
//! streamed to a private file by one writer thread behind a bounded channel
//! (memory stays flat however long the command runs), and read back one line
//! at a time by the judge.
//!
//! A record holds what the rules need and nothing secret: method, path,
//! route, status, timings, the injected fault, the pack's recorded headers
//! and JSON fields (masked and redacted), a salted digest and the size of
//! each body, and the command's log offsets. Credentials are never recorded.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::mpsc;

/// How an exchange ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ending {
    /// An answer went back to the client (the partner's, or an injected one).
    Answered,
    /// The connection was closed before any answer (an injected drop).
    Dropped,
    /// The partner could not be reached or did not answer; the front answered 502 or 504.
    UpstreamError,
}

/// What was recorded of one side of an exchange.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Side {
    /// The recorded headers, lower-case names.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// The recorded JSON fields (first occurrence at any depth).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, Value>,
    /// The body's size in bytes.
    pub bytes: usize,
    /// A digest of the body, salted per run: equal bodies within a run have equal digests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

/// One exchange between the command and the partner, as the front saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exchange {
    /// Its number in the run, in order of arrival, from 1.
    pub seq: u64,
    /// The pack whose front saw it.
    pub pack: String,
    /// When the request arrived, in milliseconds since the front started.
    pub at_ms: f64,
    /// When the answer went back (or the connection closed).
    pub done_ms: f64,
    /// The HTTP method.
    pub method: String,
    /// The path and query, as sent (redacted).
    pub path: String,
    /// The pack route it falls under, e.g. `POST /wallets/transfer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    /// The route's path parameters.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<(String, String)>,
    /// The status the client got; none when the connection was dropped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// How it ended.
    pub ending: Ending,
    /// The fault injected into it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
    /// What was recorded of the request.
    pub request: Side,
    /// What was recorded of the answer.
    pub response: Side,
    /// The size of the command's log when the request arrived and when it was answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<[u64; 2]>,
    /// Why the partner gave no answer (an upstream error), redacted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Exchange {
    /// The route, or `METHOD /path` without the query when it falls under none.
    pub fn route_key(&self) -> String {
        match &self.route {
            Some(r) => r.clone(),
            None => format!("{} {}", self.method, self.path.split('?').next().unwrap_or_default()),
        }
    }

    /// `request #7 (POST /wallets/transfer at 1.204 s)`.
    pub fn named(&self) -> String {
        format!("request #{} ({} at {:.3} s)", self.seq, self.route_key(), self.at_ms / 1000.0)
    }

    /// What the client got: `502`, `502 (injected by axys-transfer-502)`, `no answer (dropped)`.
    pub fn got(&self) -> String {
        let what = match (self.status, self.ending) {
            (_, Ending::Dropped) => "no answer (the connection was dropped)".to_string(),
            (Some(s), Ending::UpstreamError) => format!("{s} (the partner did not answer)"),
            (Some(s), _) => s.to_string(),
            (None, _) => "no answer".to_string(),
        };
        match &self.fault {
            Some(f) => format!("{what}, injected by {f}"),
            None => what,
        }
    }

    /// The record as an evidence trace record (`type = "http"`).
    pub fn trace(&self) -> Value {
        let mut v = serde_json::to_value(self).unwrap_or(Value::Null);
        if let Value::Object(map) = &mut v {
            map.insert("type".into(), Value::String("http".into()));
            map.insert("source".into(), Value::String("observe".into()));
        }
        v
    }
}

/// The recording being written: send exchanges, then [`Recorder::finish`].
pub struct Recorder {
    tx: mpsc::Sender<Exchange>,
    writer: std::thread::JoinHandle<Result<u64, String>>,
    path: PathBuf,
}

/// How many exchanges may wait for the writer: the front slows down rather
/// than buffer without bound.
const QUEUE: usize = 1024;

impl Recorder {
    /// Creates the recording at `path`: a new file only its owner can read.
    pub fn create(path: &Path) -> Result<Recorder, String> {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(path).map_err(|e| format!("cannot create the recording {}: {e}", path.display()))?;
        let (tx, mut rx) = mpsc::channel::<Exchange>(QUEUE);
        let shown = path.display().to_string();
        let writer = std::thread::Builder::new()
            .name("golive-recorder".into())
            .spawn(move || {
                let mut out = BufWriter::new(file);
                let (mut written, mut failed) = (0u64, None);
                // Keep receiving after a write error, so the front never blocks on a full queue.
                while let Some(x) = rx.blocking_recv() {
                    if failed.is_some() {
                        continue;
                    }
                    match serde_json::to_writer(&mut out, &x)
                        .map_err(std::io::Error::from)
                        .and_then(|()| out.write_all(b"\n"))
                    {
                        Ok(()) => written += 1,
                        Err(e) => failed = Some(e),
                    }
                }
                if let Some(e) = failed.or_else(|| out.flush().err()) {
                    return Err(format!("cannot write the recording {shown}: {e}"));
                }
                Ok(written)
            })
            .map_err(|e| format!("cannot start the recording's writer: {e}"))?;
        Ok(Recorder { tx, writer, path: path.to_path_buf() })
    }

    /// A handle the fronts send exchanges through.
    pub fn sender(&self) -> mpsc::Sender<Exchange> {
        self.tx.clone()
    }

    /// Where it is written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Waits until every exchange sent is on disk; returns how many. Every
    /// [`Recorder::sender`] must be dropped first (the fronts stopped).
    pub async fn finish(self) -> Result<u64, String> {
        let Recorder { tx, writer, .. } = self;
        drop(tx);
        tokio::task::spawn_blocking(move || writer.join())
            .await
            .map_err(|e| format!("the recording's writer failed: {e}"))?
            .map_err(|_| "the recording's writer panicked".to_string())?
    }
}

/// Reads a recording one exchange at a time; a line that is not an exchange is an error naming it.
pub fn read(path: &Path) -> Result<impl Iterator<Item = Result<Exchange, String>>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read the recording {}: {e}", path.display()))?;
    let shown = path.display().to_string();
    Ok(BufReader::new(file).lines().enumerate().filter_map(move |(i, line)| match line {
        Ok(l) if l.trim().is_empty() => None,
        Ok(l) => Some(serde_json::from_str(&l).map_err(|e| format!("{shown}:{}: not an exchange: {e}", i + 1))),
        Err(e) => Some(Err(format!("cannot read the recording {shown}: {e}"))),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(seq: u64) -> Exchange {
        Exchange {
            seq,
            pack: "axys".into(),
            at_ms: seq as f64,
            done_ms: seq as f64 + 0.5,
            method: "POST".into(),
            path: "/v2/wallets/transfer".into(),
            route: Some("POST /wallets/transfer".into()),
            params: vec![],
            status: Some(502),
            ending: Ending::Answered,
            fault: Some("axys-transfer-502".into()),
            request: Side::default(),
            response: Side::default(),
            log: Some([0, 10]),
            error: None,
        }
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn what_is_sent_is_read_back_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.jsonl");
        let rec = Recorder::create(&path).unwrap();
        let tx = rec.sender();
        for seq in 1..=3000 {
            tx.send(exchange(seq)).await.unwrap();
        }
        drop(tx);
        assert_eq!(rec.finish().await.unwrap(), 3000);
        let back: Vec<Exchange> = read(&path).unwrap().map(Result::unwrap).collect();
        assert_eq!(back.len(), 3000);
        assert_eq!(back[41], exchange(42));
        assert!(Recorder::create(&path).is_err(), "an existing recording is never written over");
    }
}
