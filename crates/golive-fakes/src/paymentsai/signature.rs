//! How PaymentsAI signs a webhook delivery, from its pages only, and the check a
//! merchant who read the same pages would write: HMAC-SHA256 "of the raw request
//! body using your webhook secret" (https://api-docs.payments.ai/docs/api/webhooks/overview),
//! in the `x-pai-signature` header (https://api-docs.payments.ai/docs/api/webhooks/testing),
//! answered with "exactly 200". No page shows a timestamp or a prefix; the encoding
//! (hex or base64) is past the stored copies' cut, so it is the variant's choice.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

/// The header carrying the signature.
pub const HEADER: &str = "x-pai-signature";

/// How the HMAC is written into the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    /// Lowercase hexadecimal.
    #[default]
    Hex,
    /// Standard base64 with padding.
    Base64,
}

/// A PaymentsAI signing secret and the encoding of its signatures.
#[derive(Clone)]
pub struct Signature {
    secret: SecretString,
    encoding: Encoding,
}

impl Signature {
    /// The signature of deliveries signed with `secret`, written as `encoding` says.
    pub fn new(secret: SecretString, encoding: Encoding) -> Signature {
        Signature { secret, encoding }
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC takes a key of any length.
        <Hmac<Sha256> as Mac>::new_from_slice(self.secret.expose_secret().as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC-SHA256 accepts any key length"))
    }

    /// The header value for `body`.
    pub fn sign(&self, body: &[u8]) -> String {
        let mut mac = self.mac();
        mac.update(body);
        let tag = mac.finalize().into_bytes();
        match self.encoding {
            Encoding::Hex => hex::encode(tag),
            Encoding::Base64 => base64::engine::general_purpose::STANDARD.encode(tag),
        }
    }
}

impl crate::webhook::Verify for Signature {
    fn verify(&self, headers: &http::HeaderMap, body: &[u8], _check_timestamp: bool) -> Result<(), String> {
        let value = headers.get(HEADER).and_then(|v| v.to_str().ok()).ok_or_else(|| format!("no {HEADER} header"))?;
        let tag = match self.encoding {
            Encoding::Hex => hex::decode(value.trim()).map_err(|_| format!("{HEADER} is not hex"))?,
            Encoding::Base64 => base64::engine::general_purpose::STANDARD
                .decode(value.trim())
                .map_err(|_| format!("{HEADER} is not base64"))?,
        };
        let mut mac = self.mac();
        mac.update(body);
        // Compared in constant time by the hmac crate.
        mac.verify_slice(&tag).map_err(|_| format!("{HEADER} does not match the body"))
    }

    fn ok_status(&self) -> u16 {
        200
    }
}
