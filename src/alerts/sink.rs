//! Where published alerts go: SNS (`sns.rs`) or, without a topic, the log,
//! as the same JSON body. A sink only delivers; claiming and retrying is the
//! dispatcher's job.

use async_trait::async_trait;

use crate::ledger::OutboxEntry;

/// What a failed attempt means for the message, as far as the sink can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Failure {
    /// Not delivered, and the same message may be accepted later
    /// (throttling, a server error, no connection made).
    Transient,
    /// Maybe delivered: the attempt timed out or lost its connection after
    /// the request may have reached the service.
    Uncertain,
    /// This message will never be accepted as it is (an invalid parameter,
    /// too large): retrying cannot help.
    Rejected,
    /// The destination refuses every message (no permission, no such topic,
    /// its KMS key unusable): retrying the others now cannot help either.
    Refused,
}

impl Failure {
    pub fn as_str(self) -> &'static str {
        match self {
            Failure::Transient => "transient",
            Failure::Uncertain => "uncertain",
            Failure::Rejected => "rejected",
            Failure::Refused => "refused",
        }
    }

    pub const ALL: [Failure; 4] =
        [Failure::Transient, Failure::Uncertain, Failure::Rejected, Failure::Refused];
}

/// An attempt that did not (or may not) deliver; the dispatcher decides
/// from `failure` whether the entry is retried, and when, or parked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PublishError {
    pub failure: Failure,
    pub message: String,
}

impl PublishError {
    pub fn new(failure: Failure, message: impl Into<String>) -> Self {
        PublishError { failure, message: message.into() }
    }
}

#[async_trait]
pub trait AlertSink: Send + Sync {
    /// `"sns"` or `"log"`, for logs.
    fn name(&self) -> &'static str;

    /// Whether the destination itself drops a repeat of a message within a
    /// while (an SNS FIFO topic: 5 minutes per deduplication ID), which
    /// makes retrying an uncertain attempt soon harmless.
    fn drops_repeats(&self) -> bool {
        false
    }

    async fn publish(&self, entry: &OutboxEntry) -> Result<(), PublishError>;
}

/// Writes each alert to the log: one line with the subject and the JSON
/// body, at warn level so it stands out among collection lines.
#[derive(Clone, Copy, Debug, Default)]
pub struct LogSink;

#[async_trait]
impl AlertSink for LogSink {
    fn name(&self) -> &'static str {
        "log"
    }

    async fn publish(&self, entry: &OutboxEntry) -> Result<(), PublishError> {
        tracing::warn!(
            target: "bedrock_cost_monitor::alert",
            kind = %entry.kind,
            dedupe_key = %entry.dedupe_key,
            subject = %entry.subject,
            body = %entry.body,
            "alert"
        );
        Ok(())
    }
}
