//! Ordinary markup the website checks once missed: each home page below is
//! served by a real HTTP server on 127.0.0.1, and PaymentsAI's website probe
//! runs against it; links are found by an HTML parser by their text, and a
//! page without the link fails naming what was looked for and the links it
//! has. The exposure crawl finds the scripts of the same kinds of markup.

use std::time::Duration;

use golive::config::pack::BUILT_IN;
use golive::config::{Environment, Exposure};
use golive::plan::Selection;
use golive::report::Status;
use golive::runner::RunOptions;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::Tally;
use crate::exposure::{KEY, env, shown};
use crate::support::{env_at, pack_from, run_pack};

/// A home page and whether the Privacy Policy probe must find its link.
pub struct Case {
    /// What the markup is.
    pub name: &'static str,
    home: &'static str,
    found: bool,
}

const fn pass(name: &'static str, home: &'static str) -> Case {
    Case { name, home, found: true }
}

const fn fail(name: &'static str, home: &'static str) -> Case {
    Case { name, home, found: false }
}

/// Every markup variant tried.
pub fn cases() -> Vec<Case> {
    vec![
        pass(
            "nested spans and bold, single quotes (the issue's markup)",
            "<a href='/legal/privacy'><span>Privacy <b>Policy</b></span></a>",
        ),
        pass("upper-case tags, an unquoted href", "<A HREF=/legal/privacy>PRIVACY POLICY</A>"),
        pass("entities in the text", "<a href=\"/legal/privacy\">Privacy&nbsp;&amp;&nbsp;Cookies</a>"),
        pass("a `>` in an attribute before href", "<a data-x=\"a>b\" class=footer href=\"/legal/privacy\">Privacy</a>"),
        pass(
            "an image link with alt text",
            "<a href=\"/legal/privacy\"><img src=\"p.svg\" alt=\"Privacy Policy\"></a>",
        ),
        pass(
            "an icon link with aria-label",
            "<a href=\"/legal/privacy\" aria-label=\"Privacy policy\"><svg></svg></a>",
        ),
        pass("an absolute link to the same site", "<a href=\"http://127.0.0.1/legal/privacy\">Privacy</a>"),
        pass(
            "a relative link under <base href>",
            "<head><base href=\"/legal/\"></head><a href=\"privacy\">Privacy</a>",
        ),
        pass(
            "text split over lines",
            "<footer><ul><li><a\n   href=\"/legal/privacy\"\n>Our\n  privacy\n  notice</a></li></ul></footer>",
        ),
        pass("unclosed tags around it", "<div><p>Links<p><a href=/legal/privacy>Privacy</a><div>"),
        fail("the word in a paragraph, not a link", "<p>We respect your privacy.</p><a href=\"/about\">About us</a>"),
        fail("the link only inside a comment", "<!-- <a href=\"/legal/privacy\">Privacy</a> --><a href=\"/\">Home</a>"),
        fail("a page with no link at all", "<html><body>Welcome</body></html>"),
    ]
}

fn website_env(url: &str) -> Environment {
    Environment { website_url: Some(reqwest::Url::parse(url).expect("url")), ..env_at("http://127.0.0.1:9") }
}

/// Runs PaymentsAI's Privacy Policy probe against `home`.
pub fn check(case: &Case) -> Result<(), String> {
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let server = MockServer::start().await;
        let home = format!("<!doctype html><html><body>{}</body></html>", case.home);
        Mock::given(method("GET"))
            .and(path("/"))
            .respond_with(ResponseTemplate::new(200).set_body_raw(home, "text/html"))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/legal/privacy"))
            .respond_with(ResponseTemplate::new(200).set_body_raw("<h1>Privacy Policy</h1>", "text/html"))
            .mount(&server)
            .await;
        let text = BUILT_IN.iter().find(|(n, _)| *n == "paymentsai").map(|(_, t)| *t).expect("pack");
        let sel = Selection { only: vec!["pai-website-privacy".into()], ..Selection::default() };
        let opts = RunOptions { timeout: Some(Duration::from_secs(20)), ..RunOptions::default() };
        let r = run_pack(website_env(&server.uri()), pack_from(text), &sel, &opts).await.probes.remove(0);
        let said = shown(&r);
        match (case.found, r.status) {
            (true, Status::Pass) => {
                let read = server.received_requests().await.unwrap_or_default();
                if read.iter().any(|q| q.url.path() == "/legal/privacy") {
                    Ok(())
                } else {
                    Err(format!("passed without reading the linked page: {said}"))
                }
            }
            (false, Status::Fail)
                if said.contains("expected a link whose text matches /(?i)privacy/")
                    && (said.contains("the page has")) =>
            {
                Ok(())
            }
            (_, status) => Err(format!("ended {status}: {said}")),
        }
    })
}

/// Every variant tried.
pub fn tally() -> Tally {
    Tally::of(&cases(), |c| c.name.to_string(), check)
}

/// `<a href='/legal/privacy'><span>Privacy <b>Policy</b></span></a>` failed
/// with "expected matching /(?is)<a\b[^>]*>[^<]*privacy/, got the body".
#[test]
fn website_links_in_ordinary_markup_are_found_and_a_missing_one_lists_the_links_there_are() {
    tally().assert_held();
}

/// The front-end crawl finds scripts by an HTML parser too: one behind a
/// `<base href>`, one after a `>` in an attribute, a module preload.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_exposure_crawl_reads_scripts_the_regex_missed() {
    let server = MockServer::start().await;
    let page = "<html><head><base href=\"/static/\"><link rel=\"modulepreload\" href=\"chunk.js\"></head>\
<body><script data-x=\"a>b\" src=\"app.js\"></script></body></html>";
    Mock::given(method("GET"))
        .and(path("/"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(page, "text/html"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/static/app.js"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("console.log(1)", "text/javascript"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/static/chunk.js"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(format!("const k = \"{KEY}\";"), "text/javascript"))
        .mount(&server)
        .await;
    let exposure = Exposure {
        pages: vec![reqwest::Url::parse(&format!("{}/", server.uri())).expect("url")],
        ..Exposure::default()
    };
    let r = crate::exposure::probe(env(exposure)).await;
    let said = shown(&r);
    assert_eq!(r.status, Status::Fail, "{said}");
    assert!(said.contains("/static/chunk.js"), "the preloaded chunk was read: {said}");
    assert!(!said.contains(KEY), "{said}");
}
