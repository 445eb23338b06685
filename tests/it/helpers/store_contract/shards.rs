//! Contract of shared shards: every lease (the leader's, each shard's, each
//! replica's membership heartbeat) is listed in one read with its holder and
//! expiry, and a long-expired heartbeat can be forgotten. (A shard's own
//! fence: `shard_fence`, DynamoDB only.)

use bedrock_cost_monitor::ledger::{member_lease, shard_lease, Backend};
use chrono::Duration;

use super::t;

pub async fn leases_are_listed_with_their_holders(store: &dyn Backend) {
    let ttl = Duration::seconds(30);
    assert!(store.leases().await.unwrap().is_empty());
    store.acquire_lease("collector", "a", t(0), ttl).await.unwrap();
    store.acquire_lease(&shard_lease("111122223333/us-east-1"), "b", t(0), ttl).await.unwrap();
    store.acquire_lease(&member_lease("a"), "a", t(0), ttl).await.unwrap();
    store.acquire_lease(&member_lease("b#1"), "b#1", t(1), ttl).await.unwrap();
    store.release_lease(&member_lease("a"), "a").await.unwrap();
    let mut listed: Vec<(String, String, bool)> = store
        .leases()
        .await
        .unwrap()
        .into_iter()
        .map(|(name, l)| (name, l.holder.clone(), l.held_by(&l.holder, t(1))))
        .collect();
    listed.sort();
    let want = [
        ("collector", "a", false),
        ("member:a", "a", false),
        ("member:b#1", "b#1", true),
        ("shard:111122223333/us-east-1", "b", false),
    ];
    let want: Vec<(String, String, bool)> =
        want.iter().map(|(n, h, live)| (n.to_string(), h.to_string(), *live)).collect();
    assert_eq!(listed, want, "names come back as written (`#` too), released ones at their old holder");

    // A replica long gone is forgotten; a live one is not.
    store.forget_member("a", t(1)).await.unwrap();
    store.forget_member("b#1", t(1)).await.unwrap();
    let mut names: Vec<String> = store.leases().await.unwrap().into_iter().map(|(n, _)| n).collect();
    names.sort();
    assert_eq!(names, ["collector", "member:b#1", "shard:111122223333/us-east-1"]);
}
