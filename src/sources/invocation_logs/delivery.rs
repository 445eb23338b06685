//! Bedrock's own word on log delivery: the `AWS/Bedrock` metrics it
//! publishes "across all model IDs" (no dimension) for each delivery
//! destination. A failure there means records that will never arrive.
//!
//! The trait is implemented by the CloudWatch adapter (the only file with
//! CloudWatch types); must not decide what a failure means.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::sources::{RequestCount, SourceError};

/// The delivery-failure metrics of AWS's Bedrock runtime metric table.
pub const FAILURE_METRICS: [&str; 3] = [
    "ModelInvocationLogsCloudWatchDeliveryFailure",
    "ModelInvocationLogsS3DeliveryFailure",
    "ModelInvocationLargeDataS3DeliveryFailure",
];

#[async_trait]
pub trait DeliveryHealth: Send + Sync {
    /// Failed deliveries in `region` with `from <= minute < to`, summed over
    /// [`FAILURE_METRICS`], and what asking cost.
    async fn delivery_failures(
        &self,
        region: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<(u64, RequestCount), SourceError>;
}
