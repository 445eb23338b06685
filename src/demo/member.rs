//! The demo's second account: a search team's account in the same
//! organisation (`[[accounts.members]]` in `config/demo.toml`), whose six
//! hours of history the daemon reads through a role in it, as a shard of its
//! own. The emulator, like STS, hands out that account's credentials for any
//! role named in it.

use aws_sdk_cloudwatch::config::SharedCredentialsProvider;
use chrono::{DateTime, Utc};

use super::DemoError;
use crate::config::Loaded;
use crate::emulator::Emulator;
use crate::sim::publish::publish;
use crate::sim::{datums, SimDatum, SimSeries};

/// The member account the demo configures, if any: (ID, name, its first region).
pub fn configured(loaded: &Loaded) -> Option<(String, String, String)> {
    let m = loaded.config.accounts.members.first()?;
    let region = m.regions.first().or(loaded.config.monitor.regions.first())?.clone();
    Some((m.id.clone(), m.name.clone().unwrap_or_else(|| m.id.clone()), region))
}

/// The search team's traffic: one Haiku 4.5 profile, lighter than the platform's.
fn series(region: &str) -> SimSeries {
    SimSeries {
        region: region.into(),
        model_id: "us.anthropic.claude-haiku-4-5-20251001-v1:0".into(),
        peak_invocations: 5,
        input_per_call: 6_000,
        output_per_call: 900,
        cache_read_per_call: 0,
        cache_write_per_call: 0,
        throttle_every: 0,
    }
}

/// `[start, end)` of the member's traffic.
pub fn history(loaded: &Loaded, start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<SimDatum> {
    configured(loaded).map(|(_, _, region)| datums(&series(&region), start, end)).unwrap_or_default()
}

/// Publishes `data` into the member account's CloudWatch, with that account's credentials.
pub async fn publish_history(
    emulator: &Emulator,
    loaded: &Loaded,
    data: &[SimDatum],
) -> Result<usize, DemoError> {
    let Some((id, _, region)) = configured(loaded) else { return Ok(0) };
    let own = emulator.sdk_config(&region).await;
    let role = format!("arn:aws:iam::{id}:role/{}", loaded.config.accounts.role_name);
    let provider =
        aws_config::sts::AssumeRoleProvider::builder(role).session_name("demo").configure(&own).build().await;
    let config = own.into_builder().credentials_provider(SharedCredentialsProvider::new(provider)).build();
    #[expect(
        clippy::disallowed_methods,
        reason = "the demo publishes the member account's simulated traffic"
    )]
    let client = aws_sdk_cloudwatch::Client::new(&config);
    publish(&client, data).await.map_err(Box::new)?;
    Ok(data.len())
}
