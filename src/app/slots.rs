//! Connection slots of one listener: at most `max_connections` served at
//! once, and at most `max_connections_per_client` of them held by one client
//! address, so a single client cannot take every slot (nor, its extra
//! connections being closed at once, fill the kernel's queue ahead of the
//! others). A slot is given back when its guard drops.
//!
//! Counting only: accepting and serving is `serve.rs`'s.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

pub struct Slots {
    free: Arc<Semaphore>,
    per_client: usize,
    held: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// One connection's slot; dropping it frees the slot.
pub struct Slot {
    _permit: OwnedSemaphorePermit,
    client: IpAddr,
    held: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// A free slot not yet given to a client.
pub struct Free(OwnedSemaphorePermit);

impl Slots {
    pub fn new(max: usize, per_client: usize) -> Slots {
        Slots { free: Arc::new(Semaphore::new(max)), per_client, held: Arc::default() }
    }

    /// Waits until a slot is free: accepting waits with it, so the kernel
    /// queues the next connections instead of this process.
    /// `None` only if the semaphore were closed, which nothing does.
    pub async fn free(&self) -> Option<Free> {
        self.free.clone().acquire_owned().await.ok().map(Free)
    }

    /// Gives `free` to `client`, unless it holds its share already.
    pub fn claim(&self, free: Free, client: IpAddr) -> Option<Slot> {
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        let count = held.entry(client).or_default();
        if *count >= self.per_client {
            return None;
        }
        *count += 1;
        Some(Slot { _permit: free.0, client, held: self.held.clone() })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        // A map of counts stays consistent whatever panicked while holding it.
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = held.get_mut(&self.client) {
            *count -= 1;
            if *count == 0 {
                held.remove(&self.client);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_client_holds_its_share_and_slots_come_back_on_drop() {
        let slots = Slots::new(3, 2);
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let a1 = slots.claim(slots.free().await.unwrap(), a).unwrap();
        let a2 = slots.claim(slots.free().await.unwrap(), a).unwrap();
        assert!(slots.claim(slots.free().await.unwrap(), a).is_none(), "a third for the same client");
        let b1 = slots.claim(slots.free().await.unwrap(), b).unwrap();
        // Every slot is held: the next waits.
        let waiting = tokio::time::timeout(std::time::Duration::from_millis(20), slots.free()).await;
        assert!(waiting.is_err());
        drop(a1);
        let a3 = slots.claim(slots.free().await.unwrap(), a).unwrap();
        drop((a2, a3, b1));
        assert!(slots.held.lock().unwrap().is_empty());
    }
}
