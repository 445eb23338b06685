//! Re-pricing history: after the price table changes (a corrected rate, a
//! model that was unpriced, an entry dropped), the ledger's cost lines of a
//! window of UTC days are priced again with the table now in force, by the
//! same `pricing::PointPricer` a collection run uses, and the difference is
//! reported per day and model ID; applied, each day is rewritten in the
//! store (`ledger::RepriceStore`) with its totals, rollups and audit record,
//! then its attributed shares are split again.
//!
//! - `diff.rs`: what a day changes (pure);
//! - `run.rs`: the day loop, dry run or apply, and its report;
//! - `table_in_use.rs`: the flag naming the leader's table, checked first.
//!
//! Must not price by itself (only through `PointPricer`), evaluate budgets
//! or publish alerts: the leader re-evaluates the open periods on its next
//! run, and a closed period is never evaluated again.

pub mod diff;
mod run;
pub mod table_in_use;

use chrono::{DateTime, Days, NaiveDate, Utc};

pub use diff::{DayDiff, Row};
pub use run::{run, run_with_writer, DayOutcome, Report, Request};

use crate::ledger::StoreError;

/// Whole UTC days `from` through `to`, both included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub from: NaiveDate,
    /// The last day, included.
    pub to: NaiveDate,
}

impl Window {
    /// The first instant of the window (midnight UTC of `from`).
    pub fn start(&self) -> DateTime<Utc> {
        midnight(self.from)
    }

    /// The first instant after it (midnight UTC of the day after `to`).
    pub fn end(&self) -> DateTime<Utc> {
        midnight(self.to.checked_add_days(Days::new(1)).unwrap_or(self.to))
    }

    pub fn days(&self) -> impl Iterator<Item = NaiveDate> {
        let to = self.to;
        self.from.iter_days().take_while(move |d| *d <= to)
    }
}

pub fn midnight(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(chrono::NaiveTime::MIN).and_utc()
}

#[derive(Debug, thiserror::Error)]
pub enum RepriceError {
    #[error("ledger: {0}")]
    Store(#[from] StoreError),
    /// The window reaches before the first minute the store can rewrite.
    #[error(
        "{from} is before {horizon}, the first minute the ledger can still rewrite; the first day \
         that can be re-priced is {first}"
    )]
    BeforeHorizon { from: NaiveDate, horizon: DateTime<Utc>, first: NaiveDate },
    /// The leader prices with another table than the one applied.
    #[error(
        "the running leader `{holder}` prices with another price table (sha256 {running}, since {since}) \
         than the one applied (sha256 {applying}): restart the daemon with the new table first, so its \
         re-reads of recent minutes do not undo the re-price, or pass --force"
    )]
    TableDiffers { holder: String, since: DateTime<Utc>, running: String, applying: String },
    /// A day kept changing under the re-price (a daemon restating it).
    #[error("{day}: its lines changed while being re-priced, {attempts} times in a row; run it again")]
    KeptChanging { day: NaiveDate, attempts: u32 },
}
