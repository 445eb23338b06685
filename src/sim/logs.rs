//! Simulated Bedrock model invocation log records for the simulated
//! workload: one record per successful invocation CloudWatch counts, with
//! the same tokens per call, shared among principals like the CloudTrail
//! records and among end users by `requestMetadata`. Written in AWS's
//! documented `ModelInvocationLog` 1.0 schema (plus the cache counts real
//! records carry, and a Converse response's `usage.cacheDetails`), so the
//! daemon reads them as it would Bedrock's. Pure and deterministic.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};

use super::trail::{calls, short, SimPrincipal};
use super::SimSeries;

const ACCOUNT: &str = "111122223333";

/// An end user of the application, as its `requestMetadata` names them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimUser {
    pub user_id: String,
    pub tenant: String,
}

impl SimUser {
    pub fn new(user_id: &str, tenant: &str) -> Self {
        SimUser { user_id: user_id.into(), tenant: tenant.into() }
    }
}

/// One delivered record and the time CloudWatch Logs files it under.
#[derive(Clone, Debug, PartialEq)]
pub struct SimLogRecord {
    pub at: DateTime<Utc>,
    pub record: Value,
}

/// A record for every successful invocation of `series` in `[start, end)`;
/// the calls of a minute go to principals by weight and to users in turn.
pub fn log_records(
    series: &SimSeries,
    principals: &[SimPrincipal],
    users: &[SimUser],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Vec<SimLogRecord> {
    calls(series, principals, start, end)
        .into_iter()
        .map(|c| {
            // Users take turns, the turn moving on every minute.
            let turn = (c.minute.timestamp() / 60).unsigned_abs() + c.k;
            let user = users.get(usize::try_from(turn).unwrap_or(0) % users.len().max(1));
            let id = format!("sim-log-{}-{}-{}", short(&series.model_id), c.minute.timestamp(), c.k);
            SimLogRecord {
                at: c.at,
                record: record(&id, series, c.at, &c.principal.caller_arn(c.k % 3), user),
            }
        })
        .collect()
}

fn record(id: &str, s: &SimSeries, at: DateTime<Utc>, arn: &str, user: Option<&SimUser>) -> Value {
    let mut r = json!({
        "schemaType": "ModelInvocationLog",
        "schemaVersion": "1.0",
        "timestamp": at.to_rfc3339_opts(SecondsFormat::Millis, true),
        "accountId": ACCOUNT,
        "identity": { "arn": arn },
        "region": s.region,
        "requestId": id,
        "operation": "Converse",
        "modelId": s.model_id,
        "input": {
            "inputContentType": "application/json",
            "inputBodyJson": { "messages": [{ "role": "user", "content": [{ "text": "(simulated prompt)" }] }] },
            "inputTokenCount": s.input_per_call,
            "cacheReadInputTokenCount": s.cache_read_per_call,
            "cacheWriteInputTokenCount": s.cache_write_per_call,
        },
        "output": {
            "outputContentType": "application/json",
            "outputBodyJson": {
                "output": { "message": { "role": "assistant", "content": [{ "text": "(simulated answer)" }] } },
                "usage": {
                    "inputTokens": s.input_per_call,
                    "outputTokens": s.output_per_call,
                    "cacheReadInputTokens": s.cache_read_per_call,
                    "cacheWriteInputTokens": s.cache_write_per_call,
                    "cacheDetails": if s.cache_write_per_call > 0 {
                        json!([{ "inputTokens": s.cache_write_per_call, "ttl": "5m" }])
                    } else {
                        json!([])
                    },
                },
            },
            "outputTokenCount": s.output_per_call,
        },
    });
    if let Some(u) = user {
        r["requestMetadata"] = json!({ "user_id": u.user_id, "tenant": u.tenant });
    }
    r
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use chrono::Duration;

    use super::*;
    use crate::sim::{demo_series, invocations};

    #[test]
    fn one_record_per_invocation_with_cloudwatchs_tokens() {
        let start = Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap();
        let series = &demo_series()[0];
        let ps = [SimPrincipal::role("app", 3), SimPrincipal::user("alice", 1)];
        let users = [SimUser::new("u-1", "acme"), SimUser::new("u-2", "globex")];
        let records = log_records(series, &ps, &users, start, start + Duration::minutes(30));
        let invoked: u64 = (0..30).map(|m| invocations(series, start + Duration::minutes(m))).sum();
        assert_eq!(records.len() as u64, invoked);
        let input: u64 = records.iter().map(|r| r.record["input"]["inputTokenCount"].as_u64().unwrap()).sum();
        assert_eq!(input, invoked * series.input_per_call, "the logs add up to CloudWatch's tokens");
        let ids: std::collections::BTreeSet<&str> =
            records.iter().map(|r| r.record["requestId"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), records.len());
        assert!(records.iter().any(|r| r.record["requestMetadata"]["user_id"] == "u-2"));
        assert_eq!(records, log_records(series, &ps, &users, start, start + Duration::minutes(30)));
    }
}
