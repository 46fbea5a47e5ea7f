//! The `fcrdns` probe against the in-process authoritative DNS server, with
//! certificates made by rcgen. Loopback only; record data on TEST-NET only.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use golive::config::Environment;
use golive::plan::Selection;
use golive::report::{ProbeReport, Status};
use golive::runner::RunOptions;
use golive_fakes::{FakeDns, FakeDnsBuilder};
use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, SanType};

use crate::support::{golive, pack_from, run_pack, stdout};

const API: &str = "api.example.test";
const WWW: &str = "www.example.test";
const IP: &str = "203.0.113.10";

fn ip(text: &str) -> IpAddr {
    text.parse().expect("test address")
}

/// A certificate file in its own temporary folder.
struct Cert {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

/// A self-signed certificate with this CN, these dNSName SANs and these iPAddress SANs.
fn cert(cn: &str, dns: &[&str], ips: &[&str]) -> Cert {
    let key = KeyPair::generate().expect("key");
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    params.distinguished_name = dn;
    params.subject_alt_names = dns
        .iter()
        .map(|d| SanType::DnsName(rcgen::string::Ia5String::try_from(*d).expect("ia5")))
        .chain(ips.iter().map(|i| SanType::IpAddress(ip(i))))
        .collect();
    let pem = params.self_signed(&key).expect("self-signed").pem();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("client.crt");
    std::fs::write(&path, pem).expect("write cert");
    Cert { _dir: dir, path }
}

fn env(nameserver: SocketAddr, ips: &[&str], cert: &Cert) -> Environment {
    Environment {
        name: "test".into(),
        pack: "test".into(),
        calling_ips: ips.iter().map(|i| ip(i)).collect(),
        nameservers: vec![nameserver],
        client_cert: Some(cert.path.clone()),
        ..Environment::default()
    }
}

fn pack_text(params: &str, timeout: &str) -> String {
    format!(
        "[pack]\nname = \"test\"\ntitle = \"Test\"\nrunbook = \"test-runbook\"\n\n[[probe]]\nid = \"fcrdns\"\nkind = \"fcrdns\"\ntitle = \"FCrDNS\"\n{timeout}\n[probe.params]\n{params}\n"
    )
}

async fn run_with(env: Environment, params: &str, timeout: &str) -> ProbeReport {
    let pack = pack_from(&pack_text(params, timeout));
    let mut summary = run_pack(env, pack, &Selection::default(), &RunOptions::default()).await;
    summary.probes.remove(0)
}

/// Runs the probe with the cert's names and these calling IPs against `dns`.
async fn run(dns: &FakeDns, ips: &[&str], cert: &Cert) -> ProbeReport {
    run_with(env(dns.addr(), ips, cert), "", "").await
}

async fn start(b: FakeDnsBuilder) -> FakeDns {
    b.start().await.expect("fake DNS starts")
}

fn consistent() -> FakeDnsBuilder {
    FakeDns::builder().a(API, ip(IP)).ptr(ip(IP), API)
}

/// The check named `name`, or a panic showing the whole report.
fn check<'a>(r: &'a ProbeReport, name: &str) -> &'a golive::report::Check {
    r.checks.iter().find(|c| c.name == name).unwrap_or_else(|| panic!("no check `{name}` in {r:#?}"))
}

fn statuses(r: &ProbeReport) -> Vec<(String, Status)> {
    r.checks.iter().map(|c| (c.name.clone(), c.status)).collect()
}

fn diagnosis(r: &ProbeReport) -> String {
    r.diagnosis.as_ref().map(|d| format!("{} | {}", d.cause, d.fix)).unwrap_or_default()
}

#[tokio::test]
async fn consistent_forward_and_reverse_pass_and_a_company_cn_is_not_a_name() {
    let dns = start(consistent()).await;
    let cert = cert("Example Merchant Ltd", &[API], &[]);
    let r = run(&dns, &[IP], &cert).await;
    assert_eq!(r.status, Status::Pass, "{r:#?}");
    assert_eq!(
        statuses(&r),
        [(format!("ip {IP}"), Status::Pass), (format!("name {API}"), Status::Pass)],
        "the company CN is not resolved"
    );
    let m = &check(&r, &format!("ip {IP}")).message;
    assert!(
        m.contains("PTR 10.113.0.203.in-addr.arpa. → api.example.test.")
            && m.contains("A api.example.test. → 203.0.113.10"),
        "{m}"
    );
    assert_eq!(r.facts["lookups"][0]["ptr"][0], "api.example.test.", "{:#?}", r.facts);
    assert_eq!(r.facts["lookups"][0]["forward"][0]["answer"][0], IP);
    assert_eq!(r.facts["nameservers"], dns.addr().to_string());
}

#[tokio::test]
async fn a_missing_ptr_is_nxdomain_and_the_fix_names_the_cert_domain() {
    let dns = start(FakeDns::builder().a(API, ip("203.0.113.20"))).await;
    let r = run(&dns, &["203.0.113.20"], &cert(API, &[API], &[])).await;
    assert_eq!(r.status, Status::Fail, "{r:#?}");
    assert!(check(&r, "ip 203.0.113.20").message.contains("NXDOMAIN"), "{r:#?}");
    let d = diagnosis(&r);
    assert!(d.contains("no PTR for 203.0.113.20"), "{d}");
    assert!(d.contains("usually your cloud provider") && d.contains("set PTR 203.0.113.20 → api.example.test"), "{d}");
}

#[tokio::test]
async fn a_ptr_name_not_in_the_certificate_fails_naming_both() {
    let other = "203-0-113-10.compute.provider.test";
    let dns = start(FakeDns::builder().a(API, ip(IP)).ptr(ip(IP), other).a(other, ip(IP))).await;
    let r = run(&dns, &[IP], &cert(API, &[API], &[])).await;
    assert_eq!(r.status, Status::Fail, "{r:#?}");
    let d = diagnosis(&r);
    assert!(d.contains(other) && d.contains("not a name in the certificate (api.example.test)"), "{d}");
    assert_eq!(check(&r, &format!("name {API}")).status, Status::Pass);
}

#[tokio::test]
async fn an_a_record_pointing_elsewhere_breaks_the_forward_link() {
    let dns = start(FakeDns::builder().a(API, ip("198.51.100.7")).ptr(ip(IP), API)).await;
    let r = run(&dns, &[IP], &cert(API, &[API], &[])).await;
    assert_eq!(r.status, Status::Fail, "{r:#?}");
    assert!(check(&r, &format!("ip {IP}")).message.contains("198.51.100.7"), "{r:#?}");
    let name = check(&r, &format!("name {API}"));
    assert_eq!(name.status, Status::Fail);
    assert!(name.message.contains("points elsewhere") && name.message.contains("198.51.100.7"), "{name:#?}");
    assert!(diagnosis(&r).contains("A api.example.test. → 198.51.100.7, not 203.0.113.10"), "{}", diagnosis(&r));
}

#[tokio::test]
async fn a_name_without_a_records_is_nodata() {
    let dns = start(FakeDns::builder().txt(API, "no address here").ptr(ip(IP), API)).await;
    let r = run(&dns, &[IP], &cert(API, &[API], &[])).await;
    assert_eq!(r.status, Status::Fail, "{r:#?}");
    assert!(
        check(&r, &format!("ip {IP}"))
            .message
            .contains("A api.example.test. → NODATA: api.example.test. is in the certificate, but has no A record"),
        "{r:#?}"
    );
    let name = check(&r, &format!("name {API}"));
    assert!(name.message.contains("has no A or AAAA record"), "{name:#?}");
    assert!(diagnosis(&r).contains("create the record api.example.test A 203.0.113.10"), "{}", diagnosis(&r));
}

#[tokio::test]
async fn an_a_rrset_with_several_addresses_including_the_ip_passes() {
    let b = FakeDns::builder().a(API, ip("198.51.100.1")).a(API, ip(IP)).a(API, ip("192.0.2.5")).ptr(ip(IP), API);
    let dns = start(b).await;
    let r = run(&dns, &[IP], &cert(API, &[API], &[])).await;
    assert_eq!(r.status, Status::Pass, "{r:#?}");
}

fn large_rrset() -> FakeDnsBuilder {
    // 150 A records (about 2.4 kB) do not fit a 1232-byte UDP answer.
    (1..=150u8).fold(consistent(), |b, i| b.a(API, IpAddr::from([198, 51, 100, i])))
}

#[tokio::test]
async fn a_truncated_udp_answer_is_fetched_again_over_tcp() {
    let dns = start(large_rrset()).await;
    let r = run(&dns, &[IP], &cert(API, &[API], &[])).await;
    assert_eq!(r.status, Status::Pass, "{r:#?}");
    // The same zone without TCP: the truncated answer is all there is.
    let udp_only = start(large_rrset().without_tcp()).await;
    let r = run_with(env(udp_only.addr(), &[IP], &cert(API, &[API], &[])), "", "timeout = \"2s\"").await;
    assert_ne!(r.status, Status::Pass, "the pass above needed TCP: {r:#?}");
}

#[tokio::test]
async fn two_ptr_names_both_good_pass_with_a_note() {
    let b = consistent().ptr(ip(IP), WWW).a(WWW, ip(IP));
    let dns = start(b).await;
    let r = run(&dns, &[IP], &cert(API, &[API, WWW], &[])).await;
    assert_eq!(r.status, Status::Pass, "{r:#?}");
    assert!(check(&r, &format!("ip {IP}")).message.contains("all 2 PTR names"), "{r:#?}");
}

#[tokio::test]
async fn two_ptr_names_one_bad_warn_naming_the_other() {
    let b = consistent().ptr(ip(IP), "legacy.example.test").a("legacy.example.test", ip(IP));
    let dns = start(b).await;
    let r = run(&dns, &[IP], &cert(API, &[API], &[])).await;
    assert_eq!(r.status, Status::Warn, "{r:#?}");
    let m = &check(&r, &format!("ip {IP}")).message;
    assert!(m.contains("legacy.example.test. is not a name in the certificate"), "{m}");
    assert!(diagnosis(&r).contains("remove the other PTR records"), "{}", diagnosis(&r));
}

/// A second PTR name whose forward lookup gets no answer is "unknown", not
/// "has no A record": the record may exist.
#[tokio::test]
async fn a_second_ptr_name_whose_forward_lookup_times_out_is_unknown_not_missing() {
    let dns = start(consistent().ptr(ip(IP), WWW).silent(WWW)).await;
    let cert = cert(API, &[API, WWW], &[]);
    let r = run_with(env(dns.addr(), &[IP], &cert), "", "timeout = \"1s\"").await;
    let m = &check(&r, &format!("ip {IP}")).message;
    assert!(m.contains("lookup got no answer (timeout): unknown"), "{m}");
    assert!(!m.contains("has no A record"), "{m}");
}

#[tokio::test]
async fn more_ptr_names_than_max_ptr_warn() {
    let b = consistent().ptr(ip(IP), WWW).a(WWW, ip(IP)).ptr(ip(IP), "m.example.test").a("m.example.test", ip(IP));
    let dns = start(b).await;
    let cert = cert(API, &[API, WWW, "m.example.test"], &[]);
    let r = run_with(env(dns.addr(), &[IP], &cert), "max_ptr = 2", "").await;
    assert_eq!(r.status, Status::Warn, "{r:#?}");
    assert!(check(&r, &format!("ip {IP}")).message.contains("1 more PTR name not checked"), "{r:#?}");
}

#[tokio::test]
async fn a_refused_forward_lookup_is_an_error_not_a_failure() {
    let dns = start(consistent().refused(API)).await;
    let r = run(&dns, &[IP], &cert(API, &[API], &[])).await;
    assert_eq!(r.status, Status::Error, "{r:#?}");
    assert!(check(&r, &format!("ip {IP}")).message.contains("REFUSED"), "{r:#?}");
    assert_eq!(check(&r, &format!("name {API}")).status, Status::Error);
    assert!(diagnosis(&r).contains("refused the query"), "{}", diagnosis(&r));
}

#[tokio::test]
async fn servfail_is_an_error_kept_apart_from_nxdomain() {
    let dns = start(consistent().servfail_ptr(ip(IP))).await;
    let r = run(&dns, &[IP], &cert(API, &[API], &[])).await;
    assert_eq!(r.status, Status::Error, "{r:#?}");
    let m = &check(&r, &format!("ip {IP}")).message;
    assert!(m.contains("SERVFAIL") && !m.contains("NXDOMAIN"), "{m}");
}

#[tokio::test]
async fn a_server_that_never_answers_is_an_error_at_the_deadline() {
    // Bound but never read: UDP queries and TCP connections go unanswered.
    // The same port for both: another test may hold the TCP side of a free
    // UDP port, so try a few ports.
    let (_udp, _tcp, addr) = (0..50)
        .find_map(|_| {
            let udp = std::net::UdpSocket::bind("127.0.0.1:0").ok()?;
            let addr = udp.local_addr().ok()?;
            let tcp = std::net::TcpListener::bind(addr).ok()?;
            Some((udp, tcp, addr))
        })
        .expect("a loopback port free for both UDP and TCP");
    let cert = cert(API, &[API], &[]);
    // Nothing ever answers: only the probe's deadline ends the wait.
    let _watchdog = crate::support::Watchdog::new("fcrdns::never_answers", Duration::from_secs(60));
    let r = run_with(env(addr, &[IP], &cert), "", "timeout = \"1s\"").await;
    assert_eq!(r.status, Status::Error, "{r:#?}");
    // The probe reports each lookup itself, before the runner cuts it off.
    let m = &check(&r, &format!("ip {IP}")).message;
    assert!(m.contains("timeout"), "{m}");
    assert!(diagnosis(&r).contains("answers from here"), "{}", diagnosis(&r));
}

#[tokio::test]
async fn a_silent_name_times_out_while_the_rest_is_judged() {
    let dns = start(consistent().silent(WWW)).await;
    let cert = cert(API, &[API, WWW], &[]);
    let r = run_with(env(dns.addr(), &[IP], &cert), "", "timeout = \"1s\"").await;
    assert_eq!(check(&r, &format!("ip {IP}")).status, Status::Pass, "{r:#?}");
    assert_eq!(check(&r, &format!("name {WWW}")).status, Status::Error, "{r:#?}");
    assert_eq!(r.status, Status::Error);
}

#[tokio::test]
async fn ipv6_consistent_passes() {
    let v6 = "2001:db8::10";
    let dns = start(FakeDns::builder().a(API, ip(v6)).ptr(ip(v6), API)).await;
    let r = run(&dns, &[v6], &cert(API, &[API], &[])).await;
    assert_eq!(r.status, Status::Pass, "{r:#?}");
    assert!(check(&r, "ip 2001:db8::10").message.contains("ip6.arpa."), "{r:#?}");
}

#[tokio::test]
async fn ipv6_inconsistent_fails_on_aaaa() {
    let dns = start(FakeDns::builder().a(API, ip("2001:db8::99")).ptr(ip("2001:db8::10"), API)).await;
    let r = run(&dns, &["2001:db8::10"], &cert(API, &[API], &[])).await;
    assert_eq!(r.status, Status::Fail, "{r:#?}");
    assert!(diagnosis(&r).contains("AAAA api.example.test. → 2001:db8::99, not 2001:db8::10"), "{}", diagnosis(&r));
}

#[tokio::test]
async fn an_ipv4_mapped_calling_ip_is_treated_as_ipv4() {
    let dns = start(consistent()).await;
    let r = run(&dns, &["::ffff:203.0.113.10"], &cert(API, &[API], &[])).await;
    assert_eq!(r.status, Status::Pass, "{r:#?}");
    check(&r, &format!("ip {IP}"));
}

#[tokio::test]
async fn a_cert_name_differing_only_in_letter_case_matches() {
    let dns = start(FakeDns::builder().a(API, ip(IP)).ptr(ip(IP), "Api.Example.TEST")).await;
    let r = run(&dns, &[IP], &cert("API.Example.Test", &["API.EXAMPLE.test"], &[])).await;
    assert_eq!(r.status, Status::Pass, "{r:#?}");
}

#[tokio::test]
async fn a_wildcard_san_never_matches_and_is_named() {
    let dns = start(consistent()).await;
    let r = run(&dns, &[IP], &cert("Example Merchant Ltd", &["*.example.test"], &[])).await;
    assert_eq!(r.status, Status::Fail, "{r:#?}");
    let m = &check(&r, &format!("ip {IP}")).message;
    assert!(m.contains("covered only by the wildcard SAN *.example.test"), "{m}");
    assert_eq!(check(&r, "name *.example.test").status, Status::Warn);
    assert_eq!(check(&r, "certificate").status, Status::Fail, "a cert with no exact name is a failure");
}

#[tokio::test]
async fn an_ip_san_is_compared_as_an_address() {
    let dns = start(consistent()).await;
    let r = run(&dns, &[IP], &cert(API, &[API], &["::ffff:203.0.113.10"])).await;
    assert_eq!(r.status, Status::Pass, "{r:#?}");
    let san = check(&r, &format!("name {IP}"));
    assert!(san.message.contains("compared as addresses"), "{san:#?}");
}

#[tokio::test]
async fn a_cert_domain_pointing_elsewhere_fails_with_the_addresses_seen() {
    let b = consistent().a(WWW, ip("198.51.100.9")).a(WWW, ip("2001:db8::9"));
    let dns = start(b).await;
    let r = run(&dns, &[IP], &cert(API, &[API, WWW], &[])).await;
    assert_eq!(r.status, Status::Fail, "{r:#?}");
    assert_eq!(check(&r, &format!("ip {IP}")).status, Status::Pass);
    let www = check(&r, &format!("name {WWW}"));
    assert_eq!(www.status, Status::Fail);
    assert!(www.message.contains("198.51.100.9") && www.message.contains("2001:db8::9"), "{www:#?}");
    assert!(diagnosis(&r).contains("www.example.test resolves to 198.51.100.9, 2001:db8::9"), "{}", diagnosis(&r));
}

#[tokio::test]
async fn params_override_names_and_calling_ips() {
    let dns = start(consistent()).await;
    let env = Environment { nameservers: vec![dns.addr()], ..Environment::default() };
    let r = run_with(env, "names = [\"api.example.test\"]\ncalling_ips = [\"203.0.113.10\"]", "").await;
    assert_eq!(r.status, Status::Pass, "{r:#?}");
}

#[tokio::test]
async fn no_calling_ips_is_an_error_saying_where_to_set_them() {
    let dns = start(consistent()).await;
    let r = run(&dns, &[], &cert(API, &[API], &[])).await;
    assert_eq!(r.status, Status::Error, "{r:#?}");
    assert!(diagnosis(&r).contains("calling_ips"), "{}", diagnosis(&r));
}

#[test]
fn unknown_params_are_rejected_when_the_plan_is_built() {
    let pack = pack_from(&pack_text("max_ptrs = 3", ""));
    let err = golive::plan::Plan::build("test", vec![(Environment::default(), pack)], &Selection::default())
        .err()
        .expect("unknown param refused");
    assert!(err.render(false).contains("max_ptrs"), "{}", err.render(false));
}

#[test]
fn the_demo_passes_and_each_broken_dns_scenario_fails_with_its_diagnosis() {
    let ok = golive(&["verify", "--env", "demo", "--only", "axys-fcrdns", "--no-progress"]);
    assert_eq!(ok.status.code(), Some(0), "{}", stdout(&ok));
    for (scenario, expect) in [
        ("ptr-missing", "no PTR for 203.0.113.10"),
        ("ptr-not-in-cert", "not a name in the certificate"),
        ("a-points-elsewhere", "A api.golive-demo.test. → 198.51.100.77, not 203.0.113.10"),
    ] {
        let out =
            golive(&["verify", "--env", "demo", "--scenario", scenario, "--only", "axys-fcrdns", "--no-progress"]);
        assert_eq!(out.status.code(), Some(1), "{scenario}: {}", stdout(&out));
        assert!(stdout(&out).contains(expect), "{scenario}: {}", stdout(&out));
    }
}
