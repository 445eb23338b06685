//! The wake-up queue's adapter: `ReceiveMessage` (long polling) and
//! `DeleteMessage` of SQS, with the daemon's own credentials. The only file
//! of the daemon that sees `aws_sdk_sqs` types.

use std::time::Duration;

use async_trait::async_trait;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_sqs::types::MessageSystemAttributeName;
use aws_sdk_sqs::Client;
use chrono::{DateTime, Utc};

use super::{QueueMessage, WakeQueue};
use crate::aws::OwnAccount;
use crate::sources::aws_error::classify;
use crate::sources::SourceError;

/// SQS: a long poll waits at most 20 seconds.
pub const MAX_WAIT: Duration = Duration::from_secs(20);

pub struct SqsQueue {
    client: Client,
    url: String,
    region: String,
}

impl SqsQueue {
    /// The queue at `url`, called in `region` (the queue's). Its attempts
    /// may last a long poll plus the configured attempt timeout.
    pub fn connect(aws: &OwnAccount, region: &str, url: &str, attempt_timeout: Duration) -> Self {
        let longer = attempt_timeout + MAX_WAIT;
        let timeouts = TimeoutConfig::builder()
            .operation_timeout(longer + attempt_timeout)
            .operation_attempt_timeout(longer)
            .connect_timeout(attempt_timeout.min(Duration::from_secs(5)))
            .build();
        let config =
            aws_sdk_sqs::config::Builder::from(&aws.for_region(region)).timeout_config(timeouts).build();
        #[expect(clippy::disallowed_methods, reason = "the adapter builds its own client")]
        let client = Client::from_conf(config);
        SqsQueue { client, url: url.to_string(), region: region.to_string() }
    }

    /// The region in a queue URL (`https://sqs.<region>.amazonaws.com/<account>/<name>`).
    pub fn region_of(url: &str) -> Option<String> {
        let host = url.split("://").nth(1)?.split('/').next()?;
        let mut parts = host.split('.');
        match (parts.next(), parts.next()) {
            (Some("sqs"), Some(region)) if crate::names::is_region(region) => Some(region.to_string()),
            _ => None,
        }
    }
}

#[async_trait]
impl WakeQueue for SqsQueue {
    async fn receive(&self, wait: Duration) -> Result<Vec<QueueMessage>, SourceError> {
        let seconds = i32::try_from(wait.min(MAX_WAIT).as_secs()).unwrap_or(20);
        let out = self
            .client
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(10)
            .wait_time_seconds(seconds)
            .message_system_attribute_names(MessageSystemAttributeName::SentTimestamp)
            .send()
            .await
            .map_err(|e| classify("ReceiveMessage", &self.region, &e))?;
        Ok(out
            .messages()
            .iter()
            .filter_map(|m| {
                let sent_at = m
                    .attributes()
                    .and_then(|a| a.get(&MessageSystemAttributeName::SentTimestamp))
                    .and_then(|ms| ms.parse::<i64>().ok())
                    .and_then(DateTime::<Utc>::from_timestamp_millis);
                Some(QueueMessage {
                    body: m.body().unwrap_or_default().to_string(),
                    receipt: m.receipt_handle()?.to_string(),
                    sent_at,
                })
            })
            .collect())
    }

    async fn delete(&self, receipt: &str) -> Result<(), SourceError> {
        self.client
            .delete_message()
            .queue_url(&self.url)
            .receipt_handle(receipt)
            .send()
            .await
            .map_err(|e| classify("DeleteMessage", &self.region, &e))?;
        Ok(())
    }

    fn region(&self) -> &str {
        &self.region
    }
}

#[cfg(test)]
mod tests {
    use super::SqsQueue;

    #[test]
    fn the_region_is_read_from_a_queue_url() {
        let url = "https://sqs.eu-west-1.amazonaws.com/123456789012/bcm-wakeups";
        assert_eq!(SqsQueue::region_of(url).as_deref(), Some("eu-west-1"));
        assert_eq!(SqsQueue::region_of("http://127.0.0.1:4566/123456789012/q"), None);
    }
}
