//! The `healthcheck` probe and the one small loopback HTTP/1.1 client it
//! uses: plain `http://` over a `TcpStream`, `Connection: close`, the status
//! line, headers and body (Content-Length or chunked) parsed by hand.
//!
//! Meant for loopback requests to this daemon or the local emulator; not a
//! general client (no TLS, no redirects, no keep-alive). It only sends the
//! request it is given.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Where `healthcheck` looks by default: the default listen port on loopback.
pub const DEFAULT_URL: &str = "http://127.0.0.1:9470/readyz";
/// Larger answers are refused rather than buffered.
const MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;
/// How much of an error body a `Status` error keeps.
const ERROR_BODY_CHARS: usize = 300;

#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("invalid URL `{url}`: {reason}")]
    BadUrl { url: String, reason: &'static str },
    #[error("{url}: {source}")]
    Io {
        url: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{url}: no answer within {timeout:?}")]
    Timeout { url: String, timeout: Duration },
    #[error("{url}: unreadable HTTP response: {reason}")]
    BadResponse { url: String, reason: String },
    #[error("{url} answered HTTP {status}: {body}")]
    Status { url: String, status: u16, body: String },
}

/// An HTTP answer: status, headers in order, decoded body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// The loopback URL of `path` on a server listening on `listen` (as in
/// `http.listen`): a wildcard address (`0.0.0.0`, `::`) becomes loopback.
pub fn local_url(listen: SocketAddr, path: &str) -> String {
    let ip = match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}{path}", SocketAddr::new(ip, listen.port()))
}

/// `Ok` when `url` answers a GET with a 2xx status within `timeout`.
pub async fn probe(url: &str, timeout: Duration) -> Result<(), ProbeError> {
    let response = request("GET", url, &[], &[], timeout).await?;
    if response.is_success() {
        return Ok(());
    }
    let body: String = response.body_text().trim().chars().take(ERROR_BODY_CHARS).collect();
    Err(ProbeError::Status { url: url.to_string(), status: response.status, body })
}

/// One HTTP/1.1 exchange: `method url` with extra `headers` and `body`
/// (a Content-Length is always sent), within `timeout` overall. Any status
/// is returned as is; only transport and parse failures are errors.
pub async fn request(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    timeout: Duration,
) -> Result<HttpResponse, ProbeError> {
    let target = split_url(url)?;
    let mut head =
        format!("{method} {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n", target.path, target.authority);
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let exchange = async {
        let mut stream = TcpStream::connect(target.connect.as_str()).await?;
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(body).await?;
        let mut raw = Vec::new();
        stream.take(MAX_RESPONSE_BYTES + 1).read_to_end(&mut raw).await?;
        Ok::<_, std::io::Error>(raw)
    };
    let raw = match tokio::time::timeout(timeout, exchange).await {
        Err(_) => return Err(ProbeError::Timeout { url: url.to_string(), timeout }),
        Ok(Err(source)) => return Err(ProbeError::Io { url: url.to_string(), source }),
        Ok(Ok(raw)) => raw,
    };
    if raw.len() as u64 > MAX_RESPONSE_BYTES {
        let reason = format!("larger than {MAX_RESPONSE_BYTES} bytes");
        return Err(ProbeError::BadResponse { url: url.to_string(), reason });
    }
    parse_response(&raw).map_err(|reason| ProbeError::BadResponse { url: url.to_string(), reason })
}

/// A parsed `http://host[:port][/path]` URL.
#[derive(Debug, PartialEq, Eq)]
struct Target<'a> {
    /// As written, for the `Host` header.
    authority: &'a str,
    /// `host:port` to connect to (port 80 when none is written).
    connect: String,
    path: &'a str,
}

fn split_url(url: &str) -> Result<Target<'_>, ProbeError> {
    let bad = |reason| ProbeError::BadUrl { url: url.to_string(), reason };
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("spaces and control characters must be percent-encoded"));
    }
    let rest = url.strip_prefix("http://").ok_or_else(|| bad("only http:// URLs are supported"))?;
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) if rest[i..].starts_with('/') => rest.split_at(i),
        Some(_) => return Err(bad("the path must start with `/`")),
        None => (rest, "/"),
    };
    if authority.is_empty() || authority.contains('@') {
        return Err(bad("expected http://HOST[:PORT][/PATH]"));
    }
    // An IPv6 host is bracketed, so a colon after the last `]` starts the port.
    let has_port = authority.rsplit_once(':').is_some_and(|(_, port)| !port.contains(']'));
    let connect = if has_port { authority.to_string() } else { format!("{authority}:80") };
    Ok(Target { authority, connect, path })
}

/// Parses a complete response read until the server closed the connection.
pub fn parse_response(raw: &[u8]) -> Result<HttpResponse, String> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").ok_or("no end of headers")?;
    let head = std::str::from_utf8(&raw[..split]).map_err(|e| format!("headers are not UTF-8: {e}"))?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = match status_line.split(' ').collect::<Vec<_>>()[..] {
        [version, code, ..] if version.starts_with("HTTP/1.") && code.len() == 3 => code.parse::<u16>().ok(),
        _ => None,
    }
    .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let headers = lines
        .map(|line| line.split_once(':').map(|(n, v)| (n.trim().to_string(), v.trim().to_string())))
        .collect::<Option<Vec<_>>>()
        .ok_or("malformed header line")?;
    let mut response = HttpResponse { status, headers, body: Vec::new() };
    let body = &raw[split + 4..];
    response.body = if response.header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        decode_chunked(body)?
    } else if let Some(length) = response.header("content-length") {
        let length: usize = length.parse().map_err(|_| format!("bad Content-Length {length:?}"))?;
        body.get(..length).ok_or_else(|| format!("body shorter than Content-Length {length}"))?.to_vec()
    } else {
        body.to_vec()
    };
    Ok(response)
}

/// Decodes a `Transfer-Encoding: chunked` body (extensions and trailers ignored).
fn decode_chunked(mut rest: &[u8]) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n").ok_or("unterminated chunk size")?;
        let size_text = std::str::from_utf8(&rest[..line_end]).map_err(|_| "chunk size is not text")?;
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size =
            usize::from_str_radix(size_text, 16).map_err(|_| format!("bad chunk size {size_text:?}"))?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Ok(body);
        }
        let chunk = rest.get(..size).ok_or("chunk shorter than its size")?;
        body.extend_from_slice(chunk);
        rest = rest.get(size..).and_then(|r| r.strip_prefix(b"\r\n")).ok_or("chunk not followed by CRLF")?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_urls() {
        let target = |a, c: &str, p| Target { authority: a, connect: c.to_string(), path: p };
        let cases = [
            ("http://127.0.0.1:9470/readyz", target("127.0.0.1:9470", "127.0.0.1:9470", "/readyz")),
            ("http://localhost", target("localhost", "localhost:80", "/")),
            ("http://[::1]:9470/x?y=1", target("[::1]:9470", "[::1]:9470", "/x?y=1")),
            ("http://[::1]/x", target("[::1]", "[::1]:80", "/x")),
        ];
        for (url, expected) in cases {
            assert_eq!(split_url(url).unwrap(), expected, "{url}");
        }
        for bad in [
            "https://h:1/",
            "h:1/",
            "http:///x",
            "http://u@h:1/",
            "http://h:1?x=1",
            "http://h:1/a b",
            "http://h:1/\r\nX: y",
        ] {
            assert!(matches!(split_url(bad), Err(ProbeError::BadUrl { .. })), "{bad}");
        }
    }

    #[test]
    fn local_urls_use_loopback_for_wildcards() {
        let url = |listen: &str| local_url(listen.parse().unwrap(), "/readyz");
        assert_eq!(url("0.0.0.0:9470"), DEFAULT_URL);
        assert_eq!(url("[::]:9470"), "http://[::1]:9470/readyz");
        assert_eq!(url("10.0.0.5:8080"), "http://10.0.0.5:8080/readyz");
    }

    #[test]
    fn parses_responses() {
        let raw = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\ncontent-length: 2\r\n\r\nokEXTRA";
        let r = parse_response(raw).unwrap();
        assert_eq!((r.status, r.body.as_slice()), (200, &b"ok"[..]));
        assert_eq!(r.header("CONTENT-TYPE"), Some("text/plain"));
        let r = parse_response(b"HTTP/1.0 503 Service Unavailable\r\n\r\n{\"ready\":false}").unwrap();
        assert_eq!((r.status, r.body_text().as_str()), (503, "{\"ready\":false}"));
        let raw =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=1\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        assert_eq!(parse_response(raw).unwrap().body, b"abcde");
    }

    #[test]
    fn refuses_broken_responses() {
        for raw in [
            &b"garbage"[..],
            b"HTTP/1.1 2000 OK\r\n\r\n",
            b"SMTP 200 OK\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nz\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
        ] {
            assert!(parse_response(raw).is_err(), "{}", String::from_utf8_lossy(raw));
        }
    }

    #[tokio::test]
    async fn connection_refused_and_timeout_are_errors() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let err = probe(&format!("http://{addr}/readyz"), Duration::from_secs(2)).await.unwrap_err();
        assert!(matches!(err, ProbeError::Io { .. }), "{err}");

        // Accepts but never answers.
        let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/readyz", silent.local_addr().unwrap());
        let err = probe(&url, Duration::from_millis(200)).await.unwrap_err();
        assert!(matches!(err, ProbeError::Timeout { .. }), "{err}");
    }
}
