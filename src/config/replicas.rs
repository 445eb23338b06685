//! The `[replicas]` section: the leader lease several sidecars share, whether
//! they also split the shards between them, and the renewal rule every
//! reader of it (leadership, the shard keeper, `check-config`) uses.

use std::time::Duration;

use serde::Deserialize;

/// Several sidecars (one per ECS task) share one store; only the holder of
/// the lease polls AWS, evaluates budgets and publishes alerts.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReplicasSection {
    /// The lease lasts this long and is renewed every third of it; a dead
    /// holder is replaced within two lease periods.
    pub lease_secs: u64,
    /// This replica's name in the lease; default `<hostname>-<pid>-<random>`,
    /// unique per process (see `app::leader::default_holder`).
    pub holder_id: Option<String>,
    /// How often a replica that does not hold the lease re-reads totals and
    /// budget statuses from the shared store.
    pub follower_refresh_secs: u64,
    /// Every replica leads some shards (account × region): each shard has
    /// its own lease in the shared table, and replicas take free ones up to
    /// a fair share. Off: one replica polls every shard. DynamoDB only.
    pub share_shards: bool,
}

impl ReplicasSection {
    pub fn lease(&self) -> Duration {
        Duration::from_secs(self.lease_secs)
    }

    /// How often the holder renews: a third of the lease, so a renewal can
    /// fail twice before a follower may take over.
    pub fn renew_every(&self) -> Duration {
        renew_every(self.lease())
    }
}

/// The renewal interval of a lease of `lease`.
pub fn renew_every(lease: Duration) -> Duration {
    lease / 3
}

impl Default for ReplicasSection {
    fn default() -> Self {
        ReplicasSection { lease_secs: 30, holder_id: None, follower_refresh_secs: 30, share_shards: false }
    }
}
