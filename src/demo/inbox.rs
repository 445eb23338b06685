//! What finance would receive: an SNS topic in the emulator with an SQS
//! queue subscribed to it. The demo points the daemon's alerts at the topic
//! and prints what arrives in the queue.

use aws_sdk_sqs::types::QueueAttributeName;
use serde_json::Value;

use super::DemoError;
use crate::emulator::Emulator;

const REGION: &str = "us-east-1";

pub struct Inbox {
    pub topic_arn: String,
    queue_url: String,
    sqs: aws_sdk_sqs::Client,
}

/// One delivered alert: its subject and JSON body.
pub struct Received {
    pub subject: String,
    pub body: Value,
}

pub(super) fn aws<E: std::fmt::Display>(what: &str) -> impl FnOnce(E) -> DemoError + '_ {
    move |e| DemoError::Setup(format!("{what}: {e}"))
}

/// Creates the queue `name`: its URL and ARN.
pub(super) async fn queue(sqs: &aws_sdk_sqs::Client, name: &str) -> Result<(String, String), DemoError> {
    let queue = sqs.create_queue().queue_name(name).send().await.map_err(aws("CreateQueue"))?;
    let queue_url = queue.queue_url().unwrap_or_default().to_string();
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(aws("GetQueueAttributes"))?;
    let queue_arn =
        attrs.attributes().and_then(|a| a.get(&QueueAttributeName::QueueArn)).cloned().unwrap_or_default();
    Ok((queue_url, queue_arn))
}

/// Creates the topic `name`, subscribes the queue to it, and returns its ARN.
pub(super) async fn topic_to_queue(
    sns: &aws_sdk_sns::Client,
    name: &str,
    queue_arn: &str,
) -> Result<String, DemoError> {
    let topic = sns.create_topic().name(name).send().await.map_err(aws("CreateTopic"))?;
    let arn = topic.topic_arn().unwrap_or_default().to_string();
    sns.subscribe()
        .topic_arn(&arn)
        .protocol("sqs")
        .endpoint(queue_arn)
        .send()
        .await
        .map_err(aws("Subscribe"))?;
    Ok(arn)
}

impl Inbox {
    pub async fn create(emulator: &Emulator) -> Result<Inbox, DemoError> {
        let sdk = emulator.sdk_config(REGION).await;
        #[expect(clippy::disallowed_methods, reason = "the demo's finance inbox on the emulator")]
        let (sns, sqs) = (aws_sdk_sns::Client::new(&sdk), aws_sdk_sqs::Client::new(&sdk));
        let (queue_url, queue_arn) = queue(&sqs, "finance-inbox").await?;
        let topic_arn = topic_to_queue(&sns, "bedrock-budget-alerts", &queue_arn).await?;
        Ok(Inbox { topic_arn, queue_url, sqs })
    }

    /// Everything delivered since the last call.
    pub async fn drain(&self) -> Result<Vec<Received>, DemoError> {
        let mut out = Vec::new();
        loop {
            let got = self
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .send()
                .await
                .map_err(aws("ReceiveMessage"))?;
            if got.messages().is_empty() {
                return Ok(out);
            }
            for m in got.messages() {
                let envelope: Value = serde_json::from_str(m.body().unwrap_or("{}")).unwrap_or_default();
                let body = envelope["Message"]
                    .as_str()
                    .and_then(|b| serde_json::from_str(b).ok())
                    .unwrap_or_default();
                out.push(Received {
                    subject: envelope["Subject"].as_str().unwrap_or_default().to_string(),
                    body,
                });
                if let Some(handle) = m.receipt_handle() {
                    self.sqs
                        .delete_message()
                        .queue_url(&self.queue_url)
                        .receipt_handle(handle)
                        .send()
                        .await
                        .map_err(aws("DeleteMessage"))?;
                }
            }
        }
    }
}
