//! An AWS Organization in the emulator, made the way an operator makes one:
//! `CreateOrganization` and `CreateAccount` from the default account (which
//! becomes the management account), `CloseAccount` to suspend a member,
//! `RegisterDelegatedAdministrator`; and a member account's credentials,
//! through STS `AssumeRole` (the emulator maps them to that account).

use aws_config::SdkConfig;
use aws_sdk_cloudwatch::config::SharedCredentialsProvider;
use aws_sdk_organizations::Client;
use bedrock_cost_monitor::emulator::Emulator;
use bedrock_cost_monitor::sim::publish::publish;
use bedrock_cost_monitor::sim::SimDatum;

use super::workload::{EAST, WEST};

/// Organizations' endpoint is in us-east-1.
pub const REGION: &str = "us-east-1";

/// The organisation made by [`create`].
pub struct Org {
    /// The default account: the management account.
    pub management: String,
    /// The members, in the order they were named: (name, account ID).
    pub members: Vec<(String, String)>,
}

impl Org {
    pub fn id_of(&self, name: &str) -> &str {
        let found = self.members.iter().find(|(n, _)| n == name);
        &found.unwrap_or_else(|| panic!("no member named {name}")).1
    }
}

async fn management_client(emu: &Emulator) -> Client {
    #[expect(clippy::disallowed_methods, reason = "the test sets up the organisation as its operator would")]
    let client = Client::new(&emu.sdk_config(REGION).await);
    client
}

/// An organisation of the default account with a member account per name.
pub async fn create(emu: &Emulator, names: &[&str]) -> Org {
    let client = management_client(emu).await;
    let org = client.create_organization().send().await.expect("CreateOrganization");
    let management = org.organization().and_then(|o| o.master_account_id()).expect("a management account");
    let mut members = Vec::new();
    for name in names {
        members.push((name.to_string(), add_account(emu, name).await));
    }
    Org { management: management.to_string(), members }
}

/// Creates one more member account in the default account's organisation; its ID.
pub async fn add_account(emu: &Emulator, name: &str) -> String {
    let client = management_client(emu).await;
    let created = client
        .create_account()
        .account_name(name)
        .email(format!("{name}@example.com"))
        .send()
        .await
        .expect("CreateAccount");
    created.create_account_status().and_then(|s| s.account_id()).expect("an account ID").to_string()
}

/// Closes a member account: it is then `SUSPENDED`.
pub async fn close(emu: &Emulator, account_id: &str) {
    let client = management_client(emu).await;
    client.close_account().account_id(account_id).send().await.expect("CloseAccount");
}

/// Makes a member a delegated administrator (for Systems Manager, as an
/// organisation would for some service).
pub async fn delegate(emu: &Emulator, account_id: &str) {
    let client = management_client(emu).await;
    client
        .register_delegated_administrator()
        .account_id(account_id)
        .service_principal("ssm.amazonaws.com")
        .send()
        .await
        .expect("RegisterDelegatedAdministrator");
}

/// Credentials acting in `account_id` in `region`: a role there, assumed
/// from the default account.
pub async fn in_account(emu: &Emulator, account_id: &str, region: &str) -> SdkConfig {
    let own = emu.sdk_config(region).await;
    let role = format!("arn:aws:iam::{account_id}:role/bedrock-cost-monitor-reader");
    let provider =
        aws_config::sts::AssumeRoleProvider::builder(role).session_name("test").configure(&own).build().await;
    own.into_builder().credentials_provider(SharedCredentialsProvider::new(provider)).build()
}

/// Publishes `datums` (us-east-1 and us-west-2) into `account`'s CloudWatch,
/// with that account's credentials.
pub async fn publish_in(emu: &Emulator, account: &str, datums: &[SimDatum]) {
    for region in [EAST, WEST] {
        let mine: Vec<SimDatum> = datums.iter().filter(|d| d.region == region).cloned().collect();
        #[expect(clippy::disallowed_methods, reason = "a member account's traffic, published by the test")]
        let client = aws_sdk_cloudwatch::Client::new(&in_account(emu, account, region).await);
        publish(&client, &mine).await.expect("PutMetricData");
    }
}
