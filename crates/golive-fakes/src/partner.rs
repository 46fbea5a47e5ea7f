//! The partner fakes, one trait and one list: each partner fake is a type
//! implementing [`Partner`] in its own module (its name, the built-in pack it
//! serves, its own scenarios, how it starts for a scenario and variant, its
//! environment of the fakes' golive.toml), listed once in [`PARTNERS`].
//! [`crate::Fakes`], the golive.toml ([`crate::config`]), `golive fake
//! scenarios` and `golive fake serve` derive from the list; what every partner
//! shares (the program certificate, the merchant's webhook receiver and website,
//! DNS, the fault catalogue) stays outside it.

use std::any::Any;
use std::path::Path;

use async_trait::async_trait;

use crate::config::EnvAt;
use crate::scenario::PartnerScenario;
use crate::variant::Choices;
use crate::{Scenario, Wiremock, dns, webhook};

/// Every partner fake, in the order the golive.toml, the listings and the
/// scenarios follow. A new partner fake is its module and one line here.
pub static PARTNERS: &[&dyn Partner] = &[&crate::axys::partner::Axys, &crate::paymentsai::partner::PaymentsAi];

/// A partner fake, written from the partner's published pages.
#[async_trait]
pub trait Partner: Sync {
    /// Its name (`axys`): its own scenarios carry it.
    fn name(&self) -> &'static str;

    /// The built-in pack it serves (`probes/<pack>.toml`).
    fn pack(&self) -> &'static str;

    /// The environment of the fakes' golive.toml that plays its pack (`fake-axys`).
    fn env(&self) -> &'static str;

    /// How clients reach it: `https` behind a TLS front (a transport fault is
    /// then served in TLS too), else `http`.
    fn scheme(&self) -> &'static str;

    /// Its own scenarios, beside the shared ones: name and one line of help
    /// (declared with `own_scenarios!`); none is fine.
    fn scenarios(&self) -> &'static [PartnerScenario];

    /// The files of the fakes' folder its environment names (secrets,
    /// certificates): a planned configuration gets placeholders for them.
    fn files(&self) -> &'static [&'static str];

    /// The calling IPv4's records in the merchant's DNS that `scenario` wants
    /// (a partner that checks FCrDNS breaks them in its own scenarios).
    fn calling_ipv4(&self, _scenario: Scenario) -> dns::CallingIpv4 {
        dns::CallingIpv4::Healthy
    }

    /// Starts the fake: writes its secrets into the folder, mounts its API as
    /// the scenario and the variant's choices say (a key exchange with it) and
    /// starts any front it has.
    async fn start(&self, at: Start<'_>) -> Result<Box<dyn Running>, String>;

    /// Its `[env.NAME]` table's keys (the table's header and `pack` are written
    /// for it), pointing at `at`.
    fn env_toml(&self, at: &EnvAt<'_>) -> String;
}

/// What a partner fake starts with.
pub struct Start<'a> {
    /// The scenario the fakes play.
    pub scenario: Scenario,
    /// The answers to the choices the pages leave open.
    pub choices: Choices,
    /// The fakes' private folder: the partner's secrets and certificates go there.
    pub dir: &'a Path,
    /// The HTTP fault server of a scenario of the fault catalogue that has one.
    pub(crate) http_fault: Option<String>,
}

impl Start<'_> {
    /// Where the partner's HTTP traffic goes: an HTTP fault's server, which
    /// replaces the API (a TLS front stays healthy and forwards to it), else `api`.
    pub fn upstream(&self, api: &Wiremock) -> String {
        self.http_fault.clone().unwrap_or_else(|| api.uri())
    }
}

/// A started partner fake; dropping it stops it. [`crate::Fakes::partner`]
/// downcasts it to the partner's own type for what only it offers.
pub trait Running: Send + Sync + Any {
    /// Its API (wiremock): tests read what it received and mount over a route.
    fn api(&self) -> &Wiremock;

    /// Where clients call it (its front's URL, or an HTTP fault server's).
    fn url(&self) -> String;

    /// What `golive fake serve` lists: a label and an address.
    fn listing(&self) -> (&'static str, String);

    /// How the merchant's webhook receiver verifies deliveries, if the partner
    /// signs webhooks (the demo has one receiver: one partner may sign).
    fn webhook_verifier(&self) -> Option<Box<dyn webhook::Verify>> {
        None
    }

    /// The merchant's webhook endpoint, once known: a partner that lists
    /// registered destinations registers it.
    fn webhook_endpoint(&self, _url: &str) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each partner has its own name, pack and environment.
    #[test]
    fn every_partner_has_its_own_name_pack_and_environment() {
        let mut seen = std::collections::BTreeSet::new();
        for p in PARTNERS {
            for key in [p.name(), p.pack(), p.env()] {
                assert!(!key.is_empty(), "{}", p.name());
            }
            assert!(seen.insert(p.name()) && seen.insert(p.env()), "{} listed twice", p.name());
            assert!(matches!(p.scheme(), "http" | "https"), "{}", p.name());
        }
    }
}
