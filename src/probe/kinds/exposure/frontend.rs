//! The live front end: each configured page, fetched with the run's HTTP
//! client, and the same-origin scripts it loads (`<script src>`, found by an
//! HTML parser: `crate::probe::links`), within a
//! bound on their count and size; a bound that cut the scan is said.

use std::time::Instant;

use super::matcher::Matcher;
use super::scan::{Found, MAX_FINDINGS, Modes, Scanner};
use crate::report::trace::Trace;

/// At most this many scripts are read, over all pages.
pub const MAX_SCRIPTS: usize = 50;
/// At most this many bytes of each page or script are read.
pub const MAX_BYTES: u64 = 5 * 1024 * 1024;

/// A finding in a page or script.
#[derive(Debug, Clone)]
pub struct PageFinding {
    /// The page or script URL, as logs may show it.
    pub url: String,
    /// What and where.
    pub found: Found,
}

/// What the page scan saw.
#[derive(Debug, Default)]
pub struct PageScan {
    /// Findings.
    pub findings: Vec<PageFinding>,
    /// Findings beyond the bound.
    pub more: usize,
    /// Pages read.
    pub pages: usize,
    /// Scripts read.
    pub scripts: usize,
    /// Bytes read.
    pub bytes: u64,
    /// Where a bound cut the scan.
    pub cut: Vec<String>,
    /// Pages or scripts that could not be read, with why.
    pub errors: Vec<String>,
}

/// The same-origin script URLs a page loads, in order, without repeats,
/// found by an HTML parser (`<base href>`, any quoting, module preloads).
pub fn scripts(page: &reqwest::Url, html: &str) -> Vec<reqwest::Url> {
    crate::probe::links::scripts(page, html)
}

/// Reads `url` through `scanner`; returns the page text kept for script
/// discovery (up to [`MAX_BYTES`]) when `keep` is set.
/// Records the request in the probe's trace, as every probe does: URL, status
/// and masked headers; the body is scanned, never kept (it may hold the very
/// secrets the scan looks for).
fn trace(trace: &Trace, url: &reqwest::Url, answer: Result<&reqwest::Response, &str>, started: Instant) {
    trace.record(
        "http",
        serde_json::json!({
            "method": "GET",
            "url": url.as_str(),
            "request": { "headers": [], "body": null },
            "response": answer.ok().map(|r| serde_json::json!({
                "status": r.status().as_u16(),
                "headers": crate::net::masked_headers(r.headers()),
                "body": null,
            })),
            "error": answer.err(),
            "duration_ms": started.elapsed().as_millis() as u64,
        }),
    );
}

async fn fetch(
    client: &reqwest::Client,
    url: &reqwest::Url,
    scanner: &mut Scanner<'_>,
    keep: bool,
    scan: &mut PageScan,
    record: &Trace,
) -> Result<Vec<u8>, String> {
    let started = Instant::now();
    // Reset first: a fetch cut short keeps only its own findings.
    scanner.reset();
    let sent = client.get(url.clone()).send().await;
    let mut response = match sent {
        Ok(r) => r,
        Err(e) => {
            crate::net::log_request("GET", url.as_str(), Err(crate::net::error_class(&e).as_str()), started.elapsed());
            let why = format!("{}: {}", crate::net::loggable(url), crate::net::describe(&e));
            trace(record, url, Err(&why), started);
            return Err(why);
        }
    };
    let status = response.status();
    crate::net::log_request("GET", url.as_str(), Ok(status.as_u16()), started.elapsed());
    trace(record, url, Ok(&response), started);
    if !status.is_success() {
        return Err(format!(
            "{} answered {status}: configure the final URL of the page (redirects are not followed)",
            crate::net::loggable(url)
        ));
    }
    let mut kept = Vec::new();
    let mut read = 0u64;
    loop {
        let chunk = match response.chunk().await {
            Ok(Some(c)) => c,
            Ok(None) => break,
            Err(e) => return Err(format!("{}: {}", crate::net::loggable(url), crate::net::describe(&e))),
        };
        let room = (MAX_BYTES - read) as usize;
        let take = &chunk[..chunk.len().min(room)];
        scanner.feed(take);
        read += take.len() as u64;
        if keep {
            kept.extend_from_slice(take);
        }
        if take.len() < chunk.len() {
            scan.cut.push(format!(
                "{} is larger than {} MiB: only its first {} MiB were read",
                crate::net::loggable(url),
                MAX_BYTES >> 20,
                MAX_BYTES >> 20
            ));
            break;
        }
    }
    scan.bytes += read;
    keep_found(scanner, url, scan);
    Ok(kept)
}

/// Ends the scanner's current source and keeps its findings for `url`; also
/// after a fetch cut short (an error, the deadline): what was read and found stands.
fn keep_found(scanner: &mut Scanner<'_>, url: &reqwest::Url, scan: &mut PageScan) {
    scanner.finish();
    let shown = crate::net::loggable(url);
    for found in scanner.found.drain(..) {
        if scan.findings.len() < MAX_FINDINGS {
            scan.findings.push(PageFinding { url: shown.clone(), found });
        } else {
            scan.more += 1;
        }
    }
    scan.more += std::mem::take(&mut scanner.more);
}

/// Fetches `url` before `until`, else says it did not answer in time.
async fn fetch_by(
    until: Instant,
    url: &reqwest::Url,
    fetching: impl std::future::Future<Output = Result<Vec<u8>, String>>,
) -> Result<Vec<u8>, String> {
    tokio::time::timeout_at(until.into(), fetching).await.unwrap_or_else(|_| {
        Err(format!(
            "{}: no complete answer before the probe's deadline (the other sources' findings stand); raise --timeout",
            crate::net::loggable(url)
        ))
    })
}

/// Every page, then the same-origin scripts they load (at most [`MAX_SCRIPTS`]),
/// each fetch ending by `until`.
pub async fn scan_pages(
    client: &reqwest::Client,
    pages: &[reqwest::Url],
    m: &Matcher,
    record: &Trace,
    until: Instant,
) -> PageScan {
    let mut scan = PageScan::default();
    let mut scanner = Scanner::new(m, Modes { cards: false, headers: true });
    let mut queue: Vec<reqwest::Url> = Vec::new();
    for page in pages {
        match fetch_by(until, page, fetch(client, page, &mut scanner, true, &mut scan, record)).await {
            Ok(html) => {
                scan.pages += 1;
                for s in scripts(page, &String::from_utf8_lossy(&html)) {
                    if !queue.contains(&s) && !pages.contains(&s) {
                        queue.push(s);
                    }
                }
            }
            Err(e) => {
                keep_found(&mut scanner, page, &mut scan);
                scan.errors.push(e);
            }
        }
    }
    if queue.len() > MAX_SCRIPTS {
        scan.cut
            .push(format!("the pages load {} same-site scripts: only the first {MAX_SCRIPTS} were read", queue.len()));
        queue.truncate(MAX_SCRIPTS);
    }
    for script in &queue {
        match fetch_by(until, script, fetch(client, script, &mut scanner, false, &mut scan, record)).await {
            Ok(_) => scan.scripts += 1,
            Err(e) => {
                keep_found(&mut scanner, script, &mut scan);
                scan.errors.push(e);
            }
        }
    }
    scan
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_same_origin_scripts_are_followed() {
        let page = reqwest::Url::parse("https://shop.example.test/checkout/").unwrap();
        let html = r#"<script src="/app.js"></script><SCRIPT type=module src=chunk.js?v=1&amp;x=2></SCRIPT>
<script src="https://cdn.example.net/lib.js"></script><script src="//shop.example.test/app.js"></script><script>inline</script>"#;
        let got: Vec<String> = scripts(&page, html).iter().map(|u| u.to_string()).collect();
        assert_eq!(
            got,
            vec!["https://shop.example.test/app.js", "https://shop.example.test/checkout/chunk.js?v=1&x=2"]
        );
    }
}
