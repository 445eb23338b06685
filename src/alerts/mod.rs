//! Alerts: from budget statuses and collector facts to messages (`budget`,
//! `message`, `ops`, `digest`, all pure), claimed exactly once and published
//! through a sink (`dispatch`, `retry`, `sink`, `sns`), with episodes kept in the store
//! (`episode`).
//!
//! Must not evaluate budgets or read usage itself: callers pass statuses and
//! facts in. Only `sns.rs` sees AWS SDK types.

pub mod budget;
pub mod data;
pub mod digest;
pub mod dispatch;
pub mod episode;
pub mod kind;
pub mod log_drift;
pub mod message;
pub mod ops;
pub mod reconcile;
pub mod retry;
pub mod sink;
pub mod sns;

pub use dispatch::{Dispatcher, FlushReport};
pub use kind::AlertKind;
pub use message::AlertMessage;
pub use retry::RetryPolicy;
pub use sink::{AlertSink, Failure, LogSink, PublishError};
pub use sns::SnsSink;

#[cfg(test)]
mod tests;
