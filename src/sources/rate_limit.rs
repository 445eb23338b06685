//! A client-side request spacer: at most one request per interval, shared by
//! every task that calls the same API quota (e.g. LookupEvents in one region).
//!
//! Owns only the schedule of request slots, on tokio's clock so tests can
//! pause time. Must not retry, classify errors or know which API it guards.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Hands out request slots at least `interval` apart.
///
/// Even spacing (rather than a bucket that allows bursts) is deliberate: the
/// server measures its limit over any sliding window, and a burst followed by a
/// pause lands two windows' worth of requests close together whenever network
/// delay varies.
#[derive(Debug)]
pub struct RateLimiter {
    interval: Duration,
    /// The earliest instant the next request may go; `None` before the first.
    next: Mutex<Option<Instant>>,
}

impl RateLimiter {
    /// `per_second` requests per second, each slot `margin` later than the
    /// exact rate so network jitter cannot push two slots into one window.
    pub fn per_second(per_second: u32, margin: Duration) -> Self {
        let interval = Duration::from_secs(1) / per_second.max(1) + margin;
        RateLimiter { interval, next: Mutex::new(None) }
    }

    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// Waits for this caller's slot. Slots are reserved in call order, so
    /// concurrent callers queue fairly instead of racing.
    pub async fn acquire(&self) {
        let now = Instant::now();
        let slot = {
            let mut next = self.lock();
            let slot = next.map_or(now, |n| n.max(now));
            *next = Some(slot + self.interval);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }

    /// Nobody gets a slot before `now + pause` (after the server said "slow down").
    pub fn pause(&self, pause: Duration) {
        let until = Instant::now() + pause;
        let mut next = self.lock();
        *next = Some(next.map_or(until, |n| n.max(until)));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        // A poisoned lock still holds a valid instant; keep using it.
        self.next.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    #![allow(clippy::disallowed_methods, reason = "tests call the limiter from concurrent tasks")]
    use super::*;
    use std::sync::Arc;

    #[tokio::test(start_paused = true)]
    async fn spaces_requests_evenly_from_the_first_one() {
        let limiter = RateLimiter::per_second(2, Duration::from_millis(20));
        assert_eq!(limiter.interval(), Duration::from_millis(520));
        let t0 = Instant::now();
        let mut at = Vec::new();
        for _ in 0..5 {
            limiter.acquire().await;
            at.push(Instant::now() - t0);
        }
        let ms: Vec<u128> = at.iter().map(Duration::as_millis).collect();
        assert_eq!(ms, vec![0, 520, 1040, 1560, 2080]);
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_limiter_does_not_bank_slots() {
        let limiter = RateLimiter::per_second(2, Duration::ZERO);
        limiter.acquire().await;
        tokio::time::sleep(Duration::from_secs(10)).await;
        let t0 = Instant::now();
        limiter.acquire().await;
        limiter.acquire().await;
        assert_eq!(Instant::now() - t0, Duration::from_millis(500));
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_callers_share_one_schedule() {
        let limiter = Arc::new(RateLimiter::per_second(2, Duration::ZERO));
        let t0 = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..6 {
            let l = Arc::clone(&limiter);
            tasks.spawn(async move {
                l.acquire().await;
                Instant::now() - t0
            });
        }
        let mut at = Vec::new();
        while let Some(t) = tasks.join_next().await {
            at.push(t.unwrap().as_millis());
        }
        at.sort_unstable();
        assert_eq!(at, vec![0, 500, 1000, 1500, 2000, 2500]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_delays_every_later_slot() {
        let limiter = RateLimiter::per_second(2, Duration::ZERO);
        limiter.acquire().await;
        let t0 = Instant::now();
        limiter.pause(Duration::from_secs(3));
        limiter.acquire().await;
        assert_eq!(Instant::now() - t0, Duration::from_secs(3));
        // A shorter pause never brings the schedule forward.
        limiter.pause(Duration::from_millis(1));
        limiter.acquire().await;
        assert_eq!(Instant::now() - t0, Duration::from_millis(3500));
    }
}
