//! Simulated CloudTrail records for the simulated workload: one
//! `InvokeModel`/`Converse` record per invocation the CloudWatch side
//! counts, shared among principals by weight, plus error bursts. The demo
//! seeds them into the emulator's LookupEvents; tests use them to check
//! attribution against a known truth. Pure and deterministic.

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use super::{hash, invocations, SimSeries};

const ACCOUNT: &str = "111122223333";

/// Who calls: an assumed role (sessions named after ECS tasks) or an IAM user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimPrincipal {
    /// Role or user name.
    pub name: String,
    pub is_role: bool,
    /// Share of the calls, relative to the other principals' weights.
    pub weight: u64,
}

impl SimPrincipal {
    pub fn role(name: &str, weight: u64) -> Self {
        SimPrincipal { name: name.into(), is_role: true, weight }
    }

    pub fn user(name: &str, weight: u64) -> Self {
        SimPrincipal { name: name.into(), is_role: false, weight }
    }

    /// The ARN the monitor reports: the role (sessions fold into it) or the user.
    pub fn arn(&self) -> String {
        let kind = if self.is_role { "role" } else { "user" };
        format!("arn:aws:iam::{ACCOUNT}:{kind}/{}", self.name)
    }

    /// The ARN a call's identity carries: an assumed-role session's STS
    /// ARN (what invocation logs record as `identity.arn`) or the user's.
    pub fn caller_arn(&self, session: u64) -> String {
        if self.is_role {
            format!("arn:aws:sts::{ACCOUNT}:assumed-role/{}/task-{session:04x}", self.name)
        } else {
            self.arn()
        }
    }

    fn identity(&self, session: u64) -> Value {
        if !self.is_role {
            return json!({"type": "IAMUser", "principalId": format!("AIDA{}", self.name.to_uppercase()),
                "arn": self.arn(), "accountId": ACCOUNT, "userName": self.name});
        }
        let session = format!("task-{session:04x}");
        json!({"type": "AssumedRole", "principalId": format!("AROA{}:{session}", self.name.to_uppercase()),
            "arn": format!("arn:aws:sts::{ACCOUNT}:assumed-role/{}/{session}", self.name),
            "accountId": ACCOUNT,
            "sessionContext": {"sessionIssuer": {"type": "Role", "arn": self.arn(), "accountId": ACCOUNT,
                "userName": self.name}}})
    }
}

/// One CloudTrail record, shaped like the trail's own.
fn record(id: String, series: &SimSeries, at: DateTime<Utc>, who: Value, error: Option<&str>) -> Value {
    let name = if id.len() % 2 == 0 { "InvokeModel" } else { "Converse" };
    let mut r = json!({
        "eventVersion": "1.09", "eventID": id, "eventTime": at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "eventSource": "bedrock.amazonaws.com", "eventName": name, "awsRegion": series.region,
        "userIdentity": who, "sourceIPAddress": "10.0.12.34", "userAgent": "aws-sdk-python/1.35.0",
        "requestParameters": {"modelId": series.model_id}, "responseElements": null,
        "readOnly": false, "eventType": "AwsApiCall", "managementEvent": true,
        "recipientAccountId": ACCOUNT, "eventCategory": "Management",
    });
    if let Some(code) = error {
        r["errorCode"] = json!(code);
        r["errorMessage"] = json!(format!("{code} (simulated)"));
    }
    r
}

/// How many of `calls` in `minute` each principal makes: by weight, the
/// leftovers one each to principals in an order that rotates minute by
/// minute (so small principals call too), always adding up to `calls`.
pub fn split_calls(calls: u64, principals: &[SimPrincipal], minute: DateTime<Utc>) -> Vec<u64> {
    let total: u64 = principals.iter().map(|p| p.weight).sum::<u64>().max(1);
    let mut out: Vec<u64> = principals.iter().map(|p| calls * p.weight / total).collect();
    let mut left = calls - out.iter().sum::<u64>();
    let n = out.len().max(1);
    let start = usize::try_from(minute.timestamp().div_euclid(60)).unwrap_or(0) % n;
    for i in (0..n).map(|i| (start + i) % n) {
        if left == 0 {
            break;
        }
        out[i] += 1;
        left -= 1;
    }
    out
}

/// One successful call of a series: its minute, the instant within it, who
/// made it and its index `k` within the minute.
pub struct SimCall<'a> {
    pub minute: DateTime<Utc>,
    pub at: DateTime<Utc>,
    pub principal: &'a SimPrincipal,
    pub k: u64,
}

/// Every successful invocation of `series` in `[start, end)`, spread over
/// each minute and shared among principals by weight (what CloudWatch's
/// `Invocations` counts).
pub fn calls<'a>(
    series: &SimSeries,
    principals: &'a [SimPrincipal],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Vec<SimCall<'a>> {
    let mut out = Vec::new();
    let mut minute = start;
    while minute < end {
        let n_calls = invocations(series, minute);
        let mut k = 0;
        for (principal, n) in principals.iter().zip(split_calls(n_calls, principals, minute)) {
            for _ in 0..n {
                let at = minute + Duration::seconds(i64::try_from(k * 60 / n_calls.max(1)).unwrap_or(0));
                out.push(SimCall { minute, at, principal, k });
                k += 1;
            }
        }
        minute += Duration::minutes(1);
    }
    out
}

/// A record for every invocation of `series` in `[start, end)`: the
/// successful ones CloudWatch counts as `Invocations`, and the throttled
/// ones (`ThrottlingException`, made by the first principal) it counts as
/// `InvocationThrottles`.
pub fn trail_records(
    series: &SimSeries,
    principals: &[SimPrincipal],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Vec<Value> {
    let mut out = Vec::new();
    let mut minute = start;
    while minute < end {
        let h = hash(&series.model_id, minute);
        if invocations(series, minute) > 0 && series.throttle_every > 0 && h % series.throttle_every == 0 {
            if let Some(first) = principals.first() {
                out.extend(error_burst(series, first, minute, 1 + h % 3, "ThrottlingException"));
            }
        }
        minute += Duration::minutes(1);
    }
    for c in calls(series, principals, start, end) {
        let id = format!("sim-{}-{}-{}", short(&series.model_id), c.minute.timestamp(), c.k);
        out.push(record(id, series, c.at, c.principal.identity(c.k % 3), None));
    }
    out
}

/// `n` failed calls by `who` within `minute` (an AccessDenied burst, say).
pub fn error_burst(
    series: &SimSeries,
    who: &SimPrincipal,
    minute: DateTime<Utc>,
    n: u64,
    code: &str,
) -> Vec<Value> {
    (0..n)
        .map(|k| {
            let at = minute + Duration::seconds(i64::try_from(k * 60 / n.max(1)).unwrap_or(0));
            let id = format!("sim-{code}-{}-{}-{k}", short(&series.model_id), minute.timestamp());
            record(id, series, at, who.identity(k), Some(code))
        })
        .collect()
}

/// A short stable tag of a model ID for event IDs.
pub(super) fn short(model_id: &str) -> String {
    model_id.bytes().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b))).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn one_record_per_invocation_split_by_weight() {
        let ps =
            [SimPrincipal::role("app", 7), SimPrincipal::role("reports", 2), SimPrincipal::user("alice", 1)];
        let start = Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap();
        let next = start + Duration::minutes(1);
        assert_eq!(split_calls(10, &ps, start), vec![7, 2, 1]);
        assert_eq!(split_calls(0, &ps, start), vec![0, 0, 0]);
        // 3 calls: 2 by weight, the leftover to whoever's turn it is.
        let (a, b) = (split_calls(3, &ps, start), split_calls(3, &ps, next));
        assert_ne!(a, b);
        assert_eq!((a.iter().sum::<u64>(), b.iter().sum::<u64>()), (3, 3));
        let series = &super::super::demo_series()[0];
        let records = trail_records(series, &ps, start, start + Duration::minutes(30));
        let invoked: u64 = (0..30).map(|m| invocations(series, start + Duration::minutes(m))).sum();
        let ok = records.iter().filter(|r| r.get("errorCode").is_none()).count();
        assert_eq!(ok as u64, invoked, "a successful record per CloudWatch invocation");
        assert!(
            records.iter().any(|r| r["errorCode"] == "ThrottlingException"),
            "throttles are recorded too"
        );
        let ids: std::collections::BTreeSet<&str> =
            records.iter().map(|r| r["eventID"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), records.len(), "event IDs are unique");
        assert_eq!(
            records,
            trail_records(series, &ps, start, start + Duration::minutes(30)),
            "deterministic"
        );
    }
}
