//! What every bench binary shares: whether this run measures, its size knobs
//! from the environment, and repeated wall-clock timing. Must not print.

#![allow(dead_code)]

use std::str::FromStr;
use std::time::{Duration, Instant};

/// `cargo bench` passes `--bench`; `cargo test --all-targets` does not, and
/// then each bench runs a small smoke pass so it keeps compiling and working.
pub fn measuring() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// A `BCM_BENCH_*` knob, or `default` when it is unset or not a number.
pub fn env_or<T: FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Wall time of each of `reps` runs of `f`, shortest first.
pub fn timings(reps: usize, mut f: impl FnMut()) -> Vec<Duration> {
    let mut times: Vec<Duration> = (0..reps.max(1))
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times
}
