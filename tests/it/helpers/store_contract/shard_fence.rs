//! Contract of a shard's own fence (DynamoDB, where replicas share shards;
//! built with the emulator's `demo` feature only): a shard's writes are
//! fenced by that shard's lease alone, so a deposed owner's late chunk is
//! refused while its other shards' writes go on.

use bedrock_cost_monitor::ledger::{shard_lease, Backend, Fence, StoreError};
use bedrock_cost_monitor::pricing::TokenType;
use bedrock_cost_monitor::records::Source;
use chrono::Duration;

use super::{batch, priced, t, until};

/// Replica `a` owns two shards; `b` takes one of them. `a`'s late chunk and
/// watermark for it are refused (and only that shard is fenced out), its
/// other shard's chunk lands, and `b` writes the taken shard from where `a`'s
/// watermark stopped.
pub async fn a_deposed_shard_owners_writes_are_refused(store: &dyn Backend) {
    let ttl = Duration::seconds(30);
    let (east, west) = ("111122223333/us-east-1", "eu-west-1");
    let chunk = |shard: &str, m: u32| {
        let line = priced(shard, "m", m, TokenType::Input, 100, "0.0003");
        until(batch(Source::CloudWatch, shard, vec![], vec![line]), m + 1)
    };
    for shard in [east, west] {
        let lease = store.acquire_lease(&shard_lease(shard), "a", t(0), ttl).await.unwrap();
        store.set_fence(Fence { lease: shard_lease(shard), holder: "a".into(), epoch: lease.epoch });
        store.write(&chunk(shard, 1)).await.unwrap();
    }
    // `a` pauses; its leases run out and `b` takes the east shard.
    let taken = store.acquire_lease(&shard_lease(east), "b", t(2), ttl).await.unwrap();
    assert_eq!((taken.holder.as_str(), taken.epoch), ("b", 2));
    let late = store.write(&chunk(east, 2)).await;
    assert!(
        matches!(late, Err(StoreError::Fenced { ref lease, ref holder, epoch: 1 })
            if lease == &shard_lease(east) && holder == "a"),
        "{late:?}"
    );
    assert!(store.fenced_out_of(&shard_lease(east)));
    assert!(!store.fenced_out_of(&shard_lease(west)) && !store.fenced_out(), "only that shard");
    store.write(&chunk(west, 2)).await.unwrap();
    assert_eq!(store.watermark(Source::CloudWatch, west).await.unwrap(), Some(t(3)));
    assert_eq!(store.watermark(Source::CloudWatch, east).await.unwrap(), Some(t(2)), "not moved");

    // The new owner continues from the stored watermark.
    store.set_fence(Fence { lease: shard_lease(east), holder: "b".into(), epoch: 2 });
    assert!(!store.fenced_out_of(&shard_lease(east)));
    store.write(&chunk(east, 2)).await.unwrap();
    assert_eq!(store.watermark(Source::CloudWatch, east).await.unwrap(), Some(t(3)));
    let tokens: u64 = store.cost_totals().await.unwrap().iter().map(|c| c.tokens).sum();
    assert_eq!(tokens, 400, "two chunks per shard, the refused one not counted");
}
