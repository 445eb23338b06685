//! Self-metrics of wake-ups: the alarm notifications read from the queue,
//! by what they said and what was done, and the alarm metrics the daemon
//! keeps (what CloudWatch bills the alarms by).

use prometheus::{IntCounterVec, IntGaugeVec, Registry};

use super::self_metrics::{opts, register};
use crate::wakeups::AlarmState;

/// What became of one queue message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WakeupOutcome {
    /// An alarm went to this state; ALARM woke the collection.
    State(AlarmState),
    /// Older than `max_message_age_minutes`: polling has covered it.
    Stale,
    /// Not one of the daemon's alarms, a region it does not monitor, or unreadable.
    Ignored,
}

impl WakeupOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            WakeupOutcome::State(s) => s.as_str(),
            WakeupOutcome::Stale => "stale",
            WakeupOutcome::Ignored => "ignored",
        }
    }
}

#[derive(Clone)]
pub struct WakeupMetrics {
    messages: IntCounterVec,
    alarm_metrics: IntGaugeVec,
}

impl WakeupMetrics {
    pub fn new(registry: &Registry) -> prometheus::Result<Self> {
        let messages = register(
            registry,
            IntCounterVec::new(
                opts(
                    "wakeups_total",
                    "Wake-up queue messages read, by outcome: alarm (woke the usage collection), ok, \
                     insufficient_data, stale (older than wakeups.max_message_age_minutes), ignored.",
                ),
                &["region", "outcome"],
            )?,
        )?;
        let alarm_metrics = register(
            registry,
            IntGaugeVec::new(
                opts(
                    "wakeup_alarm_metrics",
                    "Metrics watched by the daemon's wake-up alarms (CloudWatch bills alarms per metric).",
                ),
                &["region"],
            )?,
        )?;
        Ok(WakeupMetrics { messages, alarm_metrics })
    }

    pub fn message(&self, region: &str, outcome: WakeupOutcome) {
        self.messages.with_label_values(&[region, outcome.as_str()]).inc();
    }

    pub fn set_alarm_metrics(&self, region: &str, n: usize) {
        self.alarm_metrics.with_label_values(&[region]).set(i64::try_from(n).unwrap_or(i64::MAX));
    }
}
