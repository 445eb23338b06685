//! Wake-ups against the emulator: the daemon's alarms reconciled to the
//! models listed and the budgets (created, updated, deleted, never
//! duplicated across restarts), and an alarm's state change, set as
//! CloudWatch would (the emulator runs the alarm's SNS action, SNS delivers
//! to the queue), waking the usage collection within seconds; bursts
//! coalesce, a lost message is caught up by polling, a missing queue is a
//! clear error while polling goes on.

mod alarms;
mod listen;
mod mantle;
mod time_to_alert;

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::types::StateValue;
use bedrock_cost_monitor::emulator::Emulator;

use crate::helpers::workload::{EAST, WEST};

pub const PREFIX: &str = "bcm-test-wake-";

/// The wake-up queue (in us-east-1) and one alarm topic per region, each subscribed to it.
pub struct Wiring {
    pub queue_url: String,
    pub topics: BTreeMap<String, String>,
    pub sqs: aws_sdk_sqs::Client,
}

impl Wiring {
    pub async fn create(emu: &Emulator) -> Wiring {
        #[expect(clippy::disallowed_methods, reason = "the deployment's queue and topics, made by the test")]
        let sqs = aws_sdk_sqs::Client::new(&emu.sdk_config(EAST).await);
        let queue_url =
            sqs.create_queue().queue_name("wakeups").send().await.unwrap().queue_url().unwrap().to_string();
        let attrs = sqs
            .get_queue_attributes()
            .queue_url(&queue_url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .unwrap();
        let queue_arn =
            attrs.attributes().unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn].clone();
        let mut topics = BTreeMap::new();
        for region in [EAST, WEST] {
            #[expect(clippy::disallowed_methods, reason = "the deployment's topics, made by the test")]
            let sns = aws_sdk_sns::Client::new(&emu.sdk_config(region).await);
            let arn =
                sns.create_topic().name("wakeups").send().await.unwrap().topic_arn().unwrap().to_string();
            sns.subscribe().topic_arn(&arn).protocol("sqs").endpoint(&queue_arn).send().await.unwrap();
            topics.insert(region.to_string(), arn);
        }
        Wiring { queue_url, topics, sqs }
    }

    /// The `[wakeups]` table (on) for this wiring, with a burn-rate budget
    /// whose floor is the threshold, and `more` keys.
    pub fn config(&self, more: &str) -> String {
        self.config_with(more, "")
    }

    /// [`Wiring::config`] with more keys of the budget's `[budgets.burn_rate]`.
    pub fn config_with(&self, more: &str, burn_rate: &str) -> String {
        let topics: Vec<String> = self.topics.iter().map(|(r, a)| format!("{r:?} = {a:?}")).collect();
        format!(
            "[wakeups]\nenabled = true\nqueue_url = {:?}\nalarm_prefix = {PREFIX:?}\nhot_minutes = 0\n\
             topic_arns = {{ {} }}\n{more}\n\
             [[budgets]]\nname = \"runaway\"\nperiod = \"day\"\nlimit_usd = \"100000\"\nforecast_alert = false\n\
             [budgets.burn_rate]\nmin_usd_per_hour = \"5\"\n{burn_rate}",
            self.queue_url,
            topics.join(", ")
        )
    }

    /// Messages waiting in the queue, removed (a lost message).
    pub async fn drain(&self) -> usize {
        let mut n = 0;
        loop {
            let got = self
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(1)
                .send()
                .await
                .unwrap();
            if got.messages().is_empty() {
                return n;
            }
            for m in got.messages() {
                n += 1;
                let receipt = m.receipt_handle().unwrap();
                self.sqs
                    .delete_message()
                    .queue_url(&self.queue_url)
                    .receipt_handle(receipt)
                    .send()
                    .await
                    .unwrap();
            }
        }
    }
}

pub async fn cloudwatch(emu: &Emulator, region: &str) -> aws_sdk_cloudwatch::Client {
    #[expect(clippy::disallowed_methods, reason = "reads and sets the alarms as CloudWatch would")]
    let client = aws_sdk_cloudwatch::Client::new(&emu.sdk_config(region).await);
    client
}

/// Sets an alarm's state, as CloudWatch's evaluation would.
pub async fn set_state(emu: &Emulator, region: &str, alarm: &str, state: StateValue) {
    cloudwatch(emu, region)
        .await
        .set_alarm_state()
        .alarm_name(alarm)
        .state_value(state)
        .state_reason(
            "Threshold Crossed: 1 datapoint [412.5] was greater than or equal to the threshold (5.0).",
        )
        .send()
        .await
        .unwrap();
}

/// Requests of one operation the emulator received.
pub async fn count(emu: &Emulator, operation: &str) -> usize {
    emu.requests(Some("cloudwatch")).await.unwrap().iter().filter(|r| r.operation == operation).count()
}
