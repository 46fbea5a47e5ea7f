//! The scenarios the fakes play: healthy, or broken in one named way (`--scenario NAME`).
//!
//! The shared ones break what every partner fake shares (the program
//! certificate, the partner APIs as a whole, the merchant's webhook receiver and
//! website, the fault catalogue); each partner fake lists its own
//! ([`crate::partner::Partner::scenarios`], declared with [`own_scenarios!`]).
//! Names are a user-facing contract: a scenario may move, its name stays.

use crate::faults;
use crate::partner::PARTNERS;

/// Declares [`Scenario`] from one table: each shared scenario's command-line
/// name and what it breaks. The fault catalogue's scenarios come from
/// [`faults::Fault`]'s own table and the partners' from their own, so no
/// scenario is listed twice.
macro_rules! scenarios {
    ($($variant:ident = $name:literal => $help:literal,)*) => {
        /// A behaviour of the fakes: healthy, or broken in one named way.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Scenario {
            $(#[doc = $help] $variant,)*
            /// A fault of the catalogue (crates/golive-fakes/src/faults.rs), `fault-<name>`: the
            /// probes it does not reach must still pass.
            Fault(faults::Fault),
            /// One partner fake's own scenario.
            Partner(PartnerScenario),
        }

        impl Scenario {
            /// The shared scenarios, in listing order.
            const SHARED: &'static [Scenario] = &[$(Scenario::$variant),*];

            /// The scenario's name on the command line, e.g. `wrong-key` or `fault-http-429`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Scenario::$variant => $name,)*
                    Scenario::Fault(f) => f.scenario_name(),
                    Scenario::Partner(own) => own.name,
                }
            }

            /// What the scenario breaks, one line (`golive fake scenarios`).
            pub fn help(self) -> &'static str {
                match self {
                    $(Scenario::$variant => $help,)*
                    Scenario::Fault(f) => f.scenario_help(),
                    Scenario::Partner(own) => own.help,
                }
            }
        }
    };
}

scenarios! {
    Healthy = "healthy" => "Everything works: the demo passes",
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
    WebsiteMissingRefundPolicy = "website-missing-refund-policy" => "The merchant's website publishes no Refund Policy",
}

/// A scenario of one partner fake: its name on the command line, unique across
/// every scenario, and what it breaks, one line. A partner declares its own with
/// `own_scenarios!`, which also turns a [`Scenario`] back into its own enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PartnerScenario {
    /// The partner ([`crate::partner::Partner::name`]).
    pub partner: &'static str,
    /// The name on the command line.
    pub name: &'static str,
    /// What it breaks.
    pub help: &'static str,
}

/// What a shared scenario does to every partner API as a whole: each fake
/// answers it with its own documented error bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outage {
    /// `api-key-rejected`: every request is refused with 401.
    KeyRejected,
    /// `partner-down`: every request gets 500.
    Down,
    /// `partner-hangs`: every answer comes after 30 s.
    Hangs,
}

impl Scenario {
    /// Every scenario, in listing order: the shared ones, each partner's own
    /// in the order of [`PARTNERS`], then one per fault of the catalogue.
    pub fn all() -> &'static [Scenario] {
        static ALL: std::sync::LazyLock<Vec<Scenario>> = std::sync::LazyLock::new(|| {
            let own = PARTNERS.iter().flat_map(|p| p.scenarios()).map(|&s| Scenario::Partner(s));
            let faults = faults::Fault::ALL.iter().map(|&f| Scenario::Fault(f));
            Scenario::SHARED.iter().copied().chain(own).chain(faults).collect()
        });
        &ALL
    }

    /// The scenario named `name` on the command line, if there is one.
    pub fn named(name: &str) -> Option<Scenario> {
        Scenario::all().iter().copied().find(|s| s.as_str() == name)
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

    /// What the scenario does to every partner API as a whole, if anything.
    pub fn outage(self) -> Option<Outage> {
        match self {
            Scenario::ApiKeyRejected => Some(Outage::KeyRejected),
            Scenario::PartnerDown => Some(Outage::Down),
            Scenario::PartnerHangs => Some(Outage::Hangs),
            _ => None,
        }
    }
}

/// `--scenario NAME`: parsed from and listed by the tables above.
impl clap::ValueEnum for Scenario {
    fn value_variants<'a>() -> &'a [Self] {
        Scenario::all()
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.as_str()).help(self.help()))
    }
}

/// Declares a partner fake's own scenarios as an enum of its module: each
/// variant's command-line name and what it breaks. The enum's `ALL` is what the
/// partner's [`crate::partner::Partner::scenarios`] returns, `of` finds the
/// partner's own scenario in a [`Scenario`], and `Scenario::from` makes one.
macro_rules! own_scenarios {
    ($(#[$doc:meta])* $enum:ident for $partner:literal { $($variant:ident = $name:literal => $help:literal,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $enum {
            $(#[doc = $help] $variant,)*
        }

        impl $enum {
            /// Every one, as the scenario list shows them, in listing order.
            pub const ALL: &'static [$crate::scenario::PartnerScenario] = &[$($crate::scenario::PartnerScenario {
                partner: $partner,
                name: $name,
                help: $help,
            }),*];

            /// The partner's own scenario `scenario` is, if it is one.
            pub fn of(scenario: $crate::Scenario) -> Option<$enum> {
                match scenario {
                    $($crate::Scenario::Partner(own) if own.partner == $partner && own.name == $name => {
                        Some($enum::$variant)
                    })*
                    _ => None,
                }
            }
        }

        impl From<$enum> for $crate::Scenario {
            fn from(own: $enum) -> $crate::Scenario {
                // ALL is made from the same table, in the variants' order.
                $crate::Scenario::Partner($enum::ALL[own as usize])
            }
        }
    };
}
pub(crate) use own_scenarios;

#[cfg(test)]
mod tests {
    use super::*;

    /// Every partner's scenarios are listed, parse back, and no name is used
    /// twice, across the shared scenarios, the partners and the faults.
    #[test]
    fn every_scenario_has_one_name_that_parses_back_to_it() {
        let all = Scenario::all();
        let own: usize = PARTNERS.iter().map(|p| p.scenarios().len()).sum();
        assert_eq!(all.len(), Scenario::SHARED.len() + own + faults::Fault::ALL.len());
        let mut names = std::collections::BTreeSet::new();
        for &s in all {
            assert!(names.insert(s.as_str()), "{} named twice", s.as_str());
            assert_eq!(<Scenario as clap::ValueEnum>::from_str(s.as_str(), false), Ok(s));
            assert_eq!(Scenario::named(s.as_str()), Some(s));
            assert!(!s.help().is_empty() && !s.help().ends_with('.'), "{}", s.as_str());
            assert_eq!(s.fault().map(faults::Fault::scenario_name), s.fault().map(|_| s.as_str()));
        }
        for p in PARTNERS {
            for own in p.scenarios() {
                assert_eq!(own.partner, p.name(), "{} is listed by {}", own.name, p.name());
                assert!(all.contains(&Scenario::Partner(*own)), "{} of {} is listed", own.name, p.name());
            }
        }
        assert_eq!(Scenario::Fault(faults::Fault::RateLimited).as_str(), "fault-http-429");
    }

    /// The names users type: moving a scenario to a partner kept every one.
    #[test]
    fn the_scenario_names_users_know_are_all_still_there() {
        let known = [
            "healthy",
            "ip-not-allowlisted",
            "wrong-key",
            "cert-expired",
            "cert-expiring-soon",
            "untrusted-ca",
            "no-client-cert",
            "mtls-not-enforced",
            "api-key-rejected",
            "partner-down",
            "partner-hangs",
            "webhook-accepts-anything",
            "ptr-missing",
            "ptr-not-in-cert",
            "a-points-elsewhere",
            "starts-403-halfway",
            "website-missing-refund-policy",
        ];
        let missing: Vec<&str> = known.into_iter().filter(|n| Scenario::named(n).is_none()).collect();
        assert!(missing.is_empty(), "scenarios no longer known: {missing:?}");
    }
}
