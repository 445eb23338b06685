//! The alert kinds this daemon sends, each a fixed name: the `kind` of a
//! message body and SNS attribute, the outbox's record of it, and the `kind`
//! label of `bedrock_monitor_alerts_published_total`. A new kind is one
//! constant here, its builder beside `ops.rs`/`budget.rs`/`data.rs`, and its
//! trigger in `app/`.

/// An alert kind: what `kind` says in a message body, its SNS attribute and
/// the `kind` label of `bedrock_monitor_alerts_published_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AlertKind(&'static str);

impl AlertKind {
    pub const BUDGET_THRESHOLD: AlertKind = AlertKind("budget.threshold");
    pub const BUDGET_FORECAST: AlertKind = AlertKind("budget.forecast");
    pub const BUDGET_BURN_RATE: AlertKind = AlertKind("budget.burn_rate");
    pub const UNPRICED_MODEL: AlertKind = AlertKind("pricing.unpriced_model");
    pub const COLLECTOR_STALLED: AlertKind = AlertKind("collector.stalled");
    pub const ACCESS_DENIED: AlertKind = AlertKind("bedrock.access_denied");
    pub const THROTTLING: AlertKind = AlertKind("bedrock.throttling");
    pub const REPORT_DAILY: AlertKind = AlertKind("report.daily");
    pub const UNKNOWN_METRIC: AlertKind = AlertKind("cloudwatch.unknown_metric");
    pub const QUARANTINED_VALUE: AlertKind = AlertKind("cloudwatch.quarantined_value");
    pub const PARTIAL_DATA: AlertKind = AlertKind("cloudwatch.partial_data");
    pub const LOG_DRIFT: AlertKind = AlertKind("invocation_logs.drift");
    pub const BILL_DRIFT: AlertKind = AlertKind("bill.drift");
    pub const ALL: [AlertKind; 13] = [
        Self::BUDGET_THRESHOLD,
        Self::BUDGET_FORECAST,
        Self::BUDGET_BURN_RATE,
        Self::UNPRICED_MODEL,
        Self::COLLECTOR_STALLED,
        Self::ACCESS_DENIED,
        Self::THROTTLING,
        Self::REPORT_DAILY,
        Self::UNKNOWN_METRIC,
        Self::QUARANTINED_VALUE,
        Self::PARTIAL_DATA,
        Self::LOG_DRIFT,
        Self::BILL_DRIFT,
    ];

    /// The kind with this name, if it is one this daemon sends.
    pub fn from_name(name: &str) -> Option<AlertKind> {
        Self::ALL.into_iter().find(|k| k.0 == name)
    }

    pub fn as_str(self) -> &'static str {
        self.0
    }
}
