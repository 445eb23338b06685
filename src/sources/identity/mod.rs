//! Which account a set of credentials acts in: STS `GetCallerIdentity`,
//! asked once at start for the primary account's ID (its `account` label,
//! and how a discovered organisation account is recognised as the primary
//! one instead of being read twice). `client.rs` is the only file with STS
//! SDK types.
//!
//! Must not cache, retry or decide what the ID is used for.

mod client;

pub use client::CallerIdentity;
