//! AWS client configuration, built in one place: regions, endpoint override,
//! the default credential chain (ECS task role, profiles, environment), an
//! optional role to assume in another account, timeouts and the SDK's
//! standard retries.
//!
//! Must not call AWS itself. Each adapter (`sources/*/client.rs`,
//! `alerts/sns.rs`, `ledger/dynamodb/`) builds its own client from the one
//! [`AwsConfig`], so the wiring in `app/` never names an SDK type.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_cloudwatch::config::SharedCredentialsProvider;

/// Credentials that replace the default chain (tests and the demo pass
/// static keys for the emulator; production passes none).
pub type Credentials = SharedCredentialsProvider;

/// The configuration every client of the daemon shares: credentials (and
/// their cache), one HTTP client and connection pool, timeouts and retries.
/// Adapters derive their region's configuration with [`AwsConfig::for_region`].
#[derive(Clone, Debug)]
pub struct AwsConfig {
    base: SdkConfig,
}

impl AwsConfig {
    /// Loads it in `home_region` (where an assumed role's STS calls go).
    pub async fn load(aws: &AwsSection, home_region: &str, credentials: Option<Credentials>) -> AwsConfig {
        AwsConfig { base: base_config(aws, home_region, credentials).await }
    }

    /// Wraps a configuration loaded elsewhere (the demo's and tests' emulator).
    pub fn from_sdk(base: SdkConfig) -> AwsConfig {
        AwsConfig { base }
    }

    /// The shared configuration in `region`.
    pub fn for_region(&self, region: &str) -> SdkConfig {
        for_region(&self.base, region)
    }

    /// One client per region, built by `connect` from that region's
    /// configuration (the adapter passes its SDK's `Client::new`).
    pub fn per_region<C>(
        &self,
        regions: &[String],
        connect: impl Fn(&SdkConfig) -> C,
    ) -> std::collections::BTreeMap<String, C> {
        regions.iter().map(|region| (region.clone(), connect(&self.for_region(region)))).collect()
    }
}

use crate::config::types::AwsSection;

/// The SDK configuration for one region, loaded on its own. The daemon
/// loads one [`base_config`] and derives every client's from it instead.
pub async fn sdk_config(
    aws: &AwsSection,
    region: &str,
    credentials: Option<SharedCredentialsProvider>,
) -> SdkConfig {
    for_region(&base_config(aws, region, credentials).await, region)
}

/// `base` in another region: the same credentials (and their cache), HTTP
/// client (one connection pool, one TLS configuration), timeouts and retries.
/// Loading a configuration per client would give each its own, which costs
/// megabytes of memory for nothing.
fn for_region(base: &SdkConfig, region: &str) -> SdkConfig {
    base.to_builder().region(Region::new(region.to_string())).build()
}

/// Loads the configuration every client of the daemon shares, in
/// `home_region` (where an assumed role's STS calls go).
///
/// `credentials` replaces the default chain (the demo's emulator uses dummy
/// keys); production passes `None`. The endpoint comes from `aws.endpoint_url`,
/// else from the standard `AWS_ENDPOINT_URL*` variables the SDK reads itself.
async fn base_config(
    aws: &AwsSection,
    home_region: &str,
    credentials: Option<SharedCredentialsProvider>,
) -> SdkConfig {
    let region = home_region;
    let timeouts = TimeoutConfig::builder()
        .operation_timeout(Duration::from_secs(aws.operation_timeout_secs))
        .operation_attempt_timeout(Duration::from_secs(aws.attempt_timeout_secs))
        .connect_timeout(Duration::from_secs(aws.attempt_timeout_secs.min(5)))
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .retry_config(RetryConfig::standard().with_max_attempts(aws.max_attempts))
        .timeout_config(timeouts);
    if let Some(url) = &aws.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    if let Some(provider) = credentials {
        loader = loader.credentials_provider(provider);
    }
    let base = loader.load().await;
    match &aws.assume_role_arn {
        Some(role) => assume_role(base, role, aws.assume_role_external_id.as_deref()).await,
        None => base,
    }
}

/// The same configuration with credentials of `role`, assumed (and refreshed
/// before expiry) with the base credentials, for monitoring another account.
async fn assume_role(base: SdkConfig, role: &str, external_id: Option<&str>) -> SdkConfig {
    let mut builder = aws_config::sts::AssumeRoleProvider::builder(role)
        .session_name("bedrock-cost-monitor")
        .configure(&base);
    if let Some(id) = external_id {
        builder = builder.external_id(id);
    }
    let provider = builder.build().await;
    base.into_builder().credentials_provider(SharedCredentialsProvider::new(provider)).build()
}
