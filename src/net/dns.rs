//! The DNS resolver shared by the probes of one run, and DNS error classes.
//!
//! The resolver asks the environment's `nameservers` (UDP, then TCP when an
//! answer is truncated) or, when there are none, the system's resolver
//! configuration. It never reads `/etc/hosts` and keeps no cache, so every
//! answer shown in a report came from DNS during this run. Lookup results are
//! split into the classes a report must keep apart: NXDOMAIN, NODATA,
//! SERVFAIL, REFUSED, timeout and other failures.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts};
use hickory_resolver::lookup::Lookup;
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError, NoRecords};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{Name, RData};

use crate::config::Environment;
use crate::spec::ErrorClass;

/// How long one query waits for one server before it is retried.
const QUERY_TIMEOUT: Duration = Duration::from_secs(3);

/// The address families a forward lookup can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// IPv4: `A` records.
    V4,
    /// IPv6: `AAAA` records.
    V6,
}

impl Family {
    /// The family of an address.
    pub fn of(ip: IpAddr) -> Family {
        match ip {
            IpAddr::V4(_) => Family::V4,
            IpAddr::V6(_) => Family::V6,
        }
    }

    /// The record type, as `dig` writes it.
    pub fn rtype(self) -> &'static str {
        match self {
            Family::V4 => "A",
            Family::V6 => "AAAA",
        }
    }
}

/// Why a lookup gave no records: the classes a report keeps apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DnsFailure {
    /// The name does not exist.
    NxDomain,
    /// The name exists but has no record of the type asked.
    NoData,
    /// The server failed to answer (often a broken delegation or DNSSEC failure).
    ServFail,
    /// The server refused to answer (it does not serve the zone, or not for us).
    Refused,
    /// No answer before the deadline.
    Timeout,
    /// Anything else (network error, malformed answer, other rcode).
    Other(String),
}

impl DnsFailure {
    /// Whether this is an answer about the data (the name or record is
    /// absent), as opposed to no usable answer at all.
    pub fn is_answer(&self) -> bool {
        match self {
            DnsFailure::NxDomain | DnsFailure::NoData => true,
            DnsFailure::ServFail | DnsFailure::Refused | DnsFailure::Timeout | DnsFailure::Other(_) => false,
        }
    }

    /// A stable short name, e.g. `NXDOMAIN` or `timeout`.
    pub fn label(&self) -> String {
        match self {
            DnsFailure::NxDomain => "NXDOMAIN".into(),
            DnsFailure::NoData => "NODATA".into(),
            DnsFailure::ServFail => "SERVFAIL".into(),
            DnsFailure::Refused => "REFUSED".into(),
            DnsFailure::Timeout => "timeout".into(),
            DnsFailure::Other(why) => format!("error: {why}"),
        }
    }

    /// The failure as the object of "the lookup got ...": `a timeout`,
    /// `an error: ...`, or the response code (`SERVFAIL`).
    pub fn got(&self) -> String {
        match self {
            DnsFailure::Timeout => "a timeout".into(),
            DnsFailure::Other(why) => format!("an error: {why}"),
            other => other.label(),
        }
    }

    /// The error class reported in signals, e.g. `dns-timeout`.
    pub fn class(&self) -> ErrorClass {
        match self {
            DnsFailure::NxDomain => ErrorClass::DnsNxdomain,
            DnsFailure::NoData => ErrorClass::DnsNodata,
            DnsFailure::ServFail => ErrorClass::DnsServfail,
            DnsFailure::Refused => ErrorClass::DnsRefused,
            DnsFailure::Timeout => ErrorClass::DnsTimeout,
            DnsFailure::Other(_) => ErrorClass::Dns,
        }
    }
}

/// Classifies a resolver error.
pub fn classify(e: &NetError) -> DnsFailure {
    match e {
        NetError::Dns(DnsError::NoRecordsFound(NoRecords { response_code, .. })) => match *response_code {
            ResponseCode::NXDomain => DnsFailure::NxDomain,
            ResponseCode::NoError => DnsFailure::NoData,
            ResponseCode::ServFail => DnsFailure::ServFail,
            ResponseCode::Refused => DnsFailure::Refused,
            other => DnsFailure::Other(format!("no records, response code {other}")),
        },
        NetError::Dns(DnsError::ResponseCode(ResponseCode::ServFail)) => DnsFailure::ServFail,
        NetError::Dns(DnsError::ResponseCode(ResponseCode::Refused)) => DnsFailure::Refused,
        NetError::Timeout => DnsFailure::Timeout,
        other => DnsFailure::Other(other.to_string()),
    }
}

/// The resolver of one run and where it sends its queries.
pub struct Resolver {
    inner: TokioResolver,
    /// Where queries go, for reports: `127.0.0.1:5353` or `system resolver (...)`.
    pub servers: String,
}

impl Resolver {
    /// Builds the resolver for an environment: its nameservers, or the system's.
    pub fn for_env(env: &Environment) -> Result<Resolver, String> {
        if env.nameservers.is_empty() { Self::system() } else { Self::with_nameservers(&env.nameservers) }
    }

    /// A resolver that asks exactly these servers, UDP first, TCP on truncation.
    pub fn with_nameservers(servers: &[SocketAddr]) -> Result<Resolver, String> {
        let name_servers: Vec<NameServerConfig> = servers
            .iter()
            .map(|sa| {
                let mut udp = ConnectionConfig::udp();
                udp.port = sa.port();
                let mut tcp = ConnectionConfig::tcp();
                tcp.port = sa.port();
                NameServerConfig::new(sa.ip(), true, vec![udp, tcp])
            })
            .collect();
        let config = ResolverConfig::from_name_servers(name_servers);
        let list: Vec<String> = servers.iter().map(ToString::to_string).collect();
        let inner = TokioResolver::builder_with_config(config, TokioRuntimeProvider::default())
            .with_options(options(ResolverOpts::default()))
            .build()
            .map_err(|e| format!("cannot build a DNS resolver for nameservers {}: {e}", list.join(", ")))?;
        Ok(Resolver { inner, servers: list.join(", ") })
    }

    /// A resolver configured from the system (`/etc/resolv.conf` on Unix).
    pub fn system() -> Result<Resolver, String> {
        let fix = "set `nameservers` in the environment of golive.toml, e.g. [\"192.0.2.53\"]";
        let mut builder = TokioResolver::builder_tokio()
            .map_err(|e| format!("cannot read the system's resolver configuration: {e}; {fix}"))?;
        let opts = options(builder.options_mut().clone());
        *builder.options_mut() = opts;
        let inner = builder.build().map_err(|e| format!("cannot build the system's DNS resolver: {e}; {fix}"))?;
        Ok(Resolver { inner, servers: "the system resolver".into() })
    }

    /// The PTR names of an address (`x.x.x.x.in-addr.arpa.` or `ip6.arpa.`), as
    /// written in DNS, with the trailing dot.
    pub async fn ptr(&self, ip: IpAddr, timeout: Duration) -> Result<Vec<String>, DnsFailure> {
        let lookup = self.bounded(self.inner.reverse_lookup(ip), timeout).await?;
        Ok(records(&lookup, |d| match d {
            RData::PTR(p) => Some(p.0.to_ascii()),
            _ => None,
        }))
    }

    /// The A (V4) or AAAA (V6) addresses of a name.
    pub async fn addresses(&self, name: &str, family: Family, timeout: Duration) -> Result<Vec<IpAddr>, DnsFailure> {
        let name = fqdn(name)?;
        let lookup = match family {
            Family::V4 => self.bounded(self.inner.ipv4_lookup(name), timeout).await?,
            Family::V6 => self.bounded(self.inner.ipv6_lookup(name), timeout).await?,
        };
        Ok(records(&lookup, |d| match d {
            RData::A(a) => Some(IpAddr::V4(a.0)),
            RData::AAAA(a) => Some(IpAddr::V6(a.0)),
            _ => None,
        }))
    }

    async fn bounded(
        &self,
        lookup: impl Future<Output = Result<Lookup, NetError>>,
        timeout: Duration,
    ) -> Result<Lookup, DnsFailure> {
        match tokio::time::timeout(timeout, lookup).await {
            Ok(Ok(l)) => Ok(l),
            Ok(Err(e)) => Err(classify(&e)),
            Err(_) => Err(DnsFailure::Timeout),
        }
    }
}

/// The reverse name `dig -x` asks for an address.
pub fn reverse_name(ip: IpAddr) -> String {
    Name::from(ip).to_ascii()
}

/// The options every golive resolver uses on top of `base`.
fn options(mut opts: ResolverOpts) -> ResolverOpts {
    opts.timeout = QUERY_TIMEOUT;
    opts.attempts = 1;
    // Answers must be fresh: a report shows what DNS says now.
    opts.cache_size = 0;
    opts.use_hosts_file = ResolveHosts::Never;
    opts
}

/// A name as an absolute DNS name, so no search list is ever applied.
fn fqdn(name: &str) -> Result<Name, DnsFailure> {
    let mut n = Name::from_ascii(name).map_err(|e| DnsFailure::Other(format!("`{name}` is not a DNS name: {e}")))?;
    n.set_fqdn(true);
    Ok(n)
}

fn records<T>(lookup: &Lookup, pick: impl Fn(&RData) -> Option<T>) -> Vec<T> {
    lookup.answers().iter().filter_map(|r| pick(&r.data)).collect()
}
