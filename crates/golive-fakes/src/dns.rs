//! An authoritative DNS server on loopback (hickory-server, UDP and TCP on one
//! random port) with forward and reverse zones, and the demo's zone data.
//!
//! Record data uses TEST-NET addresses (192.0.2.0/24, 198.51.100.0/24,
//! 203.0.113.0/24, 2001:db8::/32): resolvers answer loopback PTRs themselves.
//! Zones are made from the records: a forward name lives in the zone of its
//! last two labels, reverse names in `in-addr.arpa.` and `ip6.arpa.` (which
//! always exist, so a missing PTR is NXDOMAIN); a name outside every zone gets
//! REFUSED. Chosen names can be made to answer
//! SERVFAIL or REFUSED, or never to answer.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use hickory_server::Server;
use hickory_server::net::runtime::{Time, TokioRuntimeProvider};
use hickory_server::proto::op::{Header, Metadata, ResponseCode};
use hickory_server::proto::rr::rdata::{A, AAAA, NS, PTR, SOA, TXT};
use hickory_server::proto::rr::{LowerName, Name, RData, Record};
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{AxfrPolicy, Catalog, MessageResponseBuilder, ZoneHandler, ZoneType};
use tokio::net::{TcpListener, UdpSocket};

/// The demo's certificate name, the one every healthy PTR points to.
pub use super::DEMO_DOMAIN;
/// The demo's IPv4 calling IP.
pub const DEMO_IPV4: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 10));
/// The demo's IPv6 calling IP (2001:db8::10).
pub const DEMO_IPV6: IpAddr = IpAddr::V6(std::net::Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x10));
/// Where the demo's domain points in the `a-points-elsewhere` scenario.
pub const ELSEWHERE_IPV4: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(198, 51, 100, 77));
/// The provider's generic name the PTR carries in the `ptr-not-in-cert` scenario.
pub const PROVIDER_NAME: &str = "203-0-113-10.compute.provider.test";

/// What the merchant's DNS says about the calling IPv4 (the IPv6 is always healthy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallingIpv4 {
    /// The domain's A record is the calling IPv4, whose PTR is the domain.
    Healthy,
    /// No PTR record (NXDOMAIN).
    NoPtr,
    /// The PTR names the provider's generic host ([`PROVIDER_NAME`]), not the domain.
    PtrToProvider,
    /// The PTR is the domain, whose A record points elsewhere ([`ELSEWHERE_IPV4`]).
    AElsewhere,
}

/// The records of the demo: the fault catalogue starts from them too (see
/// [`crate::faults::Fault::dns`]).
pub fn demo(ipv4: CallingIpv4) -> FakeDnsBuilder {
    let b = FakeDns::builder().a(DEMO_DOMAIN, DEMO_IPV6).ptr(DEMO_IPV6, DEMO_DOMAIN);
    match ipv4 {
        CallingIpv4::Healthy => b.a(DEMO_DOMAIN, DEMO_IPV4).ptr(DEMO_IPV4, DEMO_DOMAIN),
        CallingIpv4::NoPtr => b.a(DEMO_DOMAIN, DEMO_IPV4),
        CallingIpv4::PtrToProvider => {
            b.a(DEMO_DOMAIN, DEMO_IPV4).ptr(DEMO_IPV4, PROVIDER_NAME).a(PROVIDER_NAME, DEMO_IPV4)
        }
        CallingIpv4::AElsewhere => b.a(DEMO_DOMAIN, ELSEWHERE_IPV4).ptr(DEMO_IPV4, DEMO_DOMAIN),
    }
}

/// Assembles the records and misbehaviours of a [`FakeDns`].
#[derive(Debug, Default, Clone)]
pub struct FakeDnsBuilder {
    records: Vec<(String, RData)>,
    servfail: Vec<String>,
    refused: Vec<String>,
    silent: Vec<String>,
    no_tcp: bool,
    problems: Vec<String>,
}

impl FakeDnsBuilder {
    /// Adds an A (IPv4) or AAAA (IPv6) record for `name`.
    pub fn a(mut self, name: &str, ip: IpAddr) -> Self {
        let data = match ip {
            IpAddr::V4(v4) => RData::A(A(v4)),
            IpAddr::V6(v6) => RData::AAAA(AAAA(v6)),
        };
        self.records.push((name.to_string(), data));
        self
    }

    /// Adds a PTR record: the reverse name of `ip` points to `name`.
    pub fn ptr(mut self, ip: IpAddr, name: &str) -> Self {
        match parse_name(name) {
            Ok(target) => self.records.push((Name::from(ip).to_ascii(), RData::PTR(PTR(target)))),
            Err(e) => self.problems.push(e),
        }
        self
    }

    /// Adds a TXT record, so `name` exists without addresses (NODATA for A/AAAA).
    pub fn txt(mut self, name: &str, text: &str) -> Self {
        self.records.push((name.to_string(), RData::TXT(TXT::new(vec![text.to_string()]))));
        self
    }

    /// Every query for `name` (a forward name) answers SERVFAIL.
    pub fn servfail(mut self, name: &str) -> Self {
        self.servfail.push(name.to_string());
        self
    }

    /// Every query for `name` answers REFUSED.
    pub fn refused(mut self, name: &str) -> Self {
        self.refused.push(name.to_string());
        self
    }

    /// Queries for `name` are never answered.
    pub fn silent(mut self, name: &str) -> Self {
        self.silent.push(name.to_string());
        self
    }

    /// Serve UDP only, so a truncated answer cannot be fetched again over TCP.
    pub fn without_tcp(mut self) -> Self {
        self.no_tcp = true;
        self
    }

    /// The reverse name of `ip` answers SERVFAIL.
    pub fn servfail_ptr(self, ip: IpAddr) -> Self {
        let name = Name::from(ip).to_ascii();
        self.servfail(&name)
    }

    /// Starts the server on 127.0.0.1 (UDP and TCP on one random port).
    /// Must be called inside a tokio runtime; the server stops when dropped.
    pub async fn start(self) -> Result<FakeDns, String> {
        if let Some(p) = self.problems.first() {
            return Err(p.clone());
        }
        let catalog = catalog(&self.records)?;
        let names = |list: &[String]| list.iter().map(|n| parse_name(n)).collect::<Result<Vec<_>, _>>();
        let handler = Handler {
            catalog,
            servfail: names(&self.servfail)?,
            refused: names(&self.refused)?,
            silent: names(&self.silent)?,
        };
        let (server, addr) = listen(handler, !self.no_tcp).await?;
        Ok(FakeDns { _server: server, addr, records: self.records.len() })
    }
}

/// A running authoritative DNS server; stops when dropped.
pub struct FakeDns {
    _server: Server<Handler>,
    addr: SocketAddr,
    records: usize,
}

impl FakeDns {
    /// A builder with no records.
    pub fn builder() -> FakeDnsBuilder {
        FakeDnsBuilder::default()
    }

    /// Where it listens (UDP and TCP).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// How many records it serves.
    pub fn records(&self) -> usize {
        self.records
    }
}

fn parse_name(name: &str) -> Result<Name, String> {
    let mut n = Name::from_ascii(name).map_err(|e| format!("fake DNS: `{name}` is not a DNS name: {e}"))?;
    n.set_fqdn(true);
    Ok(n)
}

/// The zone a record name belongs to.
fn zone_of(name: &Name) -> Name {
    let text = name.to_ascii().to_ascii_lowercase();
    for rev in ["in-addr.arpa.", "ip6.arpa."] {
        if text.ends_with(rev) {
            return Name::from_ascii(rev).unwrap_or_else(|_| Name::root());
        }
    }
    let labels = name.num_labels();
    if labels <= 2 { name.clone() } else { name.trim_to(2) }
}

fn catalog(records: &[(String, RData)]) -> Result<Catalog, String> {
    let mut zones: BTreeMap<Name, InMemoryZoneHandler<TokioRuntimeProvider>> = BTreeMap::new();
    // The reverse zones always exist, so an address without a PTR is NXDOMAIN, as on the Internet.
    for reverse in ["in-addr.arpa.", "ip6.arpa."] {
        let origin = parse_name(reverse)?;
        zones.insert(origin.clone(), empty_zone(&origin)?);
    }
    for (name, data) in records {
        let name = parse_name(name)?;
        let origin = zone_of(&name);
        let zone = match zones.entry(origin.clone()) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => e.insert(empty_zone(&origin)?),
        };
        if !zone.upsert_mut(Record::from_rdata(name.clone(), 60, data.clone()), 1) {
            return Err(format!("fake DNS: record {name} {data} conflicts with the zone {origin}"));
        }
    }
    let mut catalog = Catalog::new();
    for (origin, zone) in zones {
        let handler: Arc<dyn ZoneHandler> = Arc::new(zone);
        catalog.upsert(LowerName::new(&origin), vec![handler]);
    }
    Ok(catalog)
}

fn empty_zone(origin: &Name) -> Result<InMemoryZoneHandler<TokioRuntimeProvider>, String> {
    let ns = parse_name("ns1.golive-demo.test")?;
    let hostmaster = parse_name("hostmaster.golive-demo.test")?;
    let mut zone =
        InMemoryZoneHandler::<TokioRuntimeProvider>::empty(origin.clone(), ZoneType::Primary, AxfrPolicy::Deny);
    let soa = SOA::new(ns.clone(), hostmaster, 1, 3600, 600, 86400, 60);
    let ok = zone.upsert_mut(Record::from_rdata(origin.clone(), 3600, RData::SOA(soa)), 1)
        && zone.upsert_mut(Record::from_rdata(origin.clone(), 3600, RData::NS(NS(ns))), 1);
    if !ok {
        return Err(format!("fake DNS: cannot create the zone {origin}"));
    }
    Ok(zone)
}

/// Answers from the catalog, except for the names told to misbehave.
pub struct Handler {
    catalog: Catalog,
    servfail: Vec<Name>,
    refused: Vec<Name>,
    silent: Vec<Name>,
}

#[async_trait]
impl RequestHandler for Handler {
    async fn handle_request<R: ResponseHandler, T: Time>(&self, request: &Request, mut response: R) -> ResponseInfo {
        let qname: Option<Name> = request.request_info().ok().map(|info| Name::from(info.query.name().clone()));
        let is = |list: &[Name]| qname.as_ref().is_some_and(|q| list.iter().any(|n| n == q));
        if is(&self.silent) {
            // Never answer: the client must give up at its own deadline.
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        let forced = if is(&self.servfail) {
            Some(ResponseCode::ServFail)
        } else if is(&self.refused) {
            Some(ResponseCode::Refused)
        } else {
            None
        };
        let Some(code) = forced else {
            return self.catalog.handle_request::<R, T>(request, response).await;
        };
        let message = MessageResponseBuilder::from_message_request(request).error_msg(&request.metadata, code);
        match response.send_response(message).await {
            Ok(info) => info,
            Err(_) => {
                let mut metadata = Metadata::response_from_request(&request.metadata);
                metadata.response_code = ResponseCode::ServFail;
                ResponseInfo::from(Header { metadata, counts: Default::default() })
            }
        }
    }
}

async fn listen(handler: Handler, with_tcp: bool) -> Result<(Server<Handler>, SocketAddr), String> {
    // UDP and TCP share a port; another process can take the TCP side between
    // the two binds, so try a few ports.
    let mut last = String::new();
    for _ in 0..5 {
        let udp = UdpSocket::bind("127.0.0.1:0").await.map_err(|e| format!("fake DNS: cannot bind UDP: {e}"))?;
        let addr = udp.local_addr().map_err(|e| format!("fake DNS: {e}"))?;
        if !with_tcp {
            let mut server = Server::new(handler);
            server.register_socket(udp);
            return Ok((server, addr));
        }
        match TcpListener::bind(addr).await {
            Ok(tcp) => {
                let mut server = Server::new(handler);
                server.register_socket(udp);
                server.register_listener(tcp, Duration::from_secs(5), 64);
                return Ok((server, addr));
            }
            Err(e) => last = format!("fake DNS: cannot bind TCP {addr}: {e}"),
        }
    }
    Err(last)
}
