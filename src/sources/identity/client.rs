//! The STS adapter: the only file that sees `aws_sdk_sts` types.
//! `GetCallerIdentity` needs no permission, so it fails only when the
//! credentials themselves do (or STS is unreachable).

use aws_sdk_sts::Client;

use crate::aws::MonitoredAccount;
use crate::sources::aws_error::classify;
use crate::sources::SourceError;

const API: &str = "GetCallerIdentity";

pub struct CallerIdentity {
    client: Client,
    region: String,
}

impl CallerIdentity {
    /// The monitored account's identity, asked in `region` (STS is regional).
    pub fn connect(aws: &MonitoredAccount, region: &str) -> Self {
        #[expect(clippy::disallowed_methods, reason = "the adapter builds its own client")]
        let client = Client::new(&aws.for_region(region));
        CallerIdentity { client, region: region.to_string() }
    }

    /// The 12-digit account ID the credentials act in.
    pub async fn account(&self) -> Result<String, SourceError> {
        let out =
            self.client.get_caller_identity().send().await.map_err(|e| classify(API, &self.region, &e))?;
        out.account.ok_or_else(|| SourceError {
            api: API,
            region: self.region.clone(),
            kind: crate::sources::ErrorKind::Other,
            message: "the answer names no account".into(),
        })
    }
}
