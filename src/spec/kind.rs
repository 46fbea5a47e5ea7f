//! The probe kinds by name: what packs write in `kind = "..."` and reports
//! print. Building a runnable probe of a kind is [`crate::probe`]'s business.

/// The single list of probe kinds golive implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProbeKind {
    /// Local certificate chain and key files: match, expiry, pack rules, chain.
    Cert,
    /// One HTTP request, or ordered steps, with assertions.
    Http,
    /// The partner API's server certificate chain and TLS version.
    Tls,
    /// A handshake with the client certificate that explains itself, then one request.
    Mtls,
    /// The configured API key: its shape, an authenticated read, its age.
    ApiKey,
    /// The one-time Temporal → Permanent key exchange (mutating).
    ApiKeyExchange,
    /// Signed and forged deliveries to the merchant's webhook endpoint.
    Webhook,
    /// Forward-confirmed reverse DNS of every calling IP against the certificate's names.
    Fcrdns,
    /// The environment sets the values the integration needs, in their formats.
    Environment,
    /// The environment's secrets are not in source control, the front end or logs; no card data in logs.
    Exposure,
}

impl ProbeKind {
    /// Every kind, in the order `--help` and errors list them.
    pub const ALL: &'static [ProbeKind] = &[
        ProbeKind::Cert,
        ProbeKind::Http,
        ProbeKind::Tls,
        ProbeKind::Mtls,
        ProbeKind::ApiKey,
        ProbeKind::ApiKeyExchange,
        ProbeKind::Webhook,
        ProbeKind::Fcrdns,
        ProbeKind::Environment,
        ProbeKind::Exposure,
    ];

    /// The kind's name exactly as packs and reports write it.
    pub fn name(self) -> &'static str {
        match self {
            ProbeKind::Cert => "cert",
            ProbeKind::Http => "http",
            ProbeKind::Tls => "tls",
            ProbeKind::Mtls => "mtls",
            ProbeKind::ApiKey => "apikey",
            ProbeKind::ApiKeyExchange => "apikey-exchange",
            ProbeKind::Webhook => "webhook",
            ProbeKind::Fcrdns => "fcrdns",
            ProbeKind::Environment => "environment",
            ProbeKind::Exposure => "exposure",
        }
    }

    /// Whether every probe of this kind changes data on the other side.
    pub fn mutating(self) -> bool {
        match self {
            ProbeKind::Cert
            | ProbeKind::Http
            | ProbeKind::Tls
            | ProbeKind::Mtls
            | ProbeKind::ApiKey
            | ProbeKind::Webhook
            | ProbeKind::Fcrdns
            | ProbeKind::Environment
            | ProbeKind::Exposure => false,
            ProbeKind::ApiKeyExchange => true,
        }
    }

    /// The kind named `name`, if golive implements it.
    pub fn from_name(name: &str) -> Option<ProbeKind> {
        Self::ALL.iter().copied().find(|k| k.name() == name)
    }

    /// Every kind's name.
    pub fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|k| k.name()).collect()
    }
}
