//! The SNS adapter: `Publish` with the subject, the JSON body and the
//! message attributes; on a FIFO topic (`.fifo`) also `MessageGroupId` and
//! `MessageDeduplicationId`. The only file that sees `aws_sdk_sns` types.
//!
//! Must not decide what to send or retry: the dispatcher does. Retries of a
//! single call and timeouts are the SDK's, configured in `crate::aws`.

use async_trait::async_trait;
use aws_sdk_sns::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_sns::types::MessageAttributeValue;
use aws_sdk_sns::Client;
use sha2::{Digest, Sha256};

use super::sink::{AlertSink, PublishError};
use crate::ledger::OutboxEntry;

/// FIFO deduplication IDs are at most 128 characters.
const DEDUPE_ID_MAX: usize = 128;

pub struct SnsSink {
    client: Client,
    topic_arn: String,
}

impl SnsSink {
    pub fn new(client: Client, topic_arn: String) -> Self {
        SnsSink { client, topic_arn }
    }

    /// A sink publishing to `topic_arn` from `region` (the topic's), with a
    /// client built from the daemon's shared AWS configuration.
    pub fn connect(aws: &crate::aws::AwsConfig, region: &str, topic_arn: String) -> Self {
        #[expect(clippy::disallowed_methods, reason = "the adapter builds its own client")]
        let client = Client::new(&aws.for_region(region));
        SnsSink::new(client, topic_arn)
    }

    pub fn is_fifo(&self) -> bool {
        self.topic_arn.ends_with(".fifo")
    }
}

/// The dedupe key itself when it fits and uses only allowed characters,
/// else its SHA-256: the same key always gives the same ID.
pub fn dedupe_id(key: &str) -> String {
    if key.len() <= DEDUPE_ID_MAX && key.chars().all(|c| c.is_ascii_graphic()) {
        return key.to_string();
    }
    Sha256::digest(key.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

#[async_trait]
impl AlertSink for SnsSink {
    fn name(&self) -> &'static str {
        "sns"
    }

    async fn publish(&self, entry: &OutboxEntry) -> Result<(), PublishError> {
        let mut request =
            self.client.publish().topic_arn(&self.topic_arn).subject(&entry.subject).message(&entry.body);
        for (name, value) in &entry.attributes {
            // SNS refuses empty attribute values; an absent attribute is what filters expect.
            if value.is_empty() {
                continue;
            }
            let attribute = MessageAttributeValue::builder()
                .data_type("String")
                .string_value(value)
                .build()
                .map_err(|e| PublishError(format!("message attribute {name}: {e}")))?;
            request = request.message_attributes(name, attribute);
        }
        if self.is_fifo() {
            request = request
                .message_group_id(&entry.group_id)
                .message_deduplication_id(dedupe_id(&entry.dedupe_key));
        }
        match request.send().await {
            Ok(_) => Ok(()),
            Err(e) => Err(PublishError(match e.code() {
                Some(code) => format!("SNS Publish failed: {code}: {}", e.message().unwrap_or_default()),
                None => format!("SNS Publish failed: {}", DisplayErrorContext(&e)),
            })),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::dedupe_id;

    #[test]
    fn dedupe_ids_fit_fifo_limits_and_are_stable() {
        assert_eq!(
            dedupe_id("budget.threshold:team:2026-03-01T00:00:00Z:80"),
            "budget.threshold:team:2026-03-01T00:00:00Z:80"
        );
        let long = format!("budget.threshold:per-user@arn:aws:iam::111122223333:role/{}:80", "x".repeat(200));
        let id = dedupe_id(&long);
        assert_eq!((id.len(), id == dedupe_id(&long)), (64, true));
        assert_eq!(dedupe_id("with space").len(), 64);
    }
}
