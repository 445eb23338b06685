//! What every bench binary shares: whether this run measures, and its size
//! knobs from the environment. Must not time or print anything itself.

#![allow(dead_code)]

use std::str::FromStr;

/// `cargo bench` passes `--bench`; `cargo test --all-targets` does not, and
/// then each bench runs a small smoke pass so it keeps compiling and working.
pub fn measuring() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// A `BCM_BENCH_*` knob, or `default` when it is unset or not a number.
pub fn env_or<T: FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}
