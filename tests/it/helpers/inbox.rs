//! Shared by the alert, replica and decision tests: an SNS topic with an SQS
//! queue subscribed in the emulator (what finance would receive), and a
//! daemon replica built from a written config whose jobs the tests run
//! directly (`run_once`) on a manual clock instead of waiting for cron.

use std::path::Path;
use std::sync::Arc;

use aws_sdk_sqs::types::QueueAttributeName;
use bedrock_cost_monitor::app::{Components, RunOptions};
use bedrock_cost_monitor::clock::{Clock, ManualClock, SystemClock};
use bedrock_cost_monitor::config::{self, Loaded};
use bedrock_cost_monitor::emulator::Emulator;
use bedrock_cost_monitor::ledger::Backend;
use bedrock_cost_monitor::scheduler::{Completed, ScheduledJob};
use serde_json::Value;

use super::repo_root;

pub const REGION: &str = "us-east-1";

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
            if got.messages().is_empty() {
                return out;
            }
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
                self.sqs
                    .delete_message()
                    .queue_url(&self.queue_url)
                    .receipt_handle(handle)
                    .send()
                    .await
                    .unwrap();
            }
        }
    }
}

/// Writes `monitor.toml` into `dir`: two regions, the emulator, the topic
/// (if any), no retries beyond one, and the given extra TOML (budgets, …).
pub fn write_config(dir: &Path, topic: Option<&str>, extra: &str) -> std::path::PathBuf {
    let prices = repo_root().join("config/prices.toml");
    let topic = topic.map(|t| format!("sns_topic_arn = \"{t}\"\n")).unwrap_or_default();
    let text = format!(
        "[monitor]\nregions = [\"us-east-1\", \"us-west-2\"]\ntimezone = \"UTC\"\n\
         [aws]\nmax_attempts = 2\n\
         [sources.cloudwatch]\nrestatement_minutes = 10\nbackfill_hours = 3\n\
         [sources.cloudtrail]\nenabled = false\n\
         [alerts]\n{topic}\n[alerts.digest]\nenabled = false\n\
         [pricing]\ntable = {prices:?}\n{extra}\n"
    );
    let path = dir.join("monitor.toml");
    std::fs::write(&path, text).unwrap();
    path
}

pub fn load(path: &Path, emu: &Emulator, data_dir: &Path) -> Loaded {
    let (endpoint, data) = (emu.endpoint_url().to_string(), data_dir.display().to_string());
    let env = move |k: &str| match k {
        "BCM_AWS_ENDPOINT_URL" => Some(endpoint.clone()),
        "BCM_DATA_DIR" => Some(data.clone()),
        _ => None,
    };
    config::load_with_env(path, &env, SystemClock.now()).unwrap_or_else(|e| panic!("{e}"))
}

/// One daemon, built as `run` builds it, whose jobs the test runs by hand.
pub struct Replica {
    pub parts: Components,
    jobs: Vec<ScheduledJob>,
}

impl Replica {
    pub async fn start(
        loaded: &Loaded,
        emu: &Emulator,
        clock: Arc<ManualClock>,
        store: Option<Arc<dyn Backend>>,
    ) -> Replica {
        Replica::start_with_clock(loaded, emu, clock, store).await
    }

    pub async fn start_with_clock(
        loaded: &Loaded,
        emu: &Emulator,
        clock: Arc<dyn Clock>,
        store: Option<Arc<dyn Backend>>,
    ) -> Replica {
        let (_stop, shutdown) = tokio::sync::watch::channel(false);
        let options = RunOptions {
            clock,
            credentials: emu.sdk_config(REGION).await.credentials_provider(),
            listener: None,
            shutdown,
            store,
        };
        let parts = Components::new(loaded, &options).await.unwrap();
        parts.leadership.renew().await;
        let jobs = parts.jobs(loaded).await;
        Replica { parts, jobs }
    }

    /// Runs the named job once, as a cron tick would.
    pub async fn run(&self, name: &str) -> Result<Completed, String> {
        let job = self
            .jobs
            .iter()
            .find(|j| j.job.name().as_str() == name)
            .unwrap_or_else(|| panic!("no job {name}"));
        job.job.run_once().await.map_err(|e| e.to_string())
    }
}
