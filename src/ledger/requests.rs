//! The write batch of priced requests from the invocation logs, and the
//! checks every store makes on it before writing anything. The records are
//! in `records/requests.rs`. Must not parse logs or price anything.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use super::StoreError;
use crate::records::RequestCost;

/// Priced requests of one region. Writing it adds each request whose ID the
/// store has not counted yet to its minute's sums and skips the others, so
/// re-reading a log window (or a re-delivered record) never counts twice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestBatch {
    pub region: String,
    pub requests: Vec<RequestCost>,
    /// Logs are read up to (excluding) this instant; `None` leaves it as is.
    pub watermark: Option<DateTime<Utc>>,
    /// Request IDs of minutes (and read objects of hours) before this
    /// instant may be forgotten: no window read from now on reaches back
    /// that far.
    pub forget_before: Option<DateTime<Utc>>,
    /// An S3 object whose every record is in this batch or an earlier one:
    /// marked read, in the same transaction, so it is never read again.
    pub object_done: Option<DoneObject>,
}

/// A delivered S3 object read to its end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DoneObject {
    pub key: String,
    /// The delivery hour of its key.
    pub hour: DateTime<Utc>,
}

/// What a request write did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RequestWriteStats {
    /// Requests counted for the first time.
    pub added: usize,
    /// Requests already counted (re-read or re-delivered), skipped.
    pub duplicates: usize,
}

impl RequestBatch {
    /// Requests of `region` to add, and nothing else.
    pub fn of(region: &str, requests: Vec<RequestCost>) -> Self {
        RequestBatch {
            region: region.to_string(),
            requests,
            watermark: None,
            forget_before: None,
            object_done: None,
        }
    }

    /// Refuses what no store may write, so a refused batch leaves no trace:
    /// a request of another region, without an ID, or the same ID twice.
    pub fn check(&self) -> Result<(), StoreError> {
        let mut ids = BTreeSet::new();
        for r in &self.requests {
            if r.region != self.region {
                return Err(StoreError::Backend(format!(
                    "request {} of region {} is in a batch of region {}",
                    r.request_id, r.region, self.region
                )));
            }
            if r.request_id.is_empty() {
                return Err(StoreError::Backend(format!("a request of {} has no request ID", r.minute)));
            }
            if !ids.insert(r.request_id.as_str()) {
                return Err(StoreError::Backend(format!(
                    "request {} appears twice in one batch",
                    r.request_id
                )));
            }
        }
        Ok(())
    }
}
