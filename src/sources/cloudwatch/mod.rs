//! The CloudWatch source: `AWS/Bedrock` runtime metrics per model ID and
//! minute. `names.rs` knows what AWS publishes (every spelling, the tier
//! dimensions) and classifies listings; `levels.rs` picks the series that
//! count each token once; `plan.rs` fits the calls into the API's limits;
//! `client.rs` is the only file with CloudWatch SDK types; `assemble.rs`
//! turns answers into minute points, one spelling and one level per minute,
//! with implausible values quarantined.
//!
//! Must not price, store or decide anything beyond what a series means.

pub mod assemble;
pub mod client;
pub mod levels;
pub mod names;
pub mod plan;

pub use assemble::{assemble, Assembled, DuplicateSpelling, Quarantined, QueryResult};
pub use client::CloudWatchSource;
pub use names::{ListedSeries, MetricNames, Namespace};
