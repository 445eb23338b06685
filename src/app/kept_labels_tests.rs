//! The kept model IDs survive a restart: a second process over the same
//! store starts from the first one's set, not from a new ranking.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;

use super::*;
use crate::ledger::sqlite::SqliteStore;
use crate::ledger::StatusStore;

fn rank(ids: &[(&str, i64)]) -> BTreeMap<String, (Decimal, u64)> {
    ids.iter().map(|(id, usd)| (id.to_string(), (Decimal::from(*usd), 0))).collect()
}

fn set(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn a_restart_keeps_the_set_the_previous_process_kept() {
    let store = SqliteStore::open_in_memory().unwrap();
    let first = KeptLabels::new(MODEL_IDS_FLAG, 2);
    assert_eq!(first.update(&store, rank(&[("a", 5), ("b", 3)])).await.unwrap(), set(&["a", "b"]));
    // c arrives when the set is full, then outgrows everyone.
    let grown = rank(&[("a", 5), ("b", 3), ("c", 90)]);
    assert_eq!(first.update(&store, grown.clone()).await.unwrap(), set(&["a", "b"]));

    // A new process would rank c first and move b into `other`; it restores instead.
    let second = KeptLabels::new(MODEL_IDS_FLAG, 2);
    assert_eq!(second.update(&store, grown.clone()).await.unwrap(), set(&["a", "b"]));

    // Room is filled and saved; a lowered cap keeps the best of the saved set.
    let wider = KeptLabels::new(MODEL_IDS_FLAG, 3);
    assert_eq!(wider.update(&store, grown.clone()).await.unwrap(), set(&["a", "b", "c"]));
    let narrower = KeptLabels::new(MODEL_IDS_FLAG, 1);
    assert_eq!(narrower.update(&store, grown).await.unwrap(), set(&["c"]));
}

#[tokio::test]
async fn an_unreadable_flag_ranks_again() {
    let store = SqliteStore::open_in_memory().unwrap();
    store.put_state(MODEL_IDS_FLAG, "not json").await.unwrap();
    let kept = KeptLabels::new(MODEL_IDS_FLAG, 1);
    assert_eq!(kept.update(&store, rank(&[("a", 1), ("b", 2)])).await.unwrap(), set(&["b"]));
    assert_eq!(store.get_state(MODEL_IDS_FLAG).await.unwrap().as_deref(), Some("[\"b\"]"), "rewritten");
}
