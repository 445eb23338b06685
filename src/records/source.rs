//! Which source a record came from: the key watermarks are kept under.
//!
//! Plain data; must not know how any source is read or stored.

use std::fmt;

/// Where a record came from; watermarks are kept per source and region.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    /// CloudWatch usage metrics: tokens and invocations (what costs money).
    CloudWatch,
    /// CloudWatch operational metrics: latency, errors, throttles, quota usage.
    CloudWatchDetail,
    CloudTrail,
    /// `AWS/BedrockMantle` usage metrics: the bedrock-mantle endpoint.
    Mantle,
    /// Bedrock model invocation logs: one record per request.
    InvocationLogs,
}

impl Source {
    pub const ALL: [Source; 5] = [
        Source::CloudWatch,
        Source::CloudWatchDetail,
        Source::CloudTrail,
        Source::Mantle,
        Source::InvocationLogs,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Source::CloudWatch => "cloudwatch",
            Source::CloudWatchDetail => "cloudwatch_detail",
            Source::CloudTrail => "cloudtrail",
            Source::Mantle => "mantle",
            Source::InvocationLogs => "invocation_logs",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
