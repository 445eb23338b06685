//! The store's DynamoDB client: the daemon's own-account configuration in
//! the table's region, with every request (retries included) bounded when
//! the caller asks, so that a hung call cannot outlast the leadership it was
//! made under. Must not touch the table.

use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::SdkConfig;

/// The client for `region`, its requests bounded by `call_timeout` if set.
pub(super) fn build(
    aws: &crate::aws::OwnAccount,
    region: &str,
    call_timeout: Option<Duration>,
) -> aws_sdk_dynamodb::Client {
    let sdk = aws.for_region(region);
    let mut config = aws_sdk_dynamodb::config::Builder::from(&sdk);
    if let Some(limit) = call_timeout {
        config = config.timeout_config(bounded(&sdk, limit));
    }
    #[expect(clippy::disallowed_methods, reason = "the adapter builds its own client")]
    let client = aws_sdk_dynamodb::Client::from_conf(config.build());
    client
}

/// The SDK's timeouts with each request, retries included, bounded by
/// `limit`, and each attempt and connection by no more.
fn bounded(sdk: &SdkConfig, limit: Duration) -> TimeoutConfig {
    let configured = sdk.timeout_config().and_then(|t| t.operation_attempt_timeout());
    let attempt = configured.map_or(limit, |a| a.min(limit));
    TimeoutConfig::builder()
        .operation_timeout(limit)
        .operation_attempt_timeout(attempt)
        .connect_timeout(attempt.min(Duration::from_secs(5)))
        .build()
}
