//! What a replica that does not hold the lease does: every
//! `replicas.follower_refresh_secs`, re-read the totals (for `/metrics`) and
//! the budget statuses (for the API and the budget gauges) that the leader
//! keeps in the shared store.

use std::sync::Arc;

use async_trait::async_trait;

use super::leader::Leadership;
use super::snapshot::Refresher;
use crate::clock::Clock;
use crate::ledger::Backend;
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
        let statuses =
            self.store.budget_statuses().await.map_err(JobError::store("reading budget statuses"))?;
        self.board.set_statuses(statuses);
        Ok(Completed::Done)
    }
}
