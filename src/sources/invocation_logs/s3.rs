//! The S3 adapter: `ListObjectsV2` of an hour's delivery prefix and
//! `GetObject` of one object, per region. The only file that sees
//! `aws_sdk_s3` types.
//!
//! Must not decompress, parse or decide what to read: it lists and opens.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_s3::Client;
use chrono::{DateTime, Utc};

use super::objects::{hour_prefix, LogObject, LogObjects, ObjectBody};
use crate::aws::MonitoredAccount;
use crate::sources::aws_error::classify;
use crate::sources::{ErrorKind, SourceError};

/// Where one region's logs are delivered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Destination {
    pub bucket: String,
    /// The key prefix of the logging configuration: `""` or ending in `/`.
    pub prefix: String,
    /// The account in the delivery path (the monitored account).
    pub account_id: String,
}

struct RegionBucket {
    client: Client,
    destination: S3Destination,
}

/// One S3 client per region with an S3 destination (the bucket is in the
/// region: Bedrock delivers only to same-region buckets).
pub struct S3LogObjects {
    regions: BTreeMap<String, RegionBucket>,
}

impl S3LogObjects {
    /// Clients for the regions of `destinations`, in the monitored account.
    pub fn connect(aws: &MonitoredAccount, destinations: &BTreeMap<String, S3Destination>) -> Self {
        let regions: Vec<String> = destinations.keys().cloned().collect();
        // Path-style addressing where the endpoint is overridden (an emulator
        // or a VPC endpoint URL): `bucket.host` names would not resolve there.
        let build = |sdk: &aws_config::SdkConfig| {
            let conf =
                aws_sdk_s3::config::Builder::from(sdk).force_path_style(sdk.endpoint_url().is_some()).build();
            #[expect(clippy::disallowed_methods, reason = "the adapter builds its own clients")]
            Client::from_conf(conf)
        };
        let mut clients = aws.per_region(&regions, build);
        let regions = destinations
            .iter()
            .filter_map(|(region, d)| {
                let client = clients.remove(region)?;
                Some((region.clone(), RegionBucket { client, destination: d.clone() }))
            })
            .collect();
        S3LogObjects { regions }
    }

    fn region(&self, api: &'static str, region: &str) -> Result<&RegionBucket, SourceError> {
        self.regions.get(region).ok_or_else(|| SourceError {
            api,
            region: region.to_string(),
            kind: ErrorKind::Other,
            message: "no S3 destination configured for this region".into(),
        })
    }
}

#[async_trait]
impl LogObjects for S3LogObjects {
    async fn list_hour(
        &self,
        region: &str,
        hour: DateTime<Utc>,
    ) -> Result<(Vec<LogObject>, u64), SourceError> {
        let rb = self.region("ListObjectsV2", region)?;
        let d = &rb.destination;
        let prefix = hour_prefix(&d.prefix, &d.account_id, region, hour);
        let mut objects = Vec::new();
        let mut requests = 0;
        let mut token: Option<String> = None;
        loop {
            requests += 1;
            let out = rb
                .client
                .list_objects_v2()
                .bucket(&d.bucket)
                .prefix(&prefix)
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(|e| classify("ListObjectsV2", region, &e))?;
            objects.extend(out.contents().iter().filter_map(|o| {
                let key = o.key()?.to_string();
                let size = o.size().and_then(|s| u64::try_from(s).ok()).unwrap_or(0);
                Some(LogObject { key, size })
            }));
            match out.next_continuation_token() {
                Some(t) if out.is_truncated() == Some(true) => token = Some(t.to_string()),
                _ => break,
            }
        }
        objects.sort();
        Ok((objects, requests))
    }

    async fn open(&self, region: &str, key: &str) -> Result<ObjectBody, SourceError> {
        let rb = self.region("GetObject", region)?;
        let out = rb
            .client
            .get_object()
            .bucket(&rb.destination.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| classify("GetObject", region, &e))?;
        Ok(Box::new(out.body.into_async_read()))
    }
}
