//! What a replica that does not hold the lease does: every
//! `replicas.follower_refresh_secs`, re-read the totals (for `/metrics`) and
//! the budget statuses (for the API and the budget gauges) that the leader
//! keeps in the shared store. Every replica, the leader too, fills its board
//! the same way once at start ([`fill_board`]), before the API answers.

use std::sync::Arc;

use async_trait::async_trait;

use super::leader::Leadership;
use super::snapshot::Refresher;
use crate::clock::Clock;
use crate::ledger::{Backend, StoreError};
use crate::scheduler::{Completed, Job, JobError, JobName};
use crate::telemetry::SharedBudgetBoard;

pub struct Follower {
    pub leadership: Arc<Leadership>,
    pub refresher: Arc<Refresher>,
    pub store: Arc<dyn Backend>,
    pub board: SharedBudgetBoard,
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl Job for Follower {
    fn name(&self) -> JobName {
        JobName::FOLLOWER_REFRESH
    }

    async fn run_once(&self) -> Result<Completed, JobError> {
        if self.leadership.is_leader() {
            return Ok(Completed::Standby);
        }
        let now = self.clock.now();
        self.refresher.refresh(now).await.map_err(JobError::store("refreshing the metrics snapshot"))?;
        fill_board(self.store.as_ref(), &self.board)
            .await
            .map_err(JobError::store("reading budget statuses"))?;
        Ok(Completed::Done)
    }
}

/// Replaces the board's statuses with the latest the store holds.
pub async fn fill_board(store: &dyn Backend, board: &SharedBudgetBoard) -> Result<(), StoreError> {
    board.set_statuses(store.budget_statuses().await?);
    Ok(())
}
