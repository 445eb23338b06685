//! The CloudTrail source: who called Bedrock, from `LookupEvents` (management
//! events of `bedrock.amazonaws.com`, free, 2 requests per second per account
//! and region). `client.rs` is the only file with CloudTrail SDK types and
//! sends one request; `paging.rs` walks a window page by page within the rate
//! limit (throttles waited out, a few retries, restart on a rejected token);
//! `fetch.rs` keeps the configured event names, de-duplicates by `eventID` and
//! counts; `event.rs` turns a record's JSON into an `InvocationEvent`
//! (tolerant, never panicking); `principal.rs` turns `userIdentity` into one
//! principal key; `calls.rs` aggregates events into per-minute `CallCount`s.
//!
//! Must not price, store or decide anything: a source only fetches.

pub mod calls;
pub mod client;
pub mod event;
pub mod fetch;
pub mod paging;
pub mod principal;

pub use client::CloudTrailSource;
