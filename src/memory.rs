//! Handing the allocator's free pages back to the system.
//!
//! glibc returns freed memory to the system only from the top of an arena
//! (and, with the image's thresholds, blocks of 64 KiB or more, which get a
//! mapping of their own). A burst of small allocations (a refresh's totals,
//! a scrape's label pairs, a page of CloudTrail events) freed below a block
//! that is still live stays resident: the heap keeps the size of its largest
//! burst. `malloc_trim(0)` walks every arena and returns each whole free page
//! inside it, wherever it is.
//!
//! Called at the end of the bursts, never in a loop: after every job run
//! (`app/hooks.rs`, through `SchedulerHooks::after_run`) and after every
//! `/metrics` scrape. glibc locks each arena in turn while it walks, so the
//! callers run it on a blocking thread (`scheduler::blocking`), never on an
//! async worker. Owns no state; elsewhere than glibc it does nothing.

/// Returns the allocator's whole free pages to the system; whether any were.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code, reason = "the one foreign call: glibc's malloc_trim")]
pub fn release_free_pages() -> bool {
    // SAFETY: malloc_trim takes no pointer and has no precondition; glibc
    // serialises it with every other allocator call, on any thread.
    unsafe { libc::malloc_trim(0) == 1 }
}

/// Elsewhere (musl, macOS): those allocators return memory on their own
/// terms and have no such call.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release_free_pages() -> bool {
    false
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_freed_burst_below_a_live_block_is_returned() {
        // A burst freed below a live block: the pages in between are free.
        let burst: Vec<Vec<u8>> = (0..2_000).map(|i| vec![(i % 251) as u8; 1_000]).collect();
        let live = vec![1u8; 1_000];
        drop(burst);
        let released = super::release_free_pages();
        if cfg!(all(target_os = "linux", target_env = "gnu")) {
            assert!(released, "2 MB freed below a live block: glibc had whole pages to return");
        }
        // The live block is untouched, and a second call is harmless.
        assert!(live.iter().all(|b| *b == 1));
        let _ = super::release_free_pages();
    }
}
