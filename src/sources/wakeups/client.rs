//! The wake-up alarms' adapter: `DescribeAlarms`, `PutMetricAlarm` and
//! `DeleteAlarms` of CloudWatch. The only file that sees
//! `aws_sdk_cloudwatch` alarm types.
//!
//! The alarms live in the monitored account, beside the metrics they
//! watch: the one write the daemon makes with that account's credentials,
//! limited by IAM to alarms named with its prefix. Must not decide what the
//! alarms are (`wakeups::plan`).

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_cloudwatch::types::{
    ComparisonOperator, Dimension, Metric, MetricDataQuery, MetricStat, StateValue, Tag,
};
use aws_sdk_cloudwatch::Client;

use super::{AlarmApi, ExistingAlarm};
use crate::aws::MonitoredAccount;
use crate::sources::aws_error::classify;
use crate::sources::{ErrorKind, SourceError};
use crate::wakeups::{AlarmSpec, AlarmState};

const PERIOD_SECONDS: i32 = 60;
/// The tag that marks an alarm as the daemon's.
pub const MANAGED_BY: (&str, &str) = ("managed-by", "bedrock-cost-monitor");

/// One CloudWatch client per monitored region.
pub struct CloudWatchAlarms {
    clients: BTreeMap<String, Client>,
}

impl CloudWatchAlarms {
    pub fn connect(aws: &MonitoredAccount, regions: &[String]) -> Self {
        #[expect(clippy::disallowed_methods, reason = "the adapter builds its own clients")]
        let clients = aws.per_region(regions, Client::new);
        CloudWatchAlarms { clients }
    }

    fn client(&self, api: &'static str, region: &str) -> Result<&Client, SourceError> {
        self.clients.get(region).ok_or_else(|| SourceError {
            api,
            region: region.to_string(),
            kind: ErrorKind::Other,
            message: "no client configured for this region".into(),
        })
    }
}

fn state_of(s: &StateValue) -> Option<AlarmState> {
    AlarmState::parse(s.as_str())
}

/// The metric-math queries of `spec`: each watched series (Sum over a
/// minute, not returned) and the expression the alarm watches.
fn queries(spec: &AlarmSpec) -> Vec<MetricDataQuery> {
    let mut out: Vec<MetricDataQuery> = spec
        .watched
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let dims = w.dimensions.iter().map(|(n, v)| Dimension::builder().name(n).value(v).build());
            let metric = Metric::builder()
                .namespace(&w.namespace)
                .metric_name(&w.metric_name)
                .set_dimensions(Some(dims.collect()))
                .build();
            let stat = MetricStat::builder().metric(metric).period(PERIOD_SECONDS).stat("Sum").build();
            MetricDataQuery::builder()
                .id(AlarmSpec::metric_id(i))
                .metric_stat(stat)
                .return_data(false)
                .build()
        })
        .collect();
    out.push(
        MetricDataQuery::builder()
            .id("usd_per_hour")
            .expression(spec.expression())
            .label("USD per hour at this minute's pace")
            .return_data(true)
            .build(),
    );
    out
}

#[async_trait]
impl AlarmApi for CloudWatchAlarms {
    async fn list(&self, region: &str, prefix: &str) -> Result<(Vec<ExistingAlarm>, u64), SourceError> {
        let client = self.client("DescribeAlarms", region)?;
        let (mut out, mut requests, mut token) = (Vec::new(), 0, None::<String>);
        loop {
            requests += 1;
            let page = client
                .describe_alarms()
                .alarm_name_prefix(prefix)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| classify("DescribeAlarms", region, &e))?;
            out.extend(page.metric_alarms().iter().filter_map(|a| {
                Some(ExistingAlarm {
                    name: a.alarm_name()?.to_string(),
                    description: a.alarm_description().unwrap_or_default().to_string(),
                    state: a.state_value().and_then(state_of),
                })
            }));
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => return Ok((out, requests)),
            }
        }
    }

    async fn put(&self, spec: &AlarmSpec, topic_arn: &str) -> Result<(), SourceError> {
        let client = self.client("PutMetricAlarm", &spec.region)?;
        // The API takes a double: the decimal text parses to the nearest one
        // (a threshold, not an amount the ledger keeps).
        let threshold: f64 = spec.usd_per_hour.to_string().parse().unwrap_or(f64::MAX);
        client
            .put_metric_alarm()
            .alarm_name(&spec.name)
            .alarm_description(spec.description())
            .set_metrics(Some(queries(spec)))
            .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
            .threshold(threshold)
            .evaluation_periods(1)
            .datapoints_to_alarm(1)
            // No traffic is no spend: missing minutes never alarm.
            .treat_missing_data("notBreaching")
            .alarm_actions(topic_arn)
            .ok_actions(topic_arn)
            .tags(Tag::builder().key(MANAGED_BY.0).value(MANAGED_BY.1).build())
            .send()
            .await
            .map_err(|e| classify("PutMetricAlarm", &spec.region, &e))?;
        Ok(())
    }

    async fn delete(&self, region: &str, names: &[String]) -> Result<(), SourceError> {
        if names.is_empty() {
            return Ok(());
        }
        let client = self.client("DeleteAlarms", region)?;
        client
            .delete_alarms()
            .set_alarm_names(Some(names.to_vec()))
            .send()
            .await
            .map_err(|e| classify("DeleteAlarms", region, &e))?;
        Ok(())
    }
}
