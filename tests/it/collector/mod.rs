//! CloudWatch usage collection.
//!
//! - `adapter`: the CloudWatch adapter on a mocked SDK client with scripted answers;
//! - `e2e`: the collection job end to end against the emulator, its ledger and
//!   the real daemon's `/metrics` compared with a truth priced by hand.

mod adapter;

#[cfg(feature = "demo")]
mod e2e;
