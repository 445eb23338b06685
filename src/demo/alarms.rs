//! CloudWatch's part in the demo: the emulator keeps the daemon's wake-up
//! alarms but never evaluates them (moto stores alarms; CloudWatch itself
//! judges them every minute). After each minute the demo publishes, it
//! judges every alarm of the daemon over that minute as CloudWatch would a
//! one-datapoint alarm: it reads the alarm back (the series it watches,
//! its expression, threshold and comparison), asks `GetMetricData` for the
//! minute's value of each series, computes the expression and, when the
//! result lies on the other side of the threshold than the alarm's state,
//! sets the new state with `SetAlarmState`, whose action the emulator runs
//! (SNS, then the wake-up queue). Nothing about an alarm is assumed: an
//! expression other than a sum of `FILL(<id>,0)*<weight>` terms (the form
//! the daemon writes) is an error, not a guess.
//!
//! Used by `demo` and by the time-to-alert test, which play the same part.

use std::collections::BTreeMap;
use std::str::FromStr;

use aws_sdk_cloudwatch::types::{ComparisonOperator, MetricAlarm, MetricDataQuery, StateValue};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::DemoError;
use crate::emulator::Emulator;

/// One alarm judged over one minute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Judged {
    pub region: String,
    pub alarm: String,
    /// The expression's value over the minute (USD per hour for the daemon's alarms).
    pub value: Decimal,
    pub threshold: Decimal,
    /// `ALARM` or `OK`: the state the minute puts the alarm in.
    pub state: String,
    /// Whether that state differs from the one the alarm had (and was set).
    pub changed: bool,
}

/// CloudWatch's alarm evaluation, played over the emulator.
pub struct AlarmJudge {
    clients: BTreeMap<String, aws_sdk_cloudwatch::Client>,
    prefix: String,
}

fn failed<E: std::fmt::Display>(what: &str) -> impl FnOnce(E) -> DemoError + '_ {
    move |e| DemoError::Alarms(format!("{what}: {e}"))
}

/// A number CloudWatch answers with, as the exact decimal of its text.
fn decimal(v: f64) -> Result<Decimal, DemoError> {
    Decimal::from_str(&v.to_string())
        .or_else(|_| Decimal::from_scientific(&format!("{v:e}")))
        .map_err(failed("a value CloudWatch returned"))
}

impl AlarmJudge {
    /// Judges the alarms named `prefix…` in `regions`.
    pub async fn connect(emulator: &Emulator, regions: &[String], prefix: &str) -> AlarmJudge {
        let mut clients = BTreeMap::new();
        for region in regions {
            #[expect(clippy::disallowed_methods, reason = "the demo plays CloudWatch's alarm evaluation")]
            let client = aws_sdk_cloudwatch::Client::new(&emulator.sdk_config(region).await);
            clients.insert(region.clone(), client);
        }
        AlarmJudge { clients, prefix: prefix.to_string() }
    }

    /// Judges every alarm over `[minute, minute + 1 min)` and sets the
    /// state of those the minute moves to the other side of their threshold.
    pub async fn judge(&self, minute: DateTime<Utc>) -> Result<Vec<Judged>, DemoError> {
        let mut out = Vec::new();
        for (region, client) in &self.clients {
            let alarms = client
                .describe_alarms()
                .alarm_name_prefix(&self.prefix)
                .send()
                .await
                .map_err(failed("DescribeAlarms"))?;
            for alarm in alarms.metric_alarms() {
                let judged = judge_one(client, region, alarm, minute).await?;
                if judged.changed {
                    set_state(client, &judged, minute).await?;
                }
                out.push(judged);
            }
        }
        Ok(out)
    }
}

async fn judge_one(
    client: &aws_sdk_cloudwatch::Client,
    region: &str,
    alarm: &MetricAlarm,
    minute: DateTime<Utc>,
) -> Result<Judged, DemoError> {
    let name = alarm.alarm_name().unwrap_or_default().to_string();
    let (series, expression) = split(alarm.metrics()).ok_or_else(|| {
        DemoError::Alarms(format!("alarm {name}: not a metric-math alarm with one returned expression"))
    })?;
    let values = minute_values(client, &series, minute).await?;
    let value = evaluate(expression, &values)
        .ok_or_else(|| DemoError::Alarms(format!("alarm {name}: cannot evaluate `{expression}`")))?;
    let threshold = decimal(alarm.threshold().unwrap_or(f64::MAX))?;
    let breaching = match alarm.comparison_operator() {
        Some(ComparisonOperator::GreaterThanOrEqualToThreshold) => value >= threshold,
        Some(ComparisonOperator::GreaterThanThreshold) => value > threshold,
        Some(ComparisonOperator::LessThanThreshold) => value < threshold,
        Some(ComparisonOperator::LessThanOrEqualToThreshold) => value <= threshold,
        other => return Err(DemoError::Alarms(format!("alarm {name}: comparison {other:?} not judged"))),
    };
    let state = if breaching { StateValue::Alarm } else { StateValue::Ok };
    let changed = alarm.state_value() != Some(&state);
    Ok(Judged {
        region: region.to_string(),
        alarm: name,
        value,
        threshold,
        state: state.as_str().to_string(),
        changed,
    })
}

/// The alarm's series queries (asked back with their data) and its one
/// returned expression.
fn split(metrics: &[MetricDataQuery]) -> Option<(Vec<MetricDataQuery>, &str)> {
    let expression = metrics.iter().filter(|q| q.return_data() != Some(false)).find_map(|q| q.expression());
    let series = metrics
        .iter()
        .filter(|q| q.metric_stat().is_some())
        .map(|q| {
            MetricDataQuery::builder()
                .set_id(q.id().map(str::to_string))
                .set_metric_stat(q.metric_stat().cloned())
                .return_data(true)
                .build()
        })
        .collect();
    Some((series, expression?))
}

/// The value of each series over the minute, by query ID (absent: no data).
async fn minute_values(
    client: &aws_sdk_cloudwatch::Client,
    series: &[MetricDataQuery],
    minute: DateTime<Utc>,
) -> Result<BTreeMap<String, Decimal>, DemoError> {
    let start = aws_smithy_types::DateTime::from_secs(minute.timestamp());
    let end = aws_smithy_types::DateTime::from_secs(minute.timestamp() + 60);
    let answer = client
        .get_metric_data()
        .set_metric_data_queries(Some(series.to_vec()))
        .start_time(start)
        .end_time(end)
        .send()
        .await
        .map_err(failed("GetMetricData"))?;
    let mut out = BTreeMap::new();
    for result in answer.metric_data_results() {
        let at_minute = result.timestamps().iter().position(|t| t.secs() == minute.timestamp());
        if let (Some(id), Some(i)) = (result.id(), at_minute) {
            if let Some(v) = result.values().get(i) {
                out.insert(id.to_string(), decimal(*v)?);
            }
        }
    }
    Ok(out)
}

/// `FILL(m0,0)*0.0009+FILL(m1,0)*0.0045` over the series' values; `None`
/// for any other form.
fn evaluate(expression: &str, values: &BTreeMap<String, Decimal>) -> Option<Decimal> {
    let mut total = Decimal::ZERO;
    for term in expression.split('+') {
        let (fill, weight) = term.trim().split_once(")*")?;
        let (id, fallback) = fill.strip_prefix("FILL(")?.split_once(',')?;
        let fallback = Decimal::from_str(fallback.trim()).ok()?;
        let weight = Decimal::from_str(weight.trim()).ok()?;
        total += values.get(id.trim()).copied().unwrap_or(fallback) * weight;
    }
    Some(total)
}

/// Sets the judged state with the reason CloudWatch writes.
async fn set_state(
    client: &aws_sdk_cloudwatch::Client,
    judged: &Judged,
    minute: DateTime<Utc>,
) -> Result<(), DemoError> {
    let verb = if judged.state == "ALARM" { "was" } else { "was not" };
    let reason = format!(
        "Threshold Crossed: 1 out of the last 1 datapoints [{} ({})] {verb} greater than or equal to the threshold ({}).",
        judged.value.round_dp(4).normalize(),
        minute.format("%d/%m/%y %H:%M:%S"),
        judged.threshold.normalize()
    );
    client
        .set_alarm_state()
        .alarm_name(&judged.alarm)
        .state_value(StateValue::from(judged.state.as_str()))
        .state_reason(reason)
        .send()
        .await
        .map_err(failed("SetAlarmState"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_daemons_expression_is_evaluated_with_missing_series_as_their_fill() {
        let values = BTreeMap::from([("m0".to_string(), Decimal::from(1_000_000))]);
        let got = evaluate("FILL(m0,0)*0.0009+FILL(m1,0)*0.0045", &values);
        assert_eq!(got, Some(Decimal::from(900)));
    }

    #[test]
    fn another_form_is_not_guessed() {
        assert_eq!(evaluate("SUM(METRICS())", &BTreeMap::new()), None);
        assert_eq!(evaluate("m0*2", &BTreeMap::new()), None);
    }
}
