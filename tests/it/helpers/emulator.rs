//! The AWS emulator of the test process: `emulator::exclusive().await`.
//!
//! One gateway for the whole test binary (starting moto takes seconds).
//! Tests that use it are serialised and each starts from a reset emulator,
//! so they cannot see each other's data, faults or rate-limit windows.

use std::ops::Deref;

use bedrock_cost_monitor::emulator::Emulator;
use tokio::sync::{Mutex, MutexGuard, OnceCell};

use super::repo_root;

// Each #[tokio::test] has its own runtime: the Emulator holds only a std process and
// opens a fresh connection per control call, so sharing it across runtimes is safe.
static EMULATOR: OnceCell<Emulator> = OnceCell::const_new();
// tokio's Mutex is not poisoned by a panicking test, unlike std's.
static SERIAL: Mutex<()> = Mutex::const_new(());

/// Exclusive access to the shared, freshly reset emulator for one test.
pub struct EmulatorGuard {
    emulator: &'static Emulator,
    _serial: MutexGuard<'static, ()>,
}

impl Deref for EmulatorGuard {
    type Target = Emulator;

    fn deref(&self) -> &Emulator {
        self.emulator
    }
}

/// Starts the emulator on first use, waits for exclusive access and resets it.
/// Panics with the set-up instructions when the emulator venv is missing.
pub async fn exclusive() -> EmulatorGuard {
    let serial = SERIAL.lock().await;
    let emulator = EMULATOR
        .get_or_try_init(|| Emulator::start(repo_root()))
        .await
        .unwrap_or_else(|err| panic!("cannot start the AWS emulator: {err}"));
    emulator.reset().await.unwrap_or_else(|err| panic!("cannot reset the AWS emulator: {err}"));
    EmulatorGuard { emulator, _serial: serial }
}

/// The emulator tests' turn, for a test that starts an emulator and a daemon
/// of its own (the `demo` command): it runs alone, as it did when every test
/// file was a binary of its own, instead of beside an emulator test.
pub fn alone() -> MutexGuard<'static, ()> {
    SERIAL.blocking_lock()
}
