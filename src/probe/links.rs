//! Links and scripts of an HTML page, found with an HTML parser (html5ever,
//! through scraper) the way a browser sees them, never with a regex over the
//! markup: `<a href='/legal/privacy'><span>Privacy <b>Policy</b></span></a>`
//! is a link whose text is "Privacy Policy", whatever its quotes, nesting,
//! entities, comments or case; `<base href>` moves where relative URLs point.
//!
//! Used by the `link` assertion and capture of the `http` kind (the website
//! probes) and by the exposure scan's front-end crawl (`<script src>`).

use std::sync::LazyLock;

use regex::Regex;
use scraper::{ElementRef, Html, Selector};

/// A link of a page: its visible text and its `href` as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The text content, whitespace collapsed; for a link without text (an
    /// image or an icon), its `aria-label`, `title` or the `alt` of an image in it.
    pub text: String,
    /// The `href` attribute as written.
    pub href: String,
}

/// At most this many links of a page are named in a failure.
const SHOWN: usize = 12;

fn selector(css: &str) -> Option<Selector> {
    Selector::parse(css).ok()
}

static ANCHORS: LazyLock<Option<Selector>> = LazyLock::new(|| selector("a[href], area[href]"));
static IMAGES: LazyLock<Option<Selector>> = LazyLock::new(|| selector("img[alt]"));
static SCRIPTS: LazyLock<Option<Selector>> = LazyLock::new(|| selector("script[src]"));
static PRELOADS: LazyLock<Option<Selector>> =
    LazyLock::new(|| selector(r#"link[rel~="modulepreload"][href], link[rel~="preload"][as="script"][href]"#));
static BASE: LazyLock<Option<Selector>> = LazyLock::new(|| selector("base[href]"));

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn text_of(a: ElementRef<'_>) -> String {
    let text = collapse(&a.text().collect::<String>());
    if !text.is_empty() {
        return text;
    }
    let attr = |name: &str| a.value().attr(name).map(collapse).filter(|t| !t.is_empty());
    attr("aria-label")
        .or_else(|| attr("title"))
        .or_else(|| {
            IMAGES.as_ref().and_then(|s| a.select(s).filter_map(|img| img.value().attr("alt")).map(collapse).next())
        })
        .unwrap_or_default()
}

/// Every link of the page, in document order.
pub fn links(html: &str) -> Vec<Link> {
    let doc = Html::parse_document(html);
    let Some(anchors) = ANCHORS.as_ref() else { return Vec::new() };
    doc.select(anchors)
        .filter_map(|a| {
            let href = a.value().attr("href")?.trim().to_string();
            Some(Link { text: text_of(a), href })
        })
        .collect()
}

/// The first link whose text matches `text`.
pub fn find(html: &str, text: &Regex) -> Result<Link, String> {
    let all = links(html);
    match all.iter().find(|l| text.is_match(&l.text)) {
        Some(l) => Ok(l.clone()),
        None => Err(not_found(text, &all)),
    }
}

/// The check of a `link` assertion on an HTML body: which link matched, or
/// what was looked for and the links the page has.
pub fn check(body: &[u8], text: &Regex) -> crate::report::Check {
    use crate::report::{Check, Status};
    let expected = format!("a link whose text matches /{}/", text.as_str());
    match find(&String::from_utf8_lossy(body), text) {
        Ok(l) => {
            let found = describe(&l);
            Check::new("link", Status::Pass, format!("link {found}")).with_values(expected, found)
        }
        Err(why) => Check::new("link", Status::Fail, why).with_values(expected, "no such link".to_string()),
    }
}

/// The failure: what was looked for and the links there were.
fn not_found(text: &Regex, all: &[Link]) -> String {
    let wanted = format!("a link whose text matches /{}/", text.as_str());
    if all.is_empty() {
        return format!("expected {wanted}; the page has no link (<a href>) at all");
    }
    let shown: Vec<String> = all.iter().take(SHOWN).map(describe).collect();
    let more = if all.len() > SHOWN { format!(" and {} more", all.len() - SHOWN) } else { String::new() };
    format!(
        "expected {wanted}; the page has {}: {}{more}",
        crate::report::text::count(all.len() as i64, "link", "links"),
        shown.join(", ")
    )
}

/// One link as a failure lists it: `"About us" → /about`.
pub fn describe(l: &Link) -> String {
    let text = if l.text.is_empty() { "(no text)".to_string() } else { format!("\"{}\"", short(&l.text)) };
    format!("{text} → {}", short(&l.href))
}

fn short(text: &str) -> String {
    if text.chars().count() > 60 {
        format!("{}…", text.chars().take(60).collect::<String>())
    } else {
        text.to_string()
    }
}

/// The URL relative links of the page resolve against: its `<base href>`
/// (itself resolved against the page), else the page's own URL.
pub fn base_url(doc: &Html, page: &reqwest::Url) -> reqwest::Url {
    BASE.as_ref()
        .and_then(|s| doc.select(s).next())
        .and_then(|b| b.value().attr("href"))
        .and_then(|href| page.join(href.trim()).ok())
        .unwrap_or_else(|| page.clone())
}

/// What a followed link gives to `${website_url}/${path}`: the path and query
/// of `href` resolved against the page (and its `<base href>`), without the
/// leading `/`; the host stays the site's, so only same-site pages are read.
pub fn site_path(html: &str, page: &reqwest::Url, href: &str) -> Option<String> {
    let doc = Html::parse_document(html);
    let url = base_url(&doc, page).join(href).ok()?;
    let mut path = url.path().trim_start_matches('/').to_string();
    if let Some(q) = url.query() {
        path.push('?');
        path.push_str(q);
    }
    Some(path)
}

/// The same-origin scripts a page loads (`<script src>`, module preloads), in
/// order, without repeats; resolved against its `<base href>`.
pub fn scripts(page: &reqwest::Url, html: &str) -> Vec<reqwest::Url> {
    let doc = Html::parse_document(html);
    let base = base_url(&doc, page);
    let mut out: Vec<reqwest::Url> = Vec::new();
    let found = [(SCRIPTS.as_ref(), "src"), (PRELOADS.as_ref(), "href")]
        .into_iter()
        .filter_map(|(s, attr)| s.map(|s| (s, attr)))
        .flat_map(|(s, attr)| doc.select(s).filter_map(move |e| e.value().attr(attr)).collect::<Vec<_>>());
    for src in found {
        let Ok(url) = base.join(src.trim()) else { continue };
        if url.origin() == page.origin() && !out.contains(&url) {
            out.push(url);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn re(text: &str) -> Regex {
        Regex::new(text).unwrap()
    }

    #[test]
    fn a_link_is_found_by_its_text_through_nesting_quotes_entities_and_case() {
        let html = r#"<A HREF='/legal/privacy'><span>Privacy <b>Policy</b></span></A>
<a href=/terms>Terms&nbsp;&amp;&nbsp;Conditions</a><!-- <a href="/fake">Refund</a> -->
<a href="/r"><img src="x.png" alt="Refund policy"></a>"#;
        assert_eq!(find(html, &re("(?i)privacy")).unwrap().href, "/legal/privacy");
        assert_eq!(find(html, &re("(?i)terms")).unwrap().text, "Terms & Conditions");
        assert_eq!(find(html, &re("(?i)refund")).unwrap().href, "/r", "a commented-out link is no link");
        let err = find(html, &re("(?i)checkout")).unwrap_err();
        assert!(err.contains("/(?i)checkout/") && err.contains("\"Privacy Policy\" → /legal/privacy"), "{err}");
    }

    #[test]
    fn scripts_follow_the_base_href_and_stay_on_the_site() {
        let page = reqwest::Url::parse("https://shop.example.test/checkout/").unwrap();
        let html = r#"<base href="/static/"><script data-x=">" src="app.js"></script>
<link rel="modulepreload" href="chunk.js"><script src="https://cdn.example.net/lib.js"></script>"#;
        let got: Vec<String> = scripts(&page, html).iter().map(|u| u.to_string()).collect();
        assert_eq!(got, vec!["https://shop.example.test/static/app.js", "https://shop.example.test/static/chunk.js"]);
    }
}
