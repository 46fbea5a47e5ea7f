//! Webhook signatures: one implementation of the signature schemes, shared by
//! the `webhook` probe, the `golive webhook sign|verify` commands and the fake
//! merchant receiver.
//!
//! The schemes as data (presets and custom definitions) are
//! [`crate::config::scheme`]; [`sign`] makes keys, MACs and headers, [`verify`] checks a delivery as a
//! correct receiver would. Nothing here does I/O or prints; no function returns
//! or formats a secret.

pub mod sign;
pub mod verify;

pub use sign::{Key, Stamp};
pub use verify::{Rejection, Verified};
