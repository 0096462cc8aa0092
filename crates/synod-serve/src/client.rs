//! Clients of the HTTP API: a small HTTP/1.1 client over one keep-alive connection
//! ([`HttpConn`]), and [`KvClient`], which finds the leader, retries and keeps an exactly-once
//! session (a client id and a request number that a retry reuses).
//!
//! Every request is bounded in time: an attempt by `attempt_timeout`, an operation (all its
//! attempts) by `op_timeout`, after which its outcome is [`Outcome::Unknown`].

use crate::http::{FIRST_CLIENT_ID, KvRequest, KvResponse};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The largest response header section accepted.
const MAX_HEAD: usize = 64 << 10;
/// The largest response body accepted.
const MAX_BODY: usize = 16 << 20;

fn invalid(msg: impl Into<String>) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, msg.into())
}

/// One keep-alive HTTP/1.1 connection.
#[derive(Debug)]
pub struct HttpConn {
    stream: TcpStream,
    host: String,
    buf: Vec<u8>,
}

impl HttpConn {
    /// Connects to `addr` (`host:port`) within `timeout`.
    pub async fn connect(addr: &str, timeout: Duration) -> std::io::Result<HttpConn> {
        let stream = tokio::time::timeout(timeout, TcpStream::connect(addr))
            .await
            .map_err(|_| {
                std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out")
            })??;
        stream.set_nodelay(true)?;
        Ok(HttpConn {
            stream,
            host: addr.to_string(),
            buf: Vec::with_capacity(4096),
        })
    }

    /// Sends a request (`body` as JSON when not empty) and reads the response: its status
    /// and body.
    pub async fn request(
        &mut self,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> std::io::Result<(u16, Vec<u8>)> {
        let mut req = Vec::with_capacity(160 + body.len());
        req.extend_from_slice(
            format!(
                "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                self.host,
                body.len()
            )
            .as_bytes(),
        );
        req.extend_from_slice(body);
        self.stream.write_all(&req).await?;
        self.read_response().await
    }

    async fn fill(&mut self) -> std::io::Result<()> {
        let mut chunk = [0u8; 16 << 10];
        let n = self.stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "connection closed",
            ));
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }

    async fn read_response(&mut self) -> std::io::Result<(u16, Vec<u8>)> {
        let (status, head_len, length, chunked) = loop {
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut resp = httparse::Response::new(&mut headers);
            match resp.parse(&self.buf) {
                Ok(httparse::Status::Complete(n)) => {
                    let mut length = None;
                    let mut chunked = false;
                    for h in resp.headers.iter() {
                        if h.name.eq_ignore_ascii_case("content-length") {
                            length = std::str::from_utf8(h.value)
                                .ok()
                                .and_then(|v| v.trim().parse::<usize>().ok());
                        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
                            chunked = std::str::from_utf8(h.value)
                                .is_ok_and(|v| v.to_ascii_lowercase().contains("chunked"));
                        }
                    }
                    break (resp.code.unwrap_or(0), n, length, chunked);
                }
                Ok(httparse::Status::Partial) => {
                    if self.buf.len() > MAX_HEAD {
                        return Err(invalid("response header too long"));
                    }
                    self.fill().await?;
                }
                Err(e) => return Err(invalid(format!("bad response: {e}"))),
            }
        };
        self.buf.drain(..head_len);
        if chunked {
            let mut body = Vec::new();
            loop {
                let line_end = loop {
                    if let Some(p) = self.buf.windows(2).position(|w| w == b"\r\n") {
                        break p;
                    }
                    if self.buf.len() > MAX_HEAD {
                        return Err(invalid("chunk header too long"));
                    }
                    self.fill().await?;
                };
                let size_text = std::str::from_utf8(&self.buf[..line_end])
                    .map_err(|_| invalid("bad chunk size"))?;
                let size_text = size_text.split(';').next().unwrap_or("").trim();
                let size =
                    usize::from_str_radix(size_text, 16).map_err(|_| invalid("bad chunk size"))?;
                if body.len() + size > MAX_BODY {
                    return Err(invalid("response body too long"));
                }
                while self.buf.len() < line_end + 2 + size + 2 {
                    self.fill().await?;
                }
                body.extend_from_slice(&self.buf[line_end + 2..line_end + 2 + size]);
                self.buf.drain(..line_end + 2 + size + 2);
                if size == 0 {
                    return Ok((status, body));
                }
            }
        }
        let length = length.unwrap_or(0);
        if length > MAX_BODY {
            return Err(invalid("response body too long"));
        }
        while self.buf.len() < length {
            self.fill().await?;
        }
        let body = self.buf[..length].to_vec();
        self.buf.drain(..length);
        Ok((status, body))
    }
}

/// How a KV operation ended, as the client sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// It took effect; a get's value.
    Ok(Option<String>),
    /// It took effect as the store's failure (`key not found: a`).
    Error(String),
    /// No server answered in time: it may or may not have taken effect.
    Unknown(String),
    /// The server refused the request as malformed (a bug in the caller).
    Rejected(String),
}

/// A KV client of a cluster: leader discovery, retries, one exactly-once session.
#[derive(Debug)]
pub struct KvClient {
    endpoints: Vec<String>,
    conns: Vec<Option<HttpConn>>,
    target: usize,
    client: u32,
    seq: u64,
    /// The longest one attempt may take.
    pub attempt_timeout: Duration,
    /// The longest one operation (all its attempts) may take.
    pub op_timeout: Duration,
}

/// The most endpoints a client remembers (the given ones plus leaders it was sent to).
const MAX_ENDPOINTS: usize = 64;

impl KvClient {
    /// A client of the servers at `endpoints` (HTTP `host:port`), with session id `client`
    /// (at least [`FIRST_CLIENT_ID`]; a random one is fine: sessions are per id).
    pub fn new(endpoints: Vec<String>, client: u32) -> KvClient {
        let n = endpoints.len();
        KvClient {
            endpoints,
            conns: (0..n).map(|_| None).collect(),
            target: 0,
            client: client.max(FIRST_CLIENT_ID),
            seq: 0,
            attempt_timeout: Duration::from_millis(1000),
            op_timeout: Duration::from_secs(5),
        }
    }

    /// Start with the server at index `i` of the endpoints (spreads clients over servers).
    pub fn start_at(mut self, i: usize) -> Self {
        self.target = i % self.endpoints.len().max(1);
        self
    }

    /// The session id.
    pub fn client_id(&self) -> u32 {
        self.client
    }

    /// The endpoint the next attempt goes to.
    pub fn target(&self) -> &str {
        self.endpoints.get(self.target).map_or("", |s| s.as_str())
    }

    /// Runs `op` (`put`, `get`, `delete`) on `key` (with `value` for a put) to the end:
    /// follows leader hints, retries elsewhere on silence with the same request number, gives
    /// up after `op_timeout`.
    pub async fn call(&mut self, op: &str, key: &str, value: Option<&str>) -> Outcome {
        if self.endpoints.is_empty() {
            return Outcome::Rejected("no servers to ask".into());
        }
        self.seq += 1;
        let body = serde_json::to_vec(&KvRequest {
            key: key.to_string(),
            value: value.map(str::to_string),
            client: Some(self.client),
            seq: Some(self.seq),
        })
        .unwrap_or_default();
        let path = format!("/v1/kv/{op}");
        let start = Instant::now();
        let mut last_error = String::from("no attempt");
        let mut failures_in_a_row = 0usize;
        // Bounded by time, and by count as a second guard.
        for _ in 0..10_000 {
            let left = self.op_timeout.saturating_sub(start.elapsed());
            if left.is_zero() {
                break;
            }
            let timeout = left.min(self.attempt_timeout);
            let t = self.target;
            let answer = tokio::time::timeout(timeout, async {
                if self.conns[t].is_none() {
                    self.conns[t] = Some(HttpConn::connect(&self.endpoints[t], timeout).await?);
                }
                match self.conns[t].as_mut() {
                    Some(c) => c.request("POST", &path, &body).await,
                    None => Err(invalid("no connection")),
                }
            })
            .await;
            let (status, resp) = match answer {
                Ok(Ok(r)) => r,
                Ok(Err(e)) => {
                    last_error = format!("{}: {e}", self.endpoints[t]);
                    self.conns[t] = None;
                    failures_in_a_row += 1;
                    self.next_target(failures_in_a_row).await;
                    continue;
                }
                Err(_) => {
                    last_error = format!("{}: no answer in {timeout:?}", self.endpoints[t]);
                    self.conns[t] = None;
                    failures_in_a_row += 1;
                    self.next_target(failures_in_a_row).await;
                    continue;
                }
            };
            let parsed: Result<KvResponse, _> = serde_json::from_slice(&resp);
            match parsed {
                Ok(KvResponse::Ok { value }) => return Outcome::Ok(value),
                Ok(KvResponse::Error { error }) => return Outcome::Error(error),
                Ok(KvResponse::BadRequest { error }) => return Outcome::Rejected(error),
                Ok(KvResponse::NotLeader {
                    leader_http: Some(addr),
                    ..
                }) => {
                    last_error = format!("{} is not the leader", self.endpoints[t]);
                    let i = match self.endpoints.iter().position(|e| *e == addr) {
                        Some(i) => i,
                        None if self.endpoints.len() < MAX_ENDPOINTS => {
                            self.endpoints.push(addr);
                            self.conns.push(None);
                            self.endpoints.len() - 1
                        }
                        None => (t + 1) % self.endpoints.len(),
                    };
                    if i == t {
                        // A server naming itself yet refusing: it is between roles.
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    self.target = i;
                    failures_in_a_row = 0;
                }
                Ok(KvResponse::NotLeader { .. }) => {
                    // An election is under way: wait a little, then ask the next server.
                    last_error = format!("{} knows no leader", self.endpoints[t]);
                    failures_in_a_row += 1;
                    tokio::time::sleep(Duration::from_millis(30)).await;
                    self.target = (t + 1) % self.endpoints.len();
                }
                Ok(KvResponse::Unknown { error }) | Ok(KvResponse::Unavailable { error }) => {
                    last_error = format!("{}: {error}", self.endpoints[t]);
                    failures_in_a_row += 1;
                    self.next_target(failures_in_a_row).await;
                }
                Err(_) => {
                    last_error = format!(
                        "{}: unexpected HTTP {status}: {}",
                        self.endpoints[t],
                        String::from_utf8_lossy(&resp)
                            .chars()
                            .take(200)
                            .collect::<String>()
                    );
                    self.conns[t] = None;
                    failures_in_a_row += 1;
                    self.next_target(failures_in_a_row).await;
                }
            }
        }
        Outcome::Unknown(format!(
            "no answer within {} ms (last: {last_error})",
            self.op_timeout.as_millis()
        ))
    }

    async fn next_target(&mut self, failures_in_a_row: usize) {
        self.target = (self.target + 1) % self.endpoints.len();
        if failures_in_a_row >= self.endpoints.len() {
            // Everyone failed once: back off a little rather than spin.
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

/// Standard base64 (RFC 4648, with padding), for etcd's JSON gateway.
pub fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let b = [c[0], *c.get(1).unwrap_or(&0), *c.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if c.len() > 1 {
            T[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if c.len() > 2 {
            T[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    /// A one-shot server that answers with `raw` and records what it got.
    async fn serve_once(raw: &'static [u8]) -> (String, tokio::task::JoinHandle<Vec<u8>>) {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap().to_string();
        let h = tokio::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            let mut got = vec![0u8; 4096];
            let n = s.read(&mut got).await.unwrap();
            s.write_all(raw).await.unwrap();
            got.truncate(n);
            got
        });
        (addr, h)
    }

    #[test]
    fn responses_with_length_or_chunks_are_read_whole() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let (addr, h) =
                serve_once(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello").await;
            let mut c = HttpConn::connect(&addr, Duration::from_secs(1)).await.unwrap();
            let (status, body) = c.request("POST", "/x", b"{}").await.unwrap();
            assert_eq!((status, body.as_slice()), (200, &b"hello"[..]));
            let sent = String::from_utf8(h.await.unwrap()).unwrap();
            assert!(sent.starts_with("POST /x HTTP/1.1\r\n"), "{sent}");
            assert!(sent.contains("Content-Length: 2\r\n"), "{sent}");

            let (addr, _h) = serve_once(
                b"HTTP/1.1 421 Misdirected Request\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
            )
            .await;
            let mut c = HttpConn::connect(&addr, Duration::from_secs(1)).await.unwrap();
            let (status, body) = c.request("GET", "/y", b"").await.unwrap();
            assert_eq!((status, body.as_slice()), (421, &b"abcde"[..]));
        });
    }
}
