//! The SNS adapter: `Publish` with the subject, the JSON body and the
//! message attributes; on a FIFO topic (`.fifo`) also `MessageGroupId` and
//! `MessageDeduplicationId`. The only file that sees `aws_sdk_sns` types.
//!
//! Must not decide what to send or when to retry: the dispatcher does. The
//! client makes exactly one attempt per call (the SDK's own retries are off:
//! a retry inside the call after a timeout would send a second copy the
//! outbox never hears of); timeouts are the daemon's, from `crate::aws`.
//! Each failure is classified here, from SNS's documented Publish errors, as
//! what it means for the message (`Failure`).

use async_trait::async_trait;
use aws_config::retry::RetryConfig;
use aws_sdk_sns::config::http::HttpResponse;
use aws_sdk_sns::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_sns::types::MessageAttributeValue;
use aws_sdk_sns::Client;
use sha2::{Digest, Sha256};

use super::sink::{AlertSink, Failure, PublishError};
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

    /// A sink publishing to `topic_arn` from `region` (the topic's), with
    /// the daemon's own credentials (never a monitored account's role),
    /// retries off.
    pub fn connect(aws: &crate::aws::OwnAccount, region: &str, topic_arn: String) -> Self {
        let config = aws_sdk_sns::config::Builder::from(&aws.for_region(region))
            .retry_config(RetryConfig::disabled())
            .build();
        #[expect(clippy::disallowed_methods, reason = "the adapter builds its own client")]
        let client = Client::from_conf(config);
        SnsSink::new(client, topic_arn)
    }

    pub fn is_fifo(&self) -> bool {
        self.topic_arn.ends_with(".fifo")
    }
}

/// What a service error from Publish means, from its code (SNS's documented
/// Publish errors and the common AWS ones) or else its HTTP status. Unknown
/// codes count as transient: retried, and parked only after every attempt.
pub fn classify(code: Option<&str>, status: Option<u16>) -> Failure {
    match code.unwrap_or_default() {
        "InvalidParameter" | "ParameterValueInvalid" | "InvalidParameterValue" | "ValidationException" => {
            Failure::Rejected
        }
        "AuthorizationError"
        | "NotFound"
        | "InvalidSecurity"
        | "EndpointDisabled"
        | "KMSAccessDenied"
        | "KMSDisabled"
        | "KMSInvalidState"
        | "KMSNotFound"
        | "KMSOptInRequired"
        | "AccessDenied"
        | "AccessDeniedException"
        | "InvalidClientTokenId"
        | "UnrecognizedClientException"
        | "SignatureDoesNotMatch"
        | "ExpiredToken" => Failure::Refused,
        _ if status.is_some_and(|s| s == 403 || s == 404) => Failure::Refused,
        _ => Failure::Transient,
    }
}

/// What an SDK error means: a service error by its code, anything that
/// failed before the request was built as rejected, and anything that may
/// have left the machine without an answer (a timeout, a broken connection,
/// an unreadable response) as uncertain.
fn failure_of(e: &SdkError<aws_sdk_sns::operation::publish::PublishError, HttpResponse>) -> Failure {
    match e {
        SdkError::ServiceError(s) => classify(e.code(), Some(s.raw().status().as_u16())),
        SdkError::ConstructionFailure(_) => Failure::Rejected,
        _ => Failure::Uncertain,
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

    fn drops_repeats(&self) -> bool {
        self.is_fifo()
    }

    async fn publish(&self, entry: &OutboxEntry) -> Result<(), PublishError> {
        let mut request =
            self.client.publish().topic_arn(&self.topic_arn).subject(&entry.subject).message(&entry.body);
        for (name, value) in &entry.attributes {
            // SNS refuses empty attribute values; an absent attribute is what filters expect.
            if value.is_empty() {
                continue;
            }
            let attribute =
                MessageAttributeValue::builder().data_type("String").string_value(value).build().map_err(
                    |e| PublishError::new(Failure::Rejected, format!("message attribute {name}: {e}")),
                )?;
            request = request.message_attributes(name, attribute);
        }
        if self.is_fifo() {
            request = request
                .message_group_id(&entry.group_id)
                .message_deduplication_id(dedupe_id(&entry.dedupe_key));
        }
        match request.send().await {
            Ok(_) => Ok(()),
            Err(e) => Err(PublishError::new(
                failure_of(&e),
                match e.code() {
                    Some(code) => format!("SNS Publish failed: {code}: {}", e.message().unwrap_or_default()),
                    None => format!("SNS Publish failed: {}", DisplayErrorContext(&e)),
                },
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{classify, dedupe_id, Failure};

    #[test]
    fn publish_errors_are_classified_by_what_they_mean() {
        let cases = [
            (Some("InvalidParameter"), Some(400), Failure::Rejected),
            (Some("ParameterValueInvalid"), Some(400), Failure::Rejected),
            (Some("ValidationException"), Some(400), Failure::Rejected),
            (Some("AuthorizationError"), Some(403), Failure::Refused),
            (Some("NotFound"), Some(404), Failure::Refused),
            (Some("KMSDisabled"), Some(400), Failure::Refused),
            (Some("ExpiredToken"), Some(400), Failure::Refused),
            (Some("Throttled"), Some(429), Failure::Transient),
            (Some("KMSThrottling"), Some(400), Failure::Transient),
            (Some("InternalError"), Some(500), Failure::Transient),
            (Some("SomethingNew"), Some(400), Failure::Transient),
            (None, Some(503), Failure::Transient),
            (None, Some(403), Failure::Refused),
            (None, None, Failure::Transient),
        ];
        for (code, status, want) in cases {
            assert_eq!(classify(code, status), want, "{code:?} {status:?}");
        }
    }

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
