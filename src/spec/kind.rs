//! The probe kinds by name: what packs write in `kind = "..."` and reports
//! print, with what the layers below the probes read of a kind (whether it
//! mutates, whether its requests carry partner facts).
//!
//! This file declares no kind. The one list of kinds is the probe layer's
//! (`probe::kinds`, each kind a type implementing its `Kind` trait, which
//! declares the name and flags); the probe layer registers that list here
//! (an [`inventory`] registry, gathered when the program is linked), so the
//! config layer (below `probe`: it may not import it) reads the same list
//! without importing it. A name a pack writes becomes a [`ProbeKind`] only
//! when the list holds it.

use std::sync::OnceLock;

/// What a kind declares about itself for the layers below the probes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Declared {
    /// The kind's name exactly as packs and reports write it.
    pub name: &'static str,
    /// Whether every probe of this kind changes data on the other side.
    pub mutating: bool,
    /// Whether its `params` are requests whose partner facts carry a basis
    /// (`config::facts` reads them).
    pub facts: bool,
}

/// The list of kinds, as the probe layer registers it (once, in its order).
pub struct Registry(pub &'static [Declared]);

inventory::collect!(Registry);

/// The registered list; empty if none is (then no pack loads: every kind is unknown).
fn list() -> &'static [Declared] {
    static LIST: OnceLock<&'static [Declared]> = OnceLock::new();
    LIST.get_or_init(|| registries().first().copied().unwrap_or(&[]))
}

/// Every registered list of kinds: exactly one in a built golive (a test holds it).
pub fn registries() -> Vec<&'static [Declared]> {
    inventory::iter::<Registry>.into_iter().map(|r| r.0).collect()
}

/// A probe kind golive implements: an entry of the registered list.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProbeKind(usize);

impl std::fmt::Debug for ProbeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ProbeKind({})", self.name())
    }
}

impl ProbeKind {
    /// Every kind, in the order of the list (`--help` and errors list them so).
    pub fn all() -> impl Iterator<Item = ProbeKind> {
        (0..list().len()).map(ProbeKind)
    }

    /// What the kind declares.
    fn declared(self) -> Declared {
        list()[self.0]
    }

    /// The kind's position in the list.
    pub fn index(self) -> usize {
        self.0
    }

    /// The kind's name exactly as packs and reports write it.
    pub fn name(self) -> &'static str {
        self.declared().name
    }

    /// Whether every probe of this kind changes data on the other side.
    pub fn mutating(self) -> bool {
        self.declared().mutating
    }

    /// Whether probes of this kind send requests whose facts carry a basis.
    pub fn has_facts(self) -> bool {
        self.declared().facts
    }

    /// The kind named `name`, if golive implements it.
    pub fn from_name(name: &str) -> Option<ProbeKind> {
        Self::all().find(|k| k.name() == name)
    }

    /// Every kind's name.
    pub fn names() -> Vec<&'static str> {
        Self::all().map(ProbeKind::name).collect()
    }
}
