//! The S3 destination through the real SDK and the emulator's S3: objects
//! written where Bedrock writes them (`<prefix>AWSLogs/<account>/
//! BedrockModelInvocationLogs/<region>/YYYY/MM/DD/HH/…json.gz`, gzipped JSON
//! lines), each read once, a run that dies inside an object resumed without
//! a request lost or doubled, a record in two objects counted once, an
//! over-long line and a corrupt object skipped and counted.

use std::io::Write;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use async_trait::async_trait;
use bedrock_cost_monitor::aws::AwsConfig;
use bedrock_cost_monitor::clock::ManualClock;
use bedrock_cost_monitor::ledger::sqlite::SqliteStore;
use bedrock_cost_monitor::ledger::Store;
use bedrock_cost_monitor::sources::invocation_logs::objects::{LogObject, LogObjects, ObjectBody};
use bedrock_cost_monitor::sources::invocation_logs::s3::{S3Destination, S3LogObjects};
use bedrock_cost_monitor::sources::SourceError;
use chrono::{DateTime, Duration, Utc};
use flate2::write::GzEncoder;
use flate2::Compression;
use tokio::io::{AsyncRead, ReadBuf};

use super::records::{self, Call};
use super::{base, by_user, d, job};
use crate::helpers::emulator;
use crate::helpers::workload::EAST;

const BUCKET: &str = "bedrock-logs-111122223333";
const PREFIX: &str = "bedrock-raw/";
const ACCOUNT: &str = "111122223333";

fn gzip(lines: &[String]) -> Vec<u8> {
    gzip_at(lines, Compression::default())
}

/// Level 0 keeps the bytes in stored blocks, so a download cut short still
/// yields the records before the cut (deflate could hold them in one block).
fn gzip_at(lines: &[String], level: Compression) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), level);
    for l in lines {
        e.write_all(l.as_bytes()).unwrap();
        e.write_all(b"\n").unwrap();
    }
    e.finish().unwrap()
}

fn key(hour: DateTime<Utc>, name: &str) -> String {
    format!(
        "{PREFIX}AWSLogs/{ACCOUNT}/BedrockModelInvocationLogs/{EAST}/{}/{name}.json.gz",
        hour.format("%Y/%m/%d/%H")
    )
}

async fn client(emu: &bedrock_cost_monitor::emulator::Emulator) -> aws_sdk_s3::Client {
    let sdk = emu.sdk_config(EAST).await;
    let conf = aws_sdk_s3::config::Builder::from(&sdk).force_path_style(true).build();
    #[expect(clippy::disallowed_methods, reason = "delivers the objects to the emulator, as Bedrock would")]
    aws_sdk_s3::Client::from_conf(conf)
}

async fn put(s3: &aws_sdk_s3::Client, key: &str, body: Vec<u8>) {
    s3.put_object().bucket(BUCKET).key(key).body(body.into()).send().await.unwrap();
}

async fn source(emu: &bedrock_cost_monitor::emulator::Emulator) -> Arc<S3LogObjects> {
    let aws = AwsConfig::from_sdk(emu.sdk_config(EAST).await);
    let d = S3Destination { bucket: BUCKET.into(), prefix: PREFIX.into(), account_id: ACCOUNT.into() };
    Arc::new(S3LogObjects::connect(aws.monitored(), &[(EAST.to_string(), d)].into_iter().collect()))
}

/// Two objects in the workload's hour: the first with most calls, the
/// second with the rest and req-a again (re-delivered across objects).
async fn deliver(emu: &bedrock_cost_monitor::emulator::Emulator, calls: &[Call]) -> DateTime<Utc> {
    let s3 = client(emu).await;
    s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    let hour = hour_of(calls[0].at);
    let text: Vec<String> = calls.iter().map(|c| c.record.to_string()).collect();
    let (first, second) = text.split_at(5);
    let mut second = second.to_vec();
    second.push(text[0].clone());
    // An over-long line: skipped and counted, the object still read.
    second.push("x".repeat(1_100_000));
    put(&s3, &key(hour, "a"), gzip(first)).await;
    put(&s3, &key(hour, "b"), gzip(&second)).await;
    put(&s3, &key(hour, "c-corrupt"), b"this is not gzip".to_vec()).await;
    hour
}

#[tokio::test]
async fn objects_are_read_once_and_priced_exactly() {
    let emu = emulator::exclusive().await;
    let t0 = base();
    let calls = records::mixed_workload(t0);
    deliver(&emu, &calls).await;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let clock = Arc::new(ManualClock::new(t0 + Duration::minutes(60)));
    let s3 = source(&emu).await;
    let run =
        || job(Arc::new(NoPages), store.clone(), clock.clone()).with_objects(s3.clone(), vec![EAST.into()]);
    let report = run().run_once().await;
    assert!(report.succeeded(), "{:?}", report.errors);
    let r = &report.regions[0];
    // req-a is delivered three times: twice in the workload, once more in object b.
    assert_eq!((r.objects, r.added, r.duplicates, r.foreign_region), (3, 7, 2, 1), "{r:?}");
    assert_eq!(
        (r.rejected.get("too_large"), r.rejected.get("corrupt_object")),
        (Some(&1), Some(&1)),
        "{r:?}"
    );
    let users = by_user(store.as_ref(), t0, t0 + Duration::hours(2)).await;
    assert_eq!(users["u-1"], (3, d(records::U1_USD)));
    assert_eq!(users["u-2"], (2, d(records::U2_USD)));

    // Read objects are not read again.
    clock.advance(Duration::minutes(5));
    let again = run().run_once().await;
    assert_eq!((again.regions[0].objects, again.regions[0].events), (0, 0), "{:?}", again.regions[0]);
}

#[tokio::test]
async fn a_run_killed_inside_an_object_resumes_it() {
    let emu = emulator::exclusive().await;
    let t0 = base();
    let calls = records::filler(t0, 30);
    let s3 = client(&emu).await;
    s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    let text: Vec<String> = calls.iter().map(|c| c.record.to_string()).collect();
    put(&s3, &key(hour_of(calls[0].at), "big"), gzip_at(&text, Compression::none())).await;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let clock = Arc::new(ManualClock::new(t0 + Duration::minutes(60)));
    let source = source(&emu).await;
    // The download breaks after 12,000 bytes: past the first 8 KiB read.
    let dying = Arc::new(Breaking { inner: source.clone(), opened: AtomicUsize::new(0) });
    let first = job(Arc::new(NoPages), store.clone(), clock.clone())
        .with_objects(dying, vec![EAST.into()])
        .with_object_chunk(2)
        .run_once()
        .await;
    assert!(!first.succeeded());
    let written = first.regions[0].added;
    assert!((1..30).contains(&written), "part of the object was written: {written}");

    let second =
        job(Arc::new(NoPages), store.clone(), clock).with_objects(source, vec![EAST.into()]).run_once().await;
    assert!(second.succeeded(), "{:?}", second.errors);
    assert_eq!(
        (second.regions[0].added + written, second.regions[0].duplicates),
        (30, written),
        "every request once"
    );
    let users = by_user(store.as_ref(), t0, t0 + Duration::hours(2)).await;
    assert_eq!(users["u-9"], (30, d("0.01125")));
}

fn hour_of(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp() - t.timestamp().rem_euclid(3600), 0).unwrap()
}

/// No CloudWatch Logs group: every region of these tests reads S3.
struct NoPages;

#[async_trait]
impl bedrock_cost_monitor::sources::invocation_logs::pages::LogPages for NoPages {
    async fn page(
        &self,
        _: &str,
        _: &bedrock_cost_monitor::sources::invocation_logs::pages::LogQuery,
    ) -> Result<
        bedrock_cost_monitor::sources::invocation_logs::pages::LogPage,
        bedrock_cost_monitor::sources::invocation_logs::pages::PageFailure,
    > {
        unreachable!("S3 regions never ask CloudWatch Logs")
    }
}

/// The first object opened breaks after 12,000 bytes: a connection reset.
struct Breaking {
    inner: Arc<S3LogObjects>,
    opened: AtomicUsize,
}

#[async_trait]
impl LogObjects for Breaking {
    async fn list_hour(
        &self,
        region: &str,
        hour: DateTime<Utc>,
    ) -> Result<(Vec<LogObject>, u64), SourceError> {
        self.inner.list_hour(region, hour).await
    }

    async fn open(&self, region: &str, key: &str) -> Result<ObjectBody, SourceError> {
        let body = self.inner.open(region, key).await?;
        if self.opened.fetch_add(1, Ordering::SeqCst) == 0 {
            return Ok(Box::new(BreakAfter { inner: body, left: 12_000 }));
        }
        Ok(body)
    }
}

struct BreakAfter {
    inner: ObjectBody,
    left: usize,
}

impl AsyncRead for BreakAfter {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if self.left == 0 {
            return Poll::Ready(Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "connection reset",
            )));
        }
        let mut small = vec![0u8; self.left.min(buf.remaining()).min(16)];
        let mut tmp = ReadBuf::new(&mut small);
        match Pin::new(&mut self.inner).poll_read(cx, &mut tmp) {
            Poll::Ready(Ok(())) => {
                let n = tmp.filled().len();
                buf.put_slice(tmp.filled());
                self.left -= n.min(self.left);
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }
}
