//! What finance receives: an SNS topic in the emulator with an SQS queue
//! subscribed, and the messages delivered to it. Shared by the alert and
//! replica tests.

use aws_sdk_sqs::types::QueueAttributeName;
use bedrock_cost_monitor::emulator::Emulator;
use serde_json::Value;

const REGION: &str = "us-east-1";

/// A topic and the queue subscribed to it (SNS envelope delivery, so the
/// subject and message attributes arrive as finance's subscription sees them).
pub struct Topic {
    pub arn: String,
    queue_url: String,
    sqs: aws_sdk_sqs::Client,
}

/// One delivered message.
#[derive(Debug, Clone)]
pub struct Delivered {
    pub subject: Option<String>,
    pub body: Value,
    pub attributes: Value,
    /// FIFO system attributes (`MessageGroupId`, `MessageDeduplicationId`).
    pub group_id: Option<String>,
    pub dedupe_id: Option<String>,
}

impl Delivered {
    pub fn kind(&self) -> &str {
        self.attributes["kind"]["Value"].as_str().unwrap_or_default()
    }
}

impl Topic {
    pub async fn create(emu: &Emulator, name: &str, fifo: bool) -> Topic {
        let sdk = emu.sdk_config(REGION).await;
        #[expect(clippy::disallowed_methods, reason = "the finance inbox on the emulator, for the test")]
        let (sns, sqs) = (aws_sdk_sns::Client::new(&sdk), aws_sdk_sqs::Client::new(&sdk));
        let suffix = if fifo { ".fifo" } else { "" };
        let mut queue = sqs.create_queue().queue_name(format!("{name}-q{suffix}"));
        let mut topic = sns.create_topic().name(format!("{name}{suffix}"));
        if fifo {
            queue = queue.attributes(QueueAttributeName::FifoQueue, "true");
            topic = topic.attributes("FifoTopic", "true").attributes("ContentBasedDeduplication", "false");
        }
        let queue_url = queue.send().await.unwrap().queue_url().unwrap().to_string();
        let attrs = sqs
            .get_queue_attributes()
            .queue_url(&queue_url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .unwrap();
        let queue_arn = attrs.attributes().unwrap()[&QueueAttributeName::QueueArn].clone();
        let arn = topic.send().await.unwrap().topic_arn().unwrap().to_string();
        sns.subscribe().topic_arn(&arn).protocol("sqs").endpoint(&queue_arn).send().await.unwrap();
        Topic { arn, queue_url, sqs }
    }

    /// Everything delivered so far (drains the queue).
    pub async fn drain(&self) -> Vec<Delivered> {
        let mut out = Vec::new();
        loop {
            let got = self.receive().await;
            if got.is_empty() {
                return out;
            }
            out.extend(got);
        }
    }

    /// One receive: what arrives within a second (returning as soon as
    /// something does), deleted from the queue.
    pub async fn receive(&self) -> Vec<Delivered> {
        let got = self
            .sqs
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(10)
            .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        let mut out = Vec::new();
        for m in got.messages() {
            let envelope: Value = serde_json::from_str(m.body().unwrap()).unwrap();
            let system = m.attributes();
            let get = |k| system.and_then(|a| a.get(&k)).cloned();
            out.push(Delivered {
                subject: envelope["Subject"].as_str().map(String::from),
                body: serde_json::from_str(envelope["Message"].as_str().unwrap()).unwrap(),
                attributes: envelope["MessageAttributes"].clone(),
                group_id: get(aws_sdk_sqs::types::MessageSystemAttributeName::MessageGroupId),
                dedupe_id: get(aws_sdk_sqs::types::MessageSystemAttributeName::MessageDeduplicationId),
            });
            let handle = m.receipt_handle().unwrap();
            self.sqs.delete_message().queue_url(&self.queue_url).receipt_handle(handle).send().await.unwrap();
        }
        out
    }
}

/// SNS `Publish` requests the emulator has received: every attempt, those
/// SNS failed included.
pub async fn publishes(emu: &Emulator) -> usize {
    let log = emu.requests(Some("sns")).await.unwrap();
    log.iter().filter(|r| r.operation == "Publish").count()
}
