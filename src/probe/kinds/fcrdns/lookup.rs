//! The DNS questions of one FCrDNS run, asked concurrently with a bound: the
//! PTR of each calling IP, the forward records of each PTR name, and the A and
//! AAAA records of each certificate name. A forward question asked twice (a
//! PTR name that is also a certificate name) goes to DNS once.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::{OnceCell, Semaphore};
use tokio::time::Instant;

use super::names::{CertName, Match, match_ptr};
use crate::net::dns::{DnsFailure, Family, Resolver, reverse_name};

/// A DNS answer: the records, or why there are none.
pub type Answer<T> = Result<T, DnsFailure>;

/// What one calling IP's reverse and forward lookups answered.
#[derive(Debug, Clone)]
pub struct IpLookup {
    /// The calling IP (IPv4-mapped IPv6 already turned into IPv4).
    pub ip: IpAddr,
    /// The reverse name asked for, e.g. `10.113.0.203.in-addr.arpa.`.
    pub reverse: String,
    /// The PTR answer (all names, before the bound).
    pub ptr: Answer<Vec<String>>,
    /// The PTR names considered (at most `max_ptr`), each with its verdict inputs.
    pub names: Vec<PtrName>,
}

/// One PTR name of a calling IP.
#[derive(Debug, Clone)]
pub struct PtrName {
    /// The name as DNS wrote it (trailing dot).
    pub name: String,
    /// How it relates to the certificate's names.
    pub in_cert: Match,
    /// Its forward records of the IP's family; an address literal answers itself.
    pub forward: Answer<Vec<IpAddr>>,
}

impl PtrName {
    /// Whether the forward records contain the IP.
    pub fn confirms(&self, ip: IpAddr) -> bool {
        self.forward.as_ref().is_ok_and(|a| a.contains(&ip))
    }
}

/// What a certificate name's forward lookups answered.
#[derive(Debug, Clone)]
pub struct NameLookup {
    /// The certificate name.
    pub name: CertName,
    /// A and AAAA answers; empty for wildcards and addresses (never asked).
    pub answers: Vec<(Family, Answer<Vec<IpAddr>>)>,
}

type Memo = Arc<OnceCell<Answer<Vec<IpAddr>>>>;

/// The questions of one run: a bound on queries in flight and a time to stop.
pub struct Lookups<'a> {
    resolver: &'a Resolver,
    permits: Semaphore,
    forward: Mutex<HashMap<(String, Family), Memo>>,
    stop_at: Instant,
}

impl<'a> Lookups<'a> {
    /// Questions to `resolver`, at most `concurrency` in flight, all answered
    /// (or timed out) by `stop_at`.
    pub fn new(resolver: &'a Resolver, concurrency: usize, stop_at: Instant) -> Self {
        Lookups { resolver, permits: Semaphore::new(concurrency.max(1)), forward: Mutex::new(HashMap::new()), stop_at }
    }

    fn left(&self) -> Duration {
        self.stop_at.saturating_duration_since(Instant::now()).max(Duration::from_millis(1))
    }

    /// Runs one question under the concurrency bound and the stop time.
    async fn bounded<T>(&self, ask: impl AsyncFnOnce(Duration) -> Answer<T>) -> Answer<T> {
        let asked = async {
            let _permit = self.permits.acquire().await.map_err(|e| DnsFailure::Other(e.to_string()))?;
            ask(self.left()).await
        };
        tokio::time::timeout_at(self.stop_at, asked).await.unwrap_or(Err(DnsFailure::Timeout))
    }

    /// The forward records of `name` for one family, asked once per run.
    pub async fn forward(&self, name: &str, family: Family) -> Answer<Vec<IpAddr>> {
        let key = (super::names::normalize(name), family);
        let memo = match self.forward.lock() {
            Ok(mut map) => map.entry(key.clone()).or_default().clone(),
            Err(_) => Arc::new(OnceCell::new()),
        };
        memo.get_or_init(|| async { self.bounded(async |t| self.resolver.addresses(&key.0, family, t).await).await })
            .await
            .clone()
    }

    /// The PTR of `ip`, then the forward records of at most `max_ptr` of its names.
    pub async fn ip(&self, ip: IpAddr, cert: &[CertName], max_ptr: usize) -> IpLookup {
        let ptr = self.bounded(async |t| self.resolver.ptr(ip, t).await).await;
        let considered: Vec<String> =
            ptr.as_ref().map(|n| n.iter().take(max_ptr).cloned().collect()).unwrap_or_default();
        let family = Family::of(ip);
        let names = futures::future::join_all(considered.into_iter().map(|name| async move {
            let in_cert = match_ptr(&name, cert);
            let forward = match &in_cert {
                Match::Address(literal) => Ok(vec![*literal]),
                Match::Exact | Match::WildcardOnly(_) | Match::No => self.forward(&name, family).await,
            };
            PtrName { name, in_cert, forward }
        }))
        .await;
        IpLookup { ip, reverse: reverse_name(ip), ptr, names }
    }

    /// The A and AAAA records of a certificate name (none asked for wildcards
    /// and addresses).
    pub async fn name(&self, name: &CertName) -> NameLookup {
        let answers = match name {
            CertName::Dns(n) => {
                let (v4, v6) = futures::join!(self.forward(n, Family::V4), self.forward(n, Family::V6));
                vec![(Family::V4, v4), (Family::V6, v6)]
            }
            CertName::Wildcard(_) | CertName::Ip(_) => Vec::new(),
        };
        NameLookup { name: name.clone(), answers }
    }
}

/// An answer as report data: the records, or the failure's label.
pub fn answer_json<T: ToString>(answer: &Answer<Vec<T>>) -> Value {
    match answer {
        Ok(records) => Value::from(records.iter().map(ToString::to_string).collect::<Vec<_>>()),
        Err(failure) => Value::from(failure.label()),
    }
}

/// An answer as `dig +short` would show it, on one line.
pub fn answer_text<T: ToString>(answer: &Answer<Vec<T>>) -> String {
    match answer {
        Ok(records) if records.is_empty() => "no records".into(),
        Ok(records) => records.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
        Err(failure) => failure.label(),
    }
}

/// What was asked and answered for one calling IP, as a fact.
pub fn ip_fact(l: &IpLookup) -> Value {
    let forward: Vec<Value> = l
        .names
        .iter()
        .map(|n| json!({ "name": n.name, "type": Family::of(l.ip).rtype(), "answer": answer_json(&n.forward) }))
        .collect();
    json!({ "ip": l.ip.to_string(), "ptr_query": l.reverse, "ptr": answer_json(&l.ptr), "forward": forward })
}

/// What was asked and answered for one certificate name, as a fact.
pub fn name_fact(l: &NameLookup) -> Value {
    let mut fact = json!({ "name": l.name.to_string() });
    for (family, answer) in &l.answers {
        fact[family.rtype()] = answer_json(answer);
    }
    fact
}
