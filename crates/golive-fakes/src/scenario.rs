//! The scenarios the fakes play: healthy, or broken in one named way (`--scenario NAME`).

use crate::faults;

/// Declares [`Scenario`] from one table: each named scenario's command-line
/// name and what it breaks. The fault catalogue's scenarios come from
/// [`faults::Fault`]'s own table, so no fault is listed twice.
macro_rules! scenarios {
    ($($variant:ident = $name:literal => $help:literal,)*) => {
        /// A behaviour of the fakes: healthy, or broken in one named way.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Scenario {
            $(#[doc = $help] $variant,)*
            /// A fault of the catalogue (crates/golive-fakes/src/faults.rs), `fault-<name>`: the
            /// probes it does not reach must still pass.
            Fault(faults::Fault),
        }

        impl Scenario {
            /// The named scenarios, in listing order (the faults follow them).
            const NAMED: &'static [Scenario] = &[$(Scenario::$variant),*];

            /// The scenario's name on the command line, e.g. `wrong-key` or `fault-http-429`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Scenario::$variant => $name,)*
                    Scenario::Fault(f) => f.scenario_name(),
                }
            }

            /// What the scenario breaks, one line (`golive fake scenarios`).
            pub fn help(self) -> &'static str {
                match self {
                    $(Scenario::$variant => $help,)*
                    Scenario::Fault(f) => f.scenario_help(),
                }
            }
        }
    };
}

scenarios! {
    Healthy = "healthy" => "Everything works: the demo passes",
    IpNotAllowlisted = "ip-not-allowlisted" => "Axys answers 403 \"No Authorised IPs configured\" (IP not allowlisted, or PTR not set)",
    WrongKey = "wrong-key" => "The configured private key does not belong to the program certificate",
    CertExpired = "cert-expired" => "The program certificate expired yesterday",
    CertExpiringSoon = "cert-expiring-soon" => "The program certificate expires in 10 days",
    UntrustedCa = "untrusted-ca" => "The program certificate is signed by a CA the partner does not trust",
    NoClientCert = "no-client-cert" => "The environment has no client certificate at all",
    MtlsNotEnforced = "mtls-not-enforced" => "The partner's front never asks for a client certificate",
    ApiKeyRejected = "api-key-rejected" => "Both partners reject the API key with 401",
    PartnerDown = "partner-down" => "Both partner APIs answer 500",
    PartnerHangs = "partner-hangs" => "The partner APIs answer after 30 s: probes reach their deadline",
    WebhookAcceptsAnything = "webhook-accepts-anything" => "The merchant's webhook receiver answers 200 to everything, forgeries included",
    PtrMissing = "ptr-missing" => "The calling IPv4 has no PTR record (NXDOMAIN); Axys answers 403",
    PtrNotInCert = "ptr-not-in-cert" => "The PTR names the provider's generic host, not a certificate name; Axys answers 403",
    APointsElsewhere = "a-points-elsewhere" => "The certificate's domain has an A record elsewhere; Axys answers 403",
    Starts403Halfway = "starts-403-halfway" => "Axys answers its first 3 authenticated requests, then 403 \"No Authorised IPs configured\": a launch-day allowlist loss for `--watch` to catch",
    WebsiteMissingRefundPolicy = "website-missing-refund-policy" => "The merchant's website publishes no Refund Policy",
}

impl Scenario {
    /// Every scenario, in listing order: the named ones, then one per fault of
    /// the catalogue.
    pub fn all() -> &'static [Scenario] {
        static ALL: std::sync::LazyLock<Vec<Scenario>> = std::sync::LazyLock::new(|| {
            Scenario::NAMED.iter().copied().chain(faults::Fault::ALL.iter().map(|&f| Scenario::Fault(f))).collect()
        });
        &ALL
    }

    /// The scenario's name on the command line.
    pub fn name(self) -> String {
        self.as_str().to_string()
    }

    /// The fault of a `fault-<name>` scenario.
    pub fn fault(self) -> Option<faults::Fault> {
        match self {
            Scenario::Fault(f) => Some(f),
            _ => None,
        }
    }
}

/// `--scenario NAME`: parsed from and listed by the one table above.
impl clap::ValueEnum for Scenario {
    fn value_variants<'a>() -> &'a [Self] {
        Scenario::all()
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.as_str()).help(self.help()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scenario_has_one_name_that_parses_back_to_it() {
        let all = Scenario::all();
        assert_eq!(all.len(), Scenario::NAMED.len() + faults::Fault::ALL.len());
        let mut names = std::collections::BTreeSet::new();
        for &s in all {
            assert!(names.insert(s.as_str()), "{} named twice", s.as_str());
            assert_eq!(<Scenario as clap::ValueEnum>::from_str(s.as_str(), false), Ok(s));
            assert!(!s.help().is_empty() && !s.help().ends_with('.'), "{}", s.as_str());
            assert_eq!(s.fault().map(faults::Fault::scenario_name), s.fault().map(|_| s.as_str()));
        }
        assert_eq!(Scenario::Fault(faults::Fault::RateLimited).as_str(), "fault-http-429");
    }
}
