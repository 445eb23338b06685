//! Fenced leadership end to end: three replicas, each with its own handle on
//! one DynamoDB table. The leader is paused past its lease, another takes
//! over, and the paused one resumes in the middle of its work believing it
//! still leads: none of its late writes lands, it steps down on the first
//! refusal, and the alert both of them raise reaches the topic once. Then
//! the new leader is killed in the middle of a publish: the third replica
//! takes over once lease and publish lock run out, and that alert too
//! arrives once. (A publish SNS accepts after the client timed out is
//! `alerts_delivery`'s.)

use std::sync::Arc;

use bedrock_cost_monitor::alerts::ops;
use bedrock_cost_monitor::clock::{Clock, ManualClock};
use bedrock_cost_monitor::ledger::{Delivery, StoreError};
use chrono::{Duration, TimeZone, Utc};

use super::scenarios::Shared;
use crate::helpers::daemon::{DaemonOptions, TestConfig, TestDaemon};
use crate::helpers::emulator;
use crate::helpers::inbox::Topic;

#[tokio::test]
async fn a_paused_leader_resumes_deposed_and_nothing_it_writes_lands() {
    let emu = emulator::exclusive().await;
    let dir = tempfile::tempdir().unwrap();
    let topic = Topic::create(&emu, "fenced-alerts", false).await;
    let Shared::Config(store) = super::dynamodb::table(&emu, "ledger-fencing").await else {
        unreachable!("a table config")
    };
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).unwrap()));
    let mut replicas = Vec::new();
    for name in ["task-a", "task-b", "task-c"] {
        let sub = dir.path().join(name);
        std::fs::create_dir_all(&sub).unwrap();
        let extra = format!("{store}\n[replicas]\nlease_secs = 30\nholder_id = \"{name}\"\n");
        let loaded = TestConfig::driven(&sub, emu.endpoint_url()).topic(&topic.arn).extra(&extra).load();
        replicas.push(TestDaemon::spawn(&emu, DaemonOptions::new(loaded, clock.clone())).await);
    }
    let [a, b, c] = [&replicas[0], &replicas[1], &replicas[2]];
    assert!(a.parts().leadership.is_leader(), "the first to ask leads");
    assert!(!b.parts().leadership.is_leader() && !c.parts().leadership.is_leader());

    // `a` is paused: no renewal for longer than the lease. `b` takes over.
    clock.advance(Duration::seconds(31));
    assert!(b.parts().leadership.renew().await && !c.parts().leadership.renew().await);
    let alert = || vec![ops::unpriced_model("us-east-1", "anthropic.claude-next-v1:0", clock.now())];

    // `a` resumes mid-run, still believing it leads (its own flag has not
    // lapsed on its monotonic clock: the pause was of the wall clock here).
    assert!(a.parts().leadership.is_leader());
    let late = a.parts().dispatcher.raise(alert()).await;
    assert!(
        matches!(late, Err(StoreError::Fenced { ref holder, epoch: 1, .. }) if holder == "task-a"),
        "{late:?}"
    );
    let statuses = a.parts().store.put_budget_statuses(&[], clock.now()).await;
    assert!(matches!(statuses, Err(StoreError::Fenced { .. })), "{statuses:?}");
    assert!(!a.parts().leadership.is_leader(), "the first refusal makes it step down");

    // The leader raises the same alert: claimed once, published once.
    assert_eq!(b.parts().dispatcher.raise(alert()).await.unwrap().len(), 1);
    assert_eq!(b.parts().dispatcher.flush(clock.now()).await.unwrap().published, 1);
    let key = &alert()[0].dedupe_key;
    let entry = b.parts().store.alert(key).await.unwrap().unwrap();
    assert_eq!((entry.delivery(), entry.attempts), (Delivery::Published, 1));
    let delivered = topic.drain().await;
    assert_eq!(delivered.len(), 1, "{delivered:#?}");
    // And `a`, renewing again, finds the lease taken and stays a follower.
    assert!(!a.parts().leadership.renew().await);

    // `b` claims the next alert and is killed while publishing it: its
    // publish lock is taken, nothing is marked, the lease is not released.
    let next = || vec![ops::unpriced_model("us-east-1", "anthropic.claude-after-v1:0", clock.now())];
    let key = b.parts().dispatcher.raise(next()).await.unwrap().remove(0);
    let now = clock.now();
    assert!(b
        .parts()
        .store
        .lock_alert(&key, &b.parts().leadership.holder, now, now + Duration::seconds(40))
        .await
        .unwrap());
    drop(replicas.remove(1));
    let (a, c) = (&replicas[0], &replicas[1]);
    // Past the lease (30 s) and the publish lock (40 s): `c` leads and sends it.
    clock.advance(Duration::seconds(41));
    assert!(c.parts().leadership.renew().await, "the killed leader's lease has run out");
    assert_eq!(c.parts().dispatcher.flush(clock.now()).await.unwrap().published, 1);
    let delivered = topic.drain().await;
    assert_eq!(delivered.len(), 1, "the killed publisher's alert, once: {delivered:#?}");
    assert!(!a.parts().leadership.is_leader() && c.parts().leadership.is_leader());
}
