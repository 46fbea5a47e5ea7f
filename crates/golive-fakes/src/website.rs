//! A fake merchant website for the PaymentsAI compliance checks: a home page
//! linking Terms and Conditions, Privacy Policy, Refund Policy and checkout,
//! with a contact email and phone, and a checkout page showing the currency.

use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

/// How the website is broken, if at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Site {
    /// Everything the runbook asks for is there.
    Complete,
    /// No Refund Policy: no link, and its page answers 404.
    NoRefundPolicy,
}

fn html(title: &str, body: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).insert_header("content-type", "text/html; charset=utf-8").set_body_string(format!(
        "<!doctype html><html><head><title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>"
    ))
}

/// Starts the website on 127.0.0.1 with a random port.
pub async fn start(site: Site) -> super::Wiremock {
    let server = super::Wiremock::start().await;
    let refund_link =
        if site == Site::Complete { r#"<li><a href="/legal/refunds">Refund Policy</a></li>"# } else { "" };
    let home = format!(
        r#"<nav><a href="/">Home</a> <a href="/shop">Shop</a> <a href="/checkout">Checkout</a></nav>
<footer><ul><li><a href="/legal/terms">Terms and Conditions</a></li>
<li><a href="/legal/privacy">Privacy Policy</a></li>{refund_link}</ul>
<p>Contact us: <a href="mailto:support@shop.golive-demo.test">support@shop.golive-demo.test</a>,
<a href="tel:+14155550100">+1 415 555 0100</a></p></footer>"#
    );
    let mut pages = vec![
        ("/", html("Golive Demo Shop", &home)),
        ("/legal/terms", html("Terms and Conditions", "<p>These Terms and Conditions govern your purchases.</p>")),
        ("/legal/privacy", html("Privacy Policy", "<p>This Privacy Policy explains what we collect.</p>")),
        (
            "/checkout",
            html(
                "Checkout",
                r#"<p>Order total: <strong>USD 49.00</strong> (US$49.00)</p><script src="/assets/checkout.js"></script>"#,
            ),
        ),
    ];
    if site == Site::Complete {
        pages.push(("/legal/refunds", html("Refund Policy", "<p>Refunds within 30 days of purchase.</p>")));
    }
    // The checkout's script calls the shop's backend, never the partner with a key.
    pages.push((
        "/assets/checkout.js",
        ResponseTemplate::new(200)
            .insert_header("content-type", "text/javascript")
            .set_body_string("fetch('/api/checkout', { method: 'POST', body: JSON.stringify(order) });\n"),
    ));
    for (p, page) in pages {
        Mock::given(method("GET")).and(path(p)).respond_with(page).mount(&server).await;
    }
    server
}
