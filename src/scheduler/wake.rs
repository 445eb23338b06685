//! Wake-ups: a job run early, between its cron ticks, because something
//! outside asked for it (a CloudWatch alarm message naming a region).
//!
//! The job's own loop runs the early run, so "never two runs of a job at
//! once" holds as for ticks. Requests coalesce: however many arrive before a
//! run starts, that run answers them all, and a request made while a run is
//! going is answered by one more run after it. Early runs are spaced by at
//! least `min_gap` from the start of the previous early run, so a storm of
//! requests never costs more than one extra run per gap; a request inside
//! the gap waits for its end instead of being lost. A tick answers the
//! requests made before it but does not delay the next early run: the data
//! an alarm saw may be newer than the tick's read.
//!
//! Time here is tokio's monotonic clock: the gap is a rate, not a wall time,
//! and tests drive it with paused time.

use std::collections::BTreeSet;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// The early-run trigger of one job; `request` may be called from any task.
pub struct Wake {
    min_gap: Duration,
    state: Mutex<State>,
    notify: Notify,
}

#[derive(Default)]
struct State {
    /// Why a run is wanted (the regions named), empty when none is.
    pending: BTreeSet<String>,
    /// When the job's latest early run started.
    last_early: Option<Instant>,
}

impl Wake {
    pub fn new(min_gap: Duration) -> Wake {
        Wake { min_gap, state: Mutex::new(State::default()), notify: Notify::new() }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Asks for an early run because of `reason`. Returns false when a run
    /// was already wanted: this request rides on it (coalesced).
    pub fn request(&self, reason: &str) -> bool {
        let first = {
            let mut state = self.state();
            let first = state.pending.is_empty();
            state.pending.insert(reason.to_string());
            first
        };
        // A stored permit if the loop is busy: it looks again after its run.
        self.notify.notify_one();
        first
    }

    /// Whether an early run is wanted and not yet started.
    pub fn is_pending(&self) -> bool {
        !self.state().pending.is_empty()
    }

    /// When the wanted early run may start: `None` when none is wanted.
    fn due_at(&self) -> Option<Instant> {
        let state = self.state();
        if state.pending.is_empty() {
            return None;
        }
        Some(state.last_early.map_or_else(Instant::now, |t| t + self.min_gap))
    }

    /// Returns once an early run is wanted and the gap since the previous
    /// run has passed.
    pub(super) async fn ready(&self) {
        loop {
            match self.due_at() {
                Some(at) if at <= Instant::now() => return,
                Some(at) => {
                    tokio::select! {
                        _ = tokio::time::sleep_until(at) => {}
                        _ = self.notify.notified() => {}
                    }
                }
                None => self.notify.notified().await,
            }
        }
    }

    /// A run starts now (`early`: because of a wake-up, else a tick): it
    /// answers every request made so far, which it returns.
    pub(super) fn started(&self, early: bool) -> Vec<String> {
        let mut state = self.state();
        if early {
            state.last_early = Some(Instant::now());
        }
        std::mem::take(&mut state.pending).into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn requests_before_a_run_coalesce_into_it() {
        let wake = Wake::new(Duration::from_secs(60));
        assert!(wake.request("us-east-1"));
        assert!(!wake.request("us-east-1"), "a second request rides on the first");
        assert!(!wake.request("us-west-2"));
        tokio::time::timeout(Duration::from_millis(1), wake.ready()).await.unwrap();
        assert_eq!(wake.started(true), vec!["us-east-1".to_string(), "us-west-2".to_string()]);
        assert!(!wake.is_pending());
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_inside_the_gap_waits_for_its_end() {
        let wake = Wake::new(Duration::from_secs(60));
        wake.started(false); // a tick: no gap to wait for
        wake.request("us-east-1");
        tokio::time::timeout(Duration::from_millis(1), wake.ready()).await.unwrap();
        wake.started(true); // the early run
        tokio::time::sleep(Duration::from_secs(10)).await;
        wake.request("us-east-1");
        let asked = Instant::now();
        wake.ready().await;
        assert_eq!(asked.elapsed(), Duration::from_secs(50), "one early run per gap");
    }

    #[tokio::test(start_paused = true)]
    async fn nothing_wanted_means_no_run() {
        let wake = Wake::new(Duration::from_secs(60));
        assert!(tokio::time::timeout(Duration::from_secs(3600), wake.ready()).await.is_err());
    }
}
