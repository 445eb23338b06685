//! The daily digest job (`alerts.digest.schedule`, leader only): the spend
//! of the previous local day and of its month to date, per budget, with the
//! top models, published once per day (`report.daily:<date>`).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{Datelike, Duration};

use super::evaluate::Evaluator;
use crate::alerts::digest::{digest, DigestInput};
use crate::budgets::period::midnight;
use crate::budgets::{Needs, Window};
use crate::scheduler::{Completed, Job, JobError, JobName};

pub struct DigestJob {
    pub evaluator: Arc<Evaluator>,
}

#[async_trait]
impl Job for DigestJob {
    fn name(&self) -> JobName {
        JobName::DIGEST
    }

    async fn run_once(&self) -> Result<Completed, JobError> {
        let ev = &self.evaluator;
        let tz = ev.timezone;
        let now = ev.clock.now();
        let today = now.with_timezone(&tz).date_naive();
        let day = today - Duration::days(1);
        let yesterday = Window::new(midnight(tz, day), midnight(tz, today));
        let month_to_date = Window::new(midnight(tz, day.with_day(1).unwrap_or(day)), yesterday.to);
        let needs = Needs {
            cost: [yesterday, month_to_date].into_iter().collect(),
            principal: Default::default(),
            requests: Default::default(),
        };
        let spend = ev.fetch(&needs).await.map_err(JobError::store("reading yesterday's spend"))?;
        let statuses = ev.board.read().statuses.clone();
        let message = digest(
            &DigestInput {
                day,
                timezone: tz.name(),
                yesterday,
                month_to_date,
                spend: &spend,
                budgets: &ev.budgets,
                statuses: &statuses,
            },
            now,
        );
        ev.dispatcher.raise(vec![message]).await.map_err(JobError::store("claiming the digest"))?;
        ev.dispatcher.flush(now).await.map_err(JobError::store("publishing the digest"))?;
        Ok(Completed::Done)
    }
}
