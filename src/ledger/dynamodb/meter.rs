//! What the store has asked of DynamoDB: requests per operation and the
//! capacity units they cost, estimated from item sizes with DynamoDB's
//! rules (a strongly consistent read: one unit per 4 KB of a Query page or
//! of each item got; a write: one unit per KB of each item, twice inside a
//! transaction). Emulators report no real consumed capacity, and on AWS the
//! estimate matches the bill closely enough to compare designs.
//!
//! Counters only; must not decide anything.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use rust_decimal::Decimal;

const READ_UNIT: usize = 4 * 1024;
const WRITE_UNIT: usize = 1024;

/// On-demand prices in us-east-1 since November 2024: $0.625 per million
/// write request units and $0.125 per million read request units. Other
/// regions cost a little more; this is an estimate for the self-cost, like
/// the CloudWatch prices the collector uses.
const USD_PER_WRITE_UNIT: Decimal = Decimal::from_parts(625, 0, 0, false, 9);
const USD_PER_READ_UNIT: Decimal = Decimal::from_parts(125, 0, 0, false, 9);

use crate::ledger::StoreUsage;

/// The capacity's price is DynamoDB's, so it is estimated here.
impl StoreUsage {
    /// What the capacity used so far costs on demand, exactly.
    pub fn estimated_usd(&self) -> Decimal {
        Decimal::from(self.write_units) * USD_PER_WRITE_UNIT
            + Decimal::from(self.read_units) * USD_PER_READ_UNIT
    }
}

#[derive(Debug, Default)]
pub(super) struct Meter {
    requests: Mutex<BTreeMap<&'static str, u64>>,
    items_read: AtomicU64,
    items_written: AtomicU64,
    read_units: AtomicU64,
    write_units: AtomicU64,
}

fn units(bytes: usize, per: usize) -> u64 {
    u64::try_from(bytes.div_ceil(per).max(1)).unwrap_or(u64::MAX)
}

fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

impl Meter {
    pub fn request(&self, op: &'static str) {
        // A poisoned lock only means a panic elsewhere; the counts stay usable.
        let mut requests = self.requests.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *requests.entry(op).or_default() += 1;
    }

    /// One Query page (or any read billed on the bytes it returned together).
    pub fn read_page(&self, items: usize, bytes: usize) {
        self.items_read.fetch_add(count(items), Ordering::Relaxed);
        self.read_units.fetch_add(units(bytes, READ_UNIT), Ordering::Relaxed);
    }

    /// Items got one by one (GetItem, BatchGetItem): each is rounded up.
    pub fn read_items(&self, sizes: impl IntoIterator<Item = usize>) {
        for size in sizes {
            self.items_read.fetch_add(1, Ordering::Relaxed);
            self.read_units.fetch_add(units(size, READ_UNIT), Ordering::Relaxed);
        }
    }

    pub fn written(&self, sizes: impl IntoIterator<Item = usize>, transactional: bool) {
        for size in sizes {
            self.items_written.fetch_add(1, Ordering::Relaxed);
            let n = units(size, WRITE_UNIT);
            self.write_units.fetch_add(if transactional { 2 * n } else { n }, Ordering::Relaxed);
        }
    }

    pub fn usage(&self) -> StoreUsage {
        StoreUsage {
            requests: self.requests.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone(),
            items_read: self.items_read.load(Ordering::Relaxed),
            items_written: self.items_written.load(Ordering::Relaxed),
            read_units: self.read_units.load(Ordering::Relaxed),
            write_units: self.write_units.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_round_up_per_page_item_and_transaction() {
        let m = Meter::default();
        m.request("Query");
        m.read_page(10, 9000);
        m.read_page(0, 0);
        m.read_items([100, 5000]);
        m.written([100, 1500], true);
        m.written([100], false);
        let u = m.usage();
        assert_eq!(u.requests.get("Query"), Some(&1));
        assert_eq!((u.items_read, u.read_units), (12, 3 + 1 + 1 + 2));
        assert_eq!((u.items_written, u.write_units), (3, 2 + 4 + 1));
    }

    #[test]
    fn estimated_cost_is_exact_at_on_demand_prices() {
        let cases = [
            (0, 0, "0"),
            (1, 0, "0.000000625"),
            (0, 1, "0.000000125"),
            (1_000_000, 1_000_000, "0.750"),
            // A day of steady 15-minute cycles: 96 x 795 write and 96 x 51 read units.
            (76_320, 4_896, "0.048312"),
        ];
        for (write_units, read_units, usd) in cases {
            let u = StoreUsage { write_units, read_units, ..StoreUsage::default() };
            assert_eq!(u.estimated_usd(), usd.parse::<Decimal>().unwrap(), "{write_units} W, {read_units} R");
        }
    }
}
