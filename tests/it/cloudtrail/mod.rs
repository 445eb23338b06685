//! CloudTrail: who called.
//!
//! - `source`: the CloudTrail source and job against the emulator's LookupEvents;
//! - `e2e`: cost split per principal through the whole daemon.

mod e2e;
mod source;
