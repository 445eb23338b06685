//! Bedrock model invocation logs: one record per request, with its tokens,
//! its caller and the caller's own `requestMetadata`, read from the
//! CloudWatch Logs group each region delivers them to.
//!
//! - `record.rs`: one delivered record → [`record::LogRecord`], parsing only
//!   the fields pricing needs (never prompt or completion text).
//! - `usage.rs`: a record → the [`crate::records::RequestUsage`] pricing takes.
//! - `pages.rs`: one page of log events, throttles waited out and brief
//!   failures retried, behind the [`pages::LogPages`] trait.
//! - `client.rs`: `FilterLogEvents`, the only file with CloudWatch Logs types.
//! - `s3.rs`: `ListObjectsV2` / `GetObject`, the only file with S3 types.
//! - `objects.rs`: the S3 destination's layout, the trait its adapter
//!   implements, and an object's records as bounded lines.
//! - `delivery.rs`: Bedrock's delivery-failure metrics, behind a trait the
//!   CloudWatch adapter implements.
//!
//! Must not price, store or decide.

pub mod client;
pub mod delivery;
pub mod objects;
pub mod pages;
pub mod record;
#[cfg(test)]
mod record_tests;
pub mod s3;
pub mod usage;
