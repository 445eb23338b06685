//! What a store that calls AWS has used so far, for the self-cost figure:
//! requests by operation, items, and estimated capacity units. A store that
//! makes no AWS request (SQLite) has none. Counters only.

use std::collections::BTreeMap;

/// A snapshot of a store's request counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoreUsage {
    /// Requests sent, by operation (`Query`, `TransactWriteItems`, …).
    pub requests: BTreeMap<&'static str, u64>,
    pub items_read: u64,
    pub items_written: u64,
    /// Estimated read capacity units (strongly consistent).
    pub read_units: u64,
    /// Estimated write capacity units (transactional writes count twice).
    pub write_units: u64,
}
