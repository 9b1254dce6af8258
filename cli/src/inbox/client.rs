//! A minimal HTTP/1.1 client for the admin listener (loopback, plain HTTP): one request per
//! connection, `Connection: close`, the answer read to its end.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::Value;

use super::{Failure, failed};
use crate::input::Usage;

/// How long connecting, sending and reading may each take.
const TIMEOUT: Duration = Duration::from_secs(30);
/// The largest answer read (a page of 1000 summaries fits easily).
const MAX_ANSWER: u64 = 64 * 1024 * 1024;

pub(crate) struct Client {
    /// `host:port`.
    authority: String,
    /// A path prefix the admin router is mounted under (no trailing slash).
    prefix: String,
    token: String,
}

impl Client {
    /// `url` is `http://host:port[/prefix]`.
    pub(crate) fn new(url: &str, token: String) -> Result<Self, Usage> {
        let rest = url.strip_prefix("http://").ok_or_else(|| {
            Usage(format!(
                "{url}: the admin URL must start with http:// (a loopback listener)"
            ))
        })?;
        let (authority, prefix) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
        if authority.is_empty() || !authority.contains(':') {
            return Err(Usage(format!("{url}: give the host and the port")));
        }
        let prefix = prefix.trim_end_matches('/');
        let prefix = if prefix.is_empty() {
            String::new()
        } else {
            format!("/{prefix}")
        };
        Ok(Self {
            authority: authority.to_owned(),
            prefix,
            token,
        })
    }

    /// A refusal as an error message (never the token).
    pub(crate) fn refusal(status: u16, answer: &Value) -> Failure {
        match status {
            401 => failed("the admin listener refused the token (401): check --token-env"),
            _ => failed(format!(
                "the admin listener answered {status}: {}",
                answer["error"].as_str().unwrap_or("no detail")
            )),
        }
    }

    /// Sends a request; a non-200 answer is an error.
    pub(crate) fn call(&self, method: &str, path: &str) -> Result<Value, Failure> {
        match self.call_status(method, path)? {
            (200, value) => Ok(value),
            (status, value) => Err(Self::refusal(status, &value)),
        }
    }

    /// Sends a request: the status and the JSON answer (`null` when there is none).
    pub(crate) fn call_status(&self, method: &str, path: &str) -> Result<(u16, Value), Failure> {
        let unreachable =
            |e: std::io::Error| failed(format!("admin listener {}: {e}", self.authority));
        let addr = std::net::ToSocketAddrs::to_socket_addrs(&self.authority)
            .map_err(unreachable)?
            .next()
            .ok_or_else(|| failed(format!("{}: no address", self.authority)))?;
        let mut stream = TcpStream::connect_timeout(&addr, TIMEOUT).map_err(unreachable)?;
        stream
            .set_read_timeout(Some(TIMEOUT))
            .map_err(unreachable)?;
        stream
            .set_write_timeout(Some(TIMEOUT))
            .map_err(unreachable)?;
        let head = format!(
            "{method} {}{path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\n\
             Content-Length: 0\r\nAccept: application/json\r\nConnection: close\r\n\r\n",
            self.prefix, self.authority, self.token
        );
        stream.write_all(head.as_bytes()).map_err(unreachable)?;
        let mut raw = Vec::new();
        stream
            .take(MAX_ANSWER)
            .read_to_end(&mut raw)
            .map_err(unreachable)?;
        parse(&raw).ok_or_else(|| failed("the admin listener sent an unreadable answer"))
    }
}

/// The status and JSON body of a raw HTTP/1.1 answer.
fn parse(raw: &[u8]) -> Option<(u16, Value)> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let status: u16 = head.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()?;
    let mut body = raw[split + 4..].to_vec();
    let chunked = head.lines().any(|line| {
        let line = line.to_ascii_lowercase();
        line.starts_with("transfer-encoding:") && line.contains("chunked")
    });
    if chunked {
        body = dechunk(&body)?;
    }
    if body.is_empty() {
        return Some((status, Value::Null));
    }
    Some((status, serde_json::from_slice(&body).ok()?))
}

fn dechunk(mut raw: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line = raw.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&raw[..line]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(raw.get(line + 2..line + 2 + size)?);
        raw = raw.get(line + 4 + size..)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_and_chunked_answers() {
        let plain = b"HTTP/1.1 200 OK\r\ncontent-length: 7\r\n\r\n{\"a\":1}";
        assert_eq!(parse(plain), Some((200, serde_json::json!({"a": 1}))));
        let chunked = b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n4\r\n\":2}\r\n0\r\n\r\n";
        assert_eq!(parse(chunked), Some((404, serde_json::json!({"a": 2}))));
        assert_eq!(
            parse(b"HTTP/1.1 401 Unauthorized\r\n\r\n"),
            Some((401, Value::Null))
        );
        assert_eq!(parse(b"garbage"), None);
    }

    #[test]
    fn urls_need_http_host_and_port() {
        assert!(Client::new("https://127.0.0.1:9090", "t".into()).is_err());
        assert!(Client::new("http://127.0.0.1", "t".into()).is_err());
        let client = Client::new("http://127.0.0.1:9090/admin/", "t".into())
            .ok()
            .unwrap();
        assert_eq!(
            (client.authority.as_str(), client.prefix.as_str()),
            ("127.0.0.1:9090", "/admin")
        );
    }
}
