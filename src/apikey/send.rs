//! The one-time request and what follows it until the key is on disk, run as
//! a task of its own: dropping the command or the probe that started it (a
//! signal, a deadline) does not stop it halfway (see [`super::inflight`]).
//!
//! In order: the answer file is marked as kept, the request is sent once; a
//! refusal is read (bounded) and classified; an acceptance is written to the
//! answer file as it arrives, head first, every piece synced, before anything
//! logs, parses or prints it. Only a whole answer is parsed; then the key file
//! and the secret history are written. Nothing here is retried.

use std::path::PathBuf;
use std::time::Instant;

use secrecy::SecretString;

use super::answer::{self, Found};
use super::answer_file::{AnswerFile, CAP};
use super::exchange::ExchangeError;
use super::inflight::{Hold, Phase};
use super::keyfile::{self, Prepared};
use super::sent::{self, Sending, SentRequest};
use crate::redact::Redactor;
use crate::spec::ExchangeSpec;

/// What the task needs, owned.
pub(super) struct Outgoing {
    pub(super) client: reqwest::Client,
    pub(super) request: reqwest::Request,
    pub(super) spec: ExchangeSpec,
    /// The account id, for the header to build by hand.
    pub(super) account: String,
    /// The permanent credential's file.
    pub(super) out: PathBuf,
    /// The temporal key and the secret, scrubbed from a refusal's message.
    pub(super) secrets: Redactor,
    pub(super) hold: Hold,
}

/// What the task did: the record of its request, and its result.
pub(super) struct Landed {
    pub(super) sent: Option<SentRequest>,
    pub(super) result: Result<Saved, ExchangeError>,
}

/// An accepted exchange whose key is on disk.
pub(super) struct Saved {
    /// The key file.
    pub(super) out: PathBuf,
    /// Where the raw answer is.
    pub(super) answer: PathBuf,
    /// Why it is not beside the key file, when it is not.
    pub(super) moved: Option<String>,
    /// Where in the answer the key was.
    pub(super) found: Found,
    /// The credential written to the key file.
    pub(super) credential: SecretString,
    /// A note when the state file could not be updated.
    pub(super) state_warning: Option<String>,
}

/// Sends the request once and saves what comes back; `prepared` is every
/// file, made before.
pub(super) async fn run(send: Outgoing, prepared: Prepared) -> Landed {
    let hold = send.hold.clone();
    let (sent, result) = exchange(send, prepared).await;
    hold.phase(Phase::Ended(match &result {
        Ok(saved) => format!(
            "the permanent credential is in {} (mode 0600) and the partner's raw answer in {}",
            saved.out.display(),
            saved.answer.display()
        ),
        Err(e) => e.to_string(),
    }));
    Landed { sent, result }
}

async fn exchange(send: Outgoing, prepared: Prepared) -> (Option<SentRequest>, Result<Saved, ExchangeError>) {
    let Prepared { mut answer, key } = prepared;
    let Outgoing { client, request, spec, account, out, secrets, hold } = send;
    let sending = Sending::start(&request, Some(sent::SECRET_BODY));
    let (method, url, started) = (request.method().to_string(), request.url().to_string(), Instant::now());
    let shown_request = format!("{method} {}", crate::net::loggable(request.url()));
    // From here on the partner may have the temporal key: the file stays.
    answer.sending();
    hold.phase(Phase::Sending { request: shown_request.clone() });
    let response = match client.execute(request).await {
        Ok(r) => r,
        Err(e) => {
            let why = crate::net::describe(&e);
            crate::net::log_request(&method, &url, Err(&why), started.elapsed());
            answer.discard();
            // Only a failed connection (or a request never built) proves nothing was sent.
            let err = if e.is_timeout() {
                ExchangeError::Timeout
            } else if e.is_connect() || e.is_builder() {
                ExchangeError::Transport(why.clone())
            } else {
                ExchangeError::UnknownState(why.clone())
            };
            return (Some(sending.finish(Err(why))), Err(err));
        }
    };
    let status = response.status().as_u16();
    if !(200..300).contains(&status) {
        crate::net::log_request(&method, &url, Ok(status), started.elapsed());
        answer.discard();
        return refused(response, sending, &secrets).await;
    }
    // Accepted: the temporal key is used and this answer is the only copy of
    // the permanent key. Every byte goes to disk before anything reads it.
    hold.phase(Phase::Receiving { request: shown_request, status, answer: answer.path().to_path_buf(), bytes: 0 });
    let mut sending = sending;
    sending.answered_with_key(&response);
    let head = answer::raw(&response, &[]);
    let head_len = head.len();
    let announced = head_len as u64 + response.content_length().unwrap_or(0);
    let lost_writer = |e: String| {
        let why = format!("its answer could not be saved: {e}");
        ExchangeError::BadAnswer(why)
    };
    let (mut answer, written) = match on_disk(answer, move |a| {
        a.reserve_for(announced);
        a.write(&head)
    })
    .await
    {
        Ok(done) => done,
        Err(e) => return (Some(sending.finish(Err(e.clone()))), Err(lost_writer(e))),
    };
    let mut cut = written.err().map(Err);
    let mut response = response;
    while cut.is_none() {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = (CAP as usize).saturating_sub(answer.received().len());
                let whole = chunk.len() <= room;
                let piece = chunk.slice(..chunk.len().min(room));
                (answer, cut) = match on_disk(answer, move |a| a.write(&piece)).await {
                    Ok((a, Err(lost))) => (a, Some(Err(lost))),
                    Ok((a, Ok(()))) if !whole => {
                        (a, Some(Ok(format!("it is larger than {} MiB, where golive stops reading", CAP >> 20))))
                    }
                    Ok((a, Ok(()))) => (a, None),
                    Err(e) => return (Some(sending.finish(Err(e.clone()))), Err(lost_writer(e))),
                };
                hold.received(answer.path(), answer.bytes());
            }
            Ok(None) => break,
            Err(e) => {
                let body = answer.received().len().saturating_sub(head_len);
                cut = Some(Ok(format!(
                    "the connection failed after {body} bytes of its body ({})",
                    crate::net::describe(&e)
                )));
            }
        }
    }
    let (answer, at) = match on_disk(answer, |a| a.finish()).await {
        Ok(done) => done,
        Err(e) => return (Some(sending.finish(Err(e.clone()))), Err(lost_writer(e))),
    };
    // Logged only now: a log line that fails must not come between the answer and the disk.
    crate::net::log_request(&method, &url, Ok(status), started.elapsed());
    let header = header_to_build(&spec, &account);
    match cut {
        Some(Err(lost)) => {
            let why = format!("its answer could not be saved anywhere ({lost})");
            return (Some(sending.finish(Err(why.clone()))), Err(ExchangeError::BadAnswer(why)));
        }
        Some(Ok(why)) => {
            let err = ExchangeError::AnswerCut { answer: at, bytes: answer.bytes(), why: why.clone() };
            return (Some(sending.finish(Err(why))), Err(err));
        }
        None => {}
    }
    let sent = sending.finish(Ok(sent::KEY_BODY));
    let moved = answer.moved().map(str::to_string);
    let kept = |why: String| ExchangeError::AnswerKept { answer: at.clone(), why, header: header.clone() };
    let body = &answer.received()[head_len..];
    let found = match answer::extract(body, &spec) {
        Ok(f) => f,
        Err(why) => return (Some(sent), Err(kept(why))),
    };
    if let Some(what) = found.unprintable() {
        return (
            Some(sent),
            Err(kept(format!(
                "the key in it holds {what}, which no HTTP header can carry and a terminal would act on"
            ))),
        );
    }
    let credential = SecretString::from(
        with_account(&spec.credential, &spec, &account)
            .replace("{api_key}", &found.api_key)
            .replace("{api_key_id}", &found.api_key_id),
    );
    match keyfile::finish(key, &out, credential.clone()).await {
        Ok(state_warning) => (Some(sent), Ok(Saved { out, answer: at, moved, found, credential, state_warning })),
        Err(ExchangeError::BadAnswer(why)) => (Some(sent), Err(kept(why))),
        Err(other) => (Some(sent), Err(other)),
    }
}

/// Runs `f` on the answer file off the runtime's threads (a sync to disk may
/// take long, and those threads serve everything else), and hands the file back.
async fn on_disk<T: Send + 'static>(
    mut answer: AnswerFile,
    f: impl FnOnce(&mut AnswerFile) -> T + Send + 'static,
) -> Result<(AnswerFile, T), String> {
    tokio::task::spawn_blocking(move || {
        let t = f(&mut answer);
        (answer, t)
    })
    .await
    .map_err(|e| format!("writing the answer file failed ({e})"))
}

/// A refusal (any status but 2xx): what the partner said, secrets scrubbed.
async fn refused(
    response: reqwest::Response,
    mut sending: Sending,
    secrets: &Redactor,
) -> (Option<SentRequest>, Result<Saved, ExchangeError>) {
    let status = response.status().as_u16();
    sending.answered(&response);
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).chars().take(100).collect::<String>());
    let (text, sent) = match crate::net::read_body(response).await {
        Ok((bytes, _)) => (String::from_utf8_lossy(&bytes).into_owned(), sending.finish(Ok(sent::REFUSAL_BODY))),
        Err(e) => {
            (String::new(), sending.finish(Err(format!("reading the body failed: {}", crate::net::describe(&e)))))
        }
    };
    let err = match status {
        401 | 403 => ExchangeError::TemporalKeyRefused(status),
        400..=499 => ExchangeError::Rejected(status, partner_message(&text, secrets), retry_after),
        _ => ExchangeError::ServerError(status),
    };
    (Some(sent), Err(err))
}

/// The partner's error message: its JSON `message`, or the start of the body,
/// scrubbed of the secrets (in every form) before it is cut.
fn partner_message(text: &str, secrets: &Redactor) -> String {
    let message = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_string))
        .unwrap_or_else(|| text.to_string());
    secrets.redact(&message).chars().take(200).collect()
}

/// The header a person builds from the raw answer, e.g.
/// `Authorization: ApiKey acc_1_<apiKey>_<apiKeyId>`.
pub(super) fn header_to_build(spec: &ExchangeSpec, account: &str) -> String {
    format!(
        "{}: {}{}",
        spec.header,
        spec.prefix,
        with_account(&spec.credential, spec, account)
            .replace("{api_key}", "<apiKey>")
            .replace("{api_key_id}", "<apiKeyId>")
    )
}

/// The credential template with `{NAME}` of the account input filled in.
pub(super) fn with_account(template: &str, spec: &ExchangeSpec, account: &str) -> String {
    template.replace(&format!("{{{}}}", spec.inputs.account), account)
}
