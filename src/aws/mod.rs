//! AWS client configuration, built in one place: regions, endpoint override,
//! the default credential chain (ECS task role, profiles, environment), the
//! optional role to assume in the monitored account, timeouts and the SDK's
//! standard retries.
//!
//! Two accounts, two types. The clients that read Bedrock usage (CloudWatch,
//! CloudTrail, CloudWatch Logs and S3 for invocation logs) take a
//! [`MonitoredAccount`]: the assumed role's credentials when
//! `aws.assume_role_arn` is set. The ledger table and the alert topic take
//! an [`OwnAccount`]: always the daemon's own credentials, so a role in the
//! monitored account never needs (or gets) write access to anything, and
//! the ledger and the alerts stay where the daemon runs. Each adapter's
//! `connect` names the type it needs, so handing it the other account does
//! not compile.
//!
//! Must not call AWS itself. Each adapter (`sources/*/client.rs`,
//! `alerts/sns.rs`, `ledger/dynamodb/`) builds its own client from its
//! account's view of the one [`AwsConfig`], so the wiring in `app/` never
//! names an SDK type.

use std::marker::PhantomData;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_cloudwatch::config::SharedCredentialsProvider;

mod http;

use crate::config::types::AwsSection;
use crate::shard::Shard;

/// Credentials that replace the default chain (tests and the demo pass
/// static keys for the emulator; production passes none).
pub type Credentials = SharedCredentialsProvider;

/// The account whose Bedrock usage is read: metrics, CloudTrail events,
/// invocation logs. Read only.
#[derive(Clone, Copy, Debug)]
pub enum Monitored {}

/// The account the daemon runs in: its ledger table and its alert topic.
#[derive(Clone, Copy, Debug)]
pub enum Own {}

/// The configuration of the clients of one account (`Monitored` or `Own`):
/// credentials (and their cache), one HTTP client and connection pool,
/// timeouts and retries, in any region.
#[derive(Clone, Debug)]
pub struct Account<Which> {
    base: SdkConfig,
    which: PhantomData<Which>,
}

/// What the sources read with: the assumed role when one is configured.
pub type MonitoredAccount = Account<Monitored>;
/// What the store and the alert sink write with: the daemon's own credentials.
pub type OwnAccount = Account<Own>;

impl<Which> Account<Which> {
    fn new(base: SdkConfig) -> Self {
        Account { base, which: PhantomData }
    }

    /// This account's configuration in `region`.
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

/// Both accounts' client configurations. Without `aws.assume_role_arn`
/// they are one and the same account.
#[derive(Clone, Debug)]
pub struct AwsConfig {
    own: OwnAccount,
    monitored: MonitoredAccount,
}

impl AwsConfig {
    /// Loads it in `home_region` (where an assumed role's STS calls go).
    pub async fn load(aws: &AwsSection, home_region: &str, credentials: Option<Credentials>) -> AwsConfig {
        let own = base_config(aws, home_region, credentials).await;
        let monitored = match &aws.assume_role_arn {
            Some(role) => assume_role(own.clone(), role, aws.assume_role_external_id.as_deref()).await,
            None => own.clone(),
        };
        AwsConfig { own: Account::new(own), monitored: Account::new(monitored) }
    }

    /// Wraps a configuration loaded elsewhere (the demo's and tests'
    /// emulator), as both accounts.
    /// A configuration without an HTTP client gets the shared one, as a
    /// loaded one does.
    pub fn from_sdk(base: SdkConfig) -> AwsConfig {
        let base = match base.http_client() {
            Some(_) => base,
            None => base.into_builder().http_client(http::shared_https_client()).build(),
        };
        AwsConfig { own: Account::new(base.clone()), monitored: Account::new(base) }
    }

    /// For the sources: the monitored account.
    pub fn monitored(&self) -> &MonitoredAccount {
        &self.monitored
    }

    /// For the ledger table and the alert topic: the daemon's own account.
    pub fn own(&self) -> &OwnAccount {
        &self.own
    }

    /// The daemon's own credentials, to read with: AWS Organizations
    /// `ListAccounts` when the daemon runs in the management (or a delegated
    /// administrator) account. Read only, like every monitored view.
    pub fn own_reader(&self) -> MonitoredAccount {
        Account::new(self.own.base.clone())
    }

    /// A member account's view: `role` in it, assumed with the daemon's own
    /// credentials (hub and spoke: no member trusts another member). Its
    /// credentials are fetched at first use, so a missing role fails that
    /// account's calls, never the start.
    pub async fn member(&self, role: &str, external_id: Option<&str>) -> MonitoredAccount {
        Account::new(assume_role(self.own.base.clone(), role, external_id).await)
    }
}

/// Every (account, region) the sources read, each with its account's
/// credentials: the primary account in `monitor.regions`, then each member
/// account in its regions.
#[derive(Clone, Debug)]
pub struct MonitoredShards {
    shards: Vec<(Shard, MonitoredAccount)>,
}

impl MonitoredShards {
    /// The primary account in `regions`.
    pub fn primary(account: &MonitoredAccount, regions: &[String]) -> Self {
        let shards = regions.iter().map(|r| (Shard::primary(r), account.clone())).collect();
        MonitoredShards { shards }
    }

    /// Adds member account `id`, read through `account`, in `regions`.
    pub fn add_member(&mut self, id: &str, account: &MonitoredAccount, regions: &[String]) {
        self.shards.extend(regions.iter().map(|r| (Shard::member(id, r), account.clone())));
    }

    /// The ledger keys, in order: the primary's regions first.
    pub fn keys(&self) -> Vec<String> {
        self.shards.iter().map(|(s, _)| s.key()).collect()
    }

    pub fn shards(&self) -> impl Iterator<Item = &Shard> {
        self.shards.iter().map(|(s, _)| s)
    }

    /// One client per shard, keyed by its ledger key, built by `connect` from
    /// that account's configuration in the shard's region.
    pub fn per_shard<C>(&self, connect: impl Fn(&SdkConfig) -> C) -> std::collections::BTreeMap<String, C> {
        self.shards.iter().map(|(s, a)| (s.key(), connect(&a.for_region(&s.region)))).collect()
    }
}

/// The SDK configuration of the monitored account in one region, loaded on
/// its own (a source under test). The daemon loads one [`AwsConfig`] and
/// derives every client's from it instead.
pub async fn sdk_config(
    aws: &AwsSection,
    region: &str,
    credentials: Option<SharedCredentialsProvider>,
) -> SdkConfig {
    AwsConfig::load(aws, region, credentials).await.monitored().for_region(region)
}

/// `base` in another region: the same credentials (and their cache), HTTP
/// client (one connection pool, one TLS configuration), timeouts and retries.
/// Loading a configuration per client would give each its own, which costs
/// megabytes of memory for nothing.
fn for_region(base: &SdkConfig, region: &str) -> SdkConfig {
    base.to_builder().region(Region::new(region.to_string())).build()
}

/// Loads the daemon's own configuration, in `home_region`.
///
/// `credentials` replaces the default chain (the demo's emulator uses dummy
/// keys); production passes `None`. The endpoint comes from `aws.endpoint_url`,
/// else from the standard `AWS_ENDPOINT_URL*` variables the SDK reads itself.
async fn base_config(
    aws: &AwsSection,
    home_region: &str,
    credentials: Option<SharedCredentialsProvider>,
) -> SdkConfig {
    let timeouts = TimeoutConfig::builder()
        .operation_timeout(Duration::from_secs(aws.operation_timeout_secs))
        .operation_attempt_timeout(Duration::from_secs(aws.attempt_timeout_secs))
        .connect_timeout(Duration::from_secs(aws.attempt_timeout_secs.min(5)))
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(home_region.to_string()))
        .retry_config(RetryConfig::standard().with_max_attempts(aws.max_attempts))
        .timeout_config(timeouts)
        .http_client(http::shared_https_client());
    if let Some(url) = &aws.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    if let Some(provider) = credentials {
        loader = loader.credentials_provider(provider);
    }
    loader.load().await
}

/// The same configuration with credentials of `role`, assumed (and refreshed
/// before expiry) with the base credentials, for the monitored account.
/// Everything else (HTTP client, timeouts, retries) stays shared.
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

#[cfg(test)]
mod tests {
    use aws_sdk_cloudwatch::config::Credentials as StaticCredentials;

    use super::*;

    fn keys() -> StaticCredentials {
        StaticCredentials::new("AKIDEXAMPLE", "secret", None, None, "test")
    }

    fn credentials() -> Option<Credentials> {
        Some(SharedCredentialsProvider::new(keys()))
    }

    #[tokio::test]
    async fn every_account_region_and_member_has_the_one_http_client() {
        let aws = AwsSection { endpoint_url: Some("http://127.0.0.1:9".into()), ..AwsSection::default() };
        let config = AwsConfig::load(&aws, "us-east-1", credentials()).await;
        let member = config.member("arn:aws:iam::210987654321:role/reader", None).await;
        for sdk in [
            config.own().for_region("eu-west-1"),
            config.monitored().for_region("us-west-2"),
            config.own_reader().for_region("ap-northeast-1"),
            member.for_region("eu-central-1"),
        ] {
            assert!(sdk.http_client().is_some(), "{:?} builds its own HTTP client", sdk.region());
        }
    }

    #[tokio::test]
    async fn a_configuration_loaded_elsewhere_gets_one_too() {
        let loaded = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(keys())
            .load()
            .await;
        assert!(loaded.http_client().is_none(), "the SDK now sets one itself: this module may go");
        let config = AwsConfig::from_sdk(loaded);
        assert!(config.monitored().for_region("us-west-2").http_client().is_some());
    }
}
