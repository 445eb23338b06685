//! The S3 destination, apart from the SDK: where Bedrock writes each hour's
//! objects (`<prefix>AWSLogs/<account>/BedrockModelInvocationLogs/<region>/
//! YYYY/MM/DD/HH/…json.gz`, gzipped JSON lines), the trait the S3 adapter
//! implements, and reading an object's records one bounded line at a time.
//!
//! Must not parse records (`record.rs`) or decide which objects to read (the
//! job); never holds more than one line of an object in memory.

use async_compression::tokio::bufread::GzipDecoder;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};

use super::record::MAX_RECORD_BYTES;
use crate::sources::SourceError;

/// One delivered object.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LogObject {
    pub key: String,
    pub size: u64,
}

/// An object's raw (gzipped) bytes, as a stream.
pub type ObjectBody = Box<dyn AsyncRead + Send + Unpin>;

#[async_trait]
pub trait LogObjects: Send + Sync {
    /// Every object Bedrock delivered for `region` in the hour starting at
    /// `hour`, in key order (all pages).
    async fn list_hour(
        &self,
        region: &str,
        hour: DateTime<Utc>,
    ) -> Result<(Vec<LogObject>, u64), SourceError>;

    /// The object's body.
    async fn open(&self, region: &str, key: &str) -> Result<ObjectBody, SourceError>;
}

/// The key prefix of one hour's objects. `prefix` is the bucket prefix of
/// the logging configuration (`""` or ending in `/`).
pub fn hour_prefix(prefix: &str, account_id: &str, region: &str, hour: DateTime<Utc>) -> String {
    format!(
        "{prefix}AWSLogs/{account_id}/BedrockModelInvocationLogs/{region}/{}/",
        hour.format("%Y/%m/%d/%H")
    )
}

/// One line of an object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Line {
    Record(String),
    /// A line longer than the record limit, skipped without being kept.
    TooLong {
        bytes: usize,
    },
}

/// The lines of a gzipped object, each read with at most
/// [`MAX_RECORD_BYTES`] (+1) bytes in memory.
pub struct RecordLines {
    reader: BufReader<GzipDecoder<BufReader<ObjectBody>>>,
}

impl RecordLines {
    pub fn new(body: ObjectBody) -> Self {
        let mut gzip = GzipDecoder::new(BufReader::new(body));
        // Objects may be several gzip members written one after another.
        gzip.multiple_members(true);
        RecordLines { reader: BufReader::new(gzip) }
    }

    /// The next non-empty line; `None` at the end of the object.
    pub async fn next(&mut self) -> std::io::Result<Option<Line>> {
        loop {
            let mut buf = Vec::new();
            let limit = u64::try_from(MAX_RECORD_BYTES).unwrap_or(u64::MAX) + 1;
            let n = (&mut self.reader).take(limit).read_until(b'\n', &mut buf).await?;
            if n == 0 {
                return Ok(None);
            }
            if buf.last() != Some(&b'\n') && buf.len() > MAX_RECORD_BYTES {
                let rest = self.skip_line().await?;
                return Ok(Some(Line::TooLong { bytes: buf.len() + rest }));
            }
            let text = String::from_utf8_lossy(&buf);
            let line = text.trim();
            if !line.is_empty() {
                return Ok(Some(Line::Record(line.to_string())));
            }
        }
    }

    /// Discards the rest of an over-long line, a buffer at a time.
    async fn skip_line(&mut self) -> std::io::Result<usize> {
        let mut skipped = 0;
        loop {
            let chunk = self.reader.fill_buf().await?;
            if chunk.is_empty() {
                return Ok(skipped);
            }
            match chunk.iter().position(|b| *b == b'\n') {
                Some(i) => {
                    self.reader.consume(i + 1);
                    return Ok(skipped + i);
                }
                None => {
                    let n = chunk.len();
                    self.reader.consume(n);
                    skipped += n;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use chrono::TimeZone;
    use flate2::write::GzEncoder;
    use flate2::Compression;

    use super::*;

    fn gzip(parts: &[&[u8]]) -> Vec<u8> {
        // Two members, as a writer appending batches would produce.
        let mut out = Vec::new();
        for part in parts {
            let mut e = GzEncoder::new(Vec::new(), Compression::fast());
            e.write_all(part).unwrap();
            out.extend(e.finish().unwrap());
        }
        out
    }

    #[test]
    fn hour_prefixes_follow_the_delivery_layout() {
        let hour = Utc.with_ymd_and_hms(2026, 12, 6, 9, 0, 0).unwrap();
        assert_eq!(
            hour_prefix("bedrock-raw/", "111122223333", "us-east-1", hour),
            "bedrock-raw/AWSLogs/111122223333/BedrockModelInvocationLogs/us-east-1/2026/12/06/09/"
        );
        assert_eq!(
            hour_prefix("", "1", "eu-west-1", hour),
            "AWSLogs/1/BedrockModelInvocationLogs/eu-west-1/2026/12/06/09/"
        );
    }

    #[tokio::test]
    async fn lines_are_bounded_and_members_concatenate() {
        let huge = vec![b'x'; MAX_RECORD_BYTES + 10];
        let mut first = b"{\"a\":1}\n\n".to_vec();
        first.extend(&huge);
        first.extend(b"\n{\"b\":2}\n");
        let body = gzip(&[&first, b"{\"c\":3}"]);
        let mut lines = RecordLines::new(Box::new(std::io::Cursor::new(body)));
        let mut got = Vec::new();
        while let Some(line) = lines.next().await.unwrap() {
            got.push(line);
        }
        assert_eq!(
            got,
            vec![
                Line::Record("{\"a\":1}".into()),
                Line::TooLong { bytes: MAX_RECORD_BYTES + 10 },
                Line::Record("{\"b\":2}".into()),
                Line::Record("{\"c\":3}".into()),
            ]
        );
    }

    #[tokio::test]
    async fn a_corrupt_object_is_an_error_not_a_panic() {
        let mut lines = RecordLines::new(Box::new(std::io::Cursor::new(b"not gzip at all".to_vec())));
        assert!(lines.next().await.is_err());
    }
}
