//! The budget board: the budget definitions and their latest statuses, as
//! the enforcement API and the budget gauges read them. The leader writes it
//! after every evaluation; followers fill it from the store.
//!
//! Telemetry only reads it; it is kept in memory so a decision costs no
//! store round-trip.

use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard};

use chrono::{DateTime, Utc};

use crate::budgets::BudgetStatus;
use crate::config::BudgetConfig;

#[derive(Clone, Debug, Default)]
pub struct BudgetBoard {
    pub budgets: Vec<BudgetConfig>,
    pub statuses: Vec<BudgetStatus>,
    /// When the statuses were computed (by whichever replica leads).
    pub evaluated_at: Option<DateTime<Utc>>,
}

/// The board shared between its writer and the readers.
#[derive(Clone, Debug, Default)]
pub struct SharedBudgetBoard(Arc<RwLock<BudgetBoard>>);

impl SharedBudgetBoard {
    pub fn new(budgets: Vec<BudgetConfig>) -> Self {
        SharedBudgetBoard(Arc::new(RwLock::new(BudgetBoard { budgets, ..BudgetBoard::default() })))
    }

    pub fn read(&self) -> RwLockReadGuard<'_, BudgetBoard> {
        // Replaced whole on every write: a poisoned lock still holds a consistent board.
        self.0.read().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn set_statuses(&self, statuses: Vec<BudgetStatus>) {
        let evaluated_at = statuses.iter().map(|s| s.evaluated_at).max();
        let mut board = self.0.write().unwrap_or_else(PoisonError::into_inner);
        board.statuses = statuses;
        board.evaluated_at = evaluated_at;
    }
}
