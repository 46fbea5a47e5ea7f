//! Webhook signatures: one implementation of the signature schemes, shared by
//! the `webhook` probe, the `golive webhook sign|verify` commands and the fake
//! merchant receiver.
//!
//! [`scheme`] holds the schemes as data (presets and custom definitions),
//! [`sign`] makes keys, MACs and headers, [`verify`] checks a delivery as a
//! correct receiver would. Nothing here does I/O or prints; no function returns
//! or formats a secret.

pub use crate::config::scheme;
pub mod sign;
pub mod verify;

pub use scheme::{Scheme, SchemeDef};
pub use sign::{Key, Stamp};
pub use verify::{Rejection, Verified};
