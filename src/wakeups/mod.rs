//! Wake-ups instead of polling: a few CloudWatch alarms that AWS evaluates
//! every minute watch the token metrics of the active models, weighted into
//! USD per hour; when one goes to ALARM, CloudWatch notifies an SNS topic,
//! SNS delivers to an SQS queue the daemon long-polls, and the message wakes
//! the usage collection (and with it the budget evaluation) at once instead
//! of at the next tick. Polling stays as the safety net.
//!
//! Here, pure: the alarm set a region should have (`plan.rs`), the
//! threshold it is judged against, and reading a notification
//! (`message.rs`). The AWS calls are in `sources/wakeups/`, the jobs that
//! keep the alarms and listen to the queue in `app/wakeups/`.

pub mod message;
pub mod plan;

use rust_decimal::Decimal;

pub use message::{parse, AlarmState, MessageError, Notification};
pub use plan::{plan, AlarmSpec, Watched, METRICS_PER_ALARM};

use crate::config::BudgetConfig;

/// USD per hour at which a region's alarms wake the daemon: the configured
/// figure, else the lowest `burn_rate.min_usd_per_hour` of the budgets that
/// cover the region (no burn-rate alert can fire below its floor, so a
/// lower threshold would only wake the daemon for nothing). `None`: no
/// figure applies, the region gets no alarm.
pub fn threshold(configured: Option<Decimal>, budgets: &[BudgetConfig], region: &str) -> Option<Decimal> {
    if configured.is_some() {
        return configured;
    }
    budgets
        .iter()
        .filter(|b| {
            let scope = crate::budgets::scope::Scope::of(b);
            // Alarms watch the primary account: a plain region is its key.
            scope.matches_region(region) && scope.matches_key_account(region)
        })
        .filter_map(|b| b.burn_rate.as_ref().map(|r| r.min_usd_per_hour.0))
        .min()
}
