//! The demo's model invocation logs: us-east-1 delivers them to a CloudWatch
//! Logs group (as `PutModelInvocationLoggingConfiguration` would set up), one
//! record per call, each naming the end user and tenant in its
//! `requestMetadata`; the runaway loop is one batch user's.

use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use chrono::{DateTime, Utc};

use super::DemoError;
use crate::emulator::Emulator;
use crate::sim::logs::{log_records, SimLogRecord, SimUser};
use crate::sim::{scaled, SimSeries};

/// The region whose calls are logged, and where.
pub const REGION: &str = "us-east-1";
pub const GROUP: &str = "bedrock-invocation-logs";
/// The stream Bedrock writes to, per AWS's documentation.
const STREAM: &str = "aws/bedrock/modelinvocations";
/// Minutes of log history seeded at start (the daemon backfills 3 hours).
pub const HISTORY_MINUTES: i64 = 180;

pub fn users() -> Vec<SimUser> {
    vec![
        SimUser::new("u-anna", "acme"),
        SimUser::new("u-ben", "acme"),
        SimUser::new("u-chen", "globex"),
        SimUser::new("u-dora", "initech"),
    ]
}

/// Whose loop runs away.
pub fn runaway_user() -> SimUser {
    SimUser::new("svc-reindex", "acme")
}

/// Records of the logged region's series for `[start, end)`; the runaway
/// series' calls from `spike.2` on are all the batch user's.
pub fn records(
    series: &[SimSeries],
    spike: Option<(usize, u64, DateTime<Utc>)>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Vec<SimLogRecord> {
    let callers = super::trail::callers();
    let mut out = Vec::new();
    for (i, s) in series.iter().enumerate().filter(|(_, s)| s.region == REGION) {
        match spike {
            Some((j, factor, from)) if i == j && end > from => {
                out.extend(log_records(s, &callers, &users(), start, from.max(start)));
                let looping = [runaway_user()];
                out.extend(log_records(&scaled(s, factor), &callers[..1], &looping, from.max(start), end));
            }
            _ => out.extend(log_records(s, &callers, &users(), start, end)),
        }
    }
    out
}

pub struct LogGroup {
    client: aws_sdk_cloudwatchlogs::Client,
}

impl LogGroup {
    /// Creates the group and Bedrock's stream in the emulator.
    pub async fn create(emulator: &Emulator) -> Result<Self, DemoError> {
        #[expect(clippy::disallowed_methods, reason = "the demo delivers its simulated logs to the emulator")]
        let client = aws_sdk_cloudwatchlogs::Client::new(&emulator.sdk_config(REGION).await);
        let setup = |e: String| DemoError::Setup(format!("creating the invocation log group: {e}"));
        client.create_log_group().log_group_name(GROUP).send().await.map_err(|e| setup(e.to_string()))?;
        let stream = client.create_log_stream().log_group_name(GROUP).log_stream_name(STREAM);
        stream.send().await.map_err(|e| setup(e.to_string()))?;
        Ok(LogGroup { client })
    }

    /// Delivers records in time order, in batches PutLogEvents accepts.
    pub async fn deliver(&self, mut records: Vec<SimLogRecord>) -> Result<usize, DemoError> {
        records.sort_by_key(|r| r.at);
        // About 1 KB a record: 500 stay well inside the 1 MB batch limit.
        for chunk in records.chunks(500) {
            let events = chunk
                .iter()
                .map(|r| {
                    InputLogEvent::builder()
                        .timestamp(r.at.timestamp_millis())
                        .message(r.record.to_string())
                        .build()
                        .map_err(|e| DemoError::Setup(e.to_string()))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let put = self.client.put_log_events().log_group_name(GROUP).log_stream_name(STREAM);
            put.set_log_events(Some(events))
                .send()
                .await
                .map_err(|e| DemoError::Setup(format!("delivering invocation logs: {e}")))?;
        }
        Ok(records.len())
    }
}
