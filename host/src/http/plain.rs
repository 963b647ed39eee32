//! Plain `http://` over HTTP/1.1, written and read by the VU itself.
//!
//! A load test spends most of its requests on plain HTTP/1.1 to a few
//! hosts, and every microsecond the client spends on a request is one the
//! target is not measured in. This path does what a hand-written load
//! generator does: it writes the request into one buffer, sends it with
//! one write, and parses the response head in place with `httparse`, on
//! the VU's own keep-alive connections and in the VU's own task. Because
//! it holds the socket, it also measures what a general-purpose client
//! hides: the time spent writing (`http_req_sending`) and the exact bytes
//! sent and received.
//!
//! HTTPS and HTTP/2 go through reqwest (see `client.rs`); a redirect from
//! here to `https://` is handed over to it. Both paths share the VU's
//! cookie jar.

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use reqwest::Url;
use reqwest::cookie::{CookieStore, Jar};
use reqwest::header::HeaderValue;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::client::Outcome;
use super::error::{code, for_io};
use super::timing::Timings;

/// Response heads past this size are refused, as most servers refuse
/// request heads past 8 to 64 KiB.
const MAX_HEAD: usize = 64 << 10;
/// The most header fields a response may have.
const MAX_HEADERS: usize = 100;
/// Idle connections a VU keeps (more than one only after a `batch`).
const MAX_IDLE: usize = 8;
/// Redirects followed before giving up, as k6's `maxRedirects`.
pub const MAX_REDIRECTS: usize = 10;

/// Where a connection goes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin {
    host: String,
    port: u16,
}

#[derive(Debug)]
struct Conn {
    origin: Origin,
    stream: TcpStream,
}

/// A VU's idle keep-alive connections and cookie jar.
#[derive(Debug, Default)]
pub struct Plain {
    idle: Mutex<Vec<Conn>>,
    pub jar: Arc<Jar>,
}

/// One request on this path, already checked: `url` is `http://`.
#[derive(Debug)]
pub struct Exchange<'a> {
    pub method: &'a str,
    pub url: &'a Url,
    pub headers: &'a [(String, String)],
    pub body: Option<&'a [u8]>,
    pub user_agent: &'a str,
    /// Body bytes kept for the guest.
    pub keep: usize,
}

/// Why an exchange failed, as a k6 code and a message.
#[derive(Debug)]
struct Failure {
    code: u32,
    message: String,
    /// Nothing of a response arrived on a reused connection: the server
    /// had closed it while it was idle, and the request may be retried.
    stale: bool,
}

impl Failure {
    fn new(code: u32, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
            stale: false,
        }
    }

    /// A socket error on an open connection.
    fn io(during: &str, e: &std::io::Error) -> Self {
        Failure::new(for_io(e.kind(), false), format!("{during}: {e}"))
    }
}

/// Instants of one exchange, for k6's phases.
#[derive(Debug, Clone, Copy)]
struct Marks {
    start: Instant,
    dns: Option<(Instant, Instant)>,
    connect: Option<(Instant, Instant)>,
    written: Instant,
    head: Instant,
    end: Instant,
}

impl Marks {
    fn timings(&self) -> Timings {
        let ms = |a: Instant, b: Instant| b.saturating_duration_since(a).as_secs_f64() * 1000.0;
        let mut t = Timings::default();
        let mut ready = self.start;
        if let Some((c0, c1)) = self.connect {
            let dns = self.dns.map_or(0.0, |(d0, d1)| ms(d0, d1));
            t.blocked = (ms(self.start, c0) - dns).max(0.0) + dns;
            t.connecting = ms(c0, c1);
            ready = c1;
        } else {
            t.blocked = 0.0;
        }
        t.sending = ms(ready, self.written);
        t.waiting = ms(self.written, self.head);
        t.receiving = ms(self.head, self.end);
        t.duration = t.sending + t.waiting + t.receiving;
        t
    }
}

impl Plain {
    /// Sends one request and reads its whole response. Redirects are not
    /// followed here; the caller does that.
    pub async fn exchange(&self, x: &Exchange<'_>) -> Outcome {
        let request = match encode(x, self.jar.cookies(x.url)) {
            Ok(r) => r,
            Err(f) => return failed(x.url, f),
        };
        let origin = match origin(x.url) {
            Ok(o) => o,
            Err(f) => return failed(x.url, f),
        };
        let mut marks = Marks {
            start: Instant::now(),
            dns: None,
            connect: None,
            written: Instant::now(),
            head: Instant::now(),
            end: Instant::now(),
        };
        // A pooled connection may have been closed by the server while it
        // was idle; then the request goes once more on a new connection.
        let reused = self.take(&origin);
        let had_idle = reused.is_some();
        let mut result = self.attempt(x, &request, &origin, reused, &mut marks).await;
        if had_idle && matches!(&result, Err(f) if f.stale) {
            marks.start = Instant::now();
            result = self.attempt(x, &request, &origin, None, &mut marks).await;
        }
        let mut out = match result {
            Ok(out) => out,
            Err(f) => {
                let mut out = failed(x.url, f);
                out.bytes_sent = request.len() as u64;
                return out;
            }
        };
        out.timings = marks.timings();
        out
    }

    fn take(&self, origin: &Origin) -> Option<Conn> {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        let i = idle.iter().rposition(|c| &c.origin == origin)?;
        Some(idle.swap_remove(i))
    }

    fn put(&self, conn: Conn) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() >= MAX_IDLE {
            idle.remove(0);
        }
        idle.push(conn);
    }

    async fn attempt(
        &self,
        x: &Exchange<'_>,
        request: &[u8],
        origin: &Origin,
        reused: Option<Conn>,
        marks: &mut Marks,
    ) -> Result<Outcome, Failure> {
        let fresh = reused.is_none();
        let mut conn = match reused {
            Some(c) => c,
            None => dial(origin, marks).await?,
        };
        let stale = |f: Failure| Failure { stale: !fresh, ..f };
        conn.stream
            .write_all(request)
            .await
            .map_err(|e| stale(Failure::io("writing the request", &e)))?;
        marks.written = Instant::now();
        let mut out = Outcome {
            url: x.url.to_string(),
            bytes_sent: request.len() as u64,
            ..Default::default()
        };
        let reusable = read_response(&mut conn.stream, x, &mut out, marks, fresh).await?;
        marks.end = Instant::now();
        self.remember_cookies(x.url, &out);
        if reusable && out.error.is_empty() {
            self.put(conn);
        }
        Ok(out)
    }

    fn remember_cookies(&self, url: &Url, out: &Outcome) {
        let values: Vec<HeaderValue> = out
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .filter_map(|(_, v)| HeaderValue::from_str(v).ok())
            .collect();
        if !values.is_empty() {
            self.jar.set_cookies(&mut values.iter(), url);
        }
    }
}

fn failed(url: &Url, f: Failure) -> Outcome {
    Outcome {
        url: url.to_string(),
        error: f.message,
        error_code: f.code,
        ..Default::default()
    }
}

fn origin(url: &Url) -> Result<Origin, Failure> {
    let host = match url.host() {
        Some(url::Host::Domain(d)) => d.to_owned(),
        Some(url::Host::Ipv4(ip)) => ip.to_string(),
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
        None => {
            return Err(Failure::new(
                code::INVALID_URL,
                format!("`{url}` has no host"),
            ));
        }
    };
    Ok(Origin {
        host,
        port: url.port_or_known_default().unwrap_or(80),
    })
}

async fn dial(origin: &Origin, marks: &mut Marks) -> Result<Conn, Failure> {
    let addr: SocketAddr = match origin.host.parse::<std::net::IpAddr>() {
        Ok(ip) => SocketAddr::new(ip, origin.port),
        Err(_) => {
            let d0 = Instant::now();
            let found = tokio::net::lookup_host((origin.host.as_str(), origin.port))
                .await
                .map_err(|e| {
                    Failure::new(
                        code::DNS,
                        format!("lookup of `{}` failed: {e}", origin.host),
                    )
                })?
                .next();
            marks.dns = Some((d0, Instant::now()));
            found.ok_or_else(|| {
                Failure::new(code::DNS, format!("`{}` has no address", origin.host))
            })?
        }
    };
    let c0 = Instant::now();
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|e| Failure::new(for_io(e.kind(), true), format!("connecting to {addr}: {e}")))?;
    let _ = stream.set_nodelay(true);
    marks.connect = Some((c0, Instant::now()));
    Ok(Conn {
        origin: origin.clone(),
        stream,
    })
}

/// The request line, headers and body, in one buffer.
fn encode(x: &Exchange<'_>, cookies: Option<HeaderValue>) -> Result<Vec<u8>, Failure> {
    let method = x.method;
    if method.is_empty() || !method.bytes().all(is_token) {
        return Err(Failure::new(
            code::GENERIC,
            format!("invalid HTTP method `{method}`"),
        ));
    }
    let body = x.body.unwrap_or_default();
    let mut out = Vec::with_capacity(128 + x.url.as_str().len() + body.len());
    out.extend_from_slice(method.as_bytes());
    out.push(b' ');
    out.extend_from_slice(x.url.path().as_bytes());
    if let Some(q) = x.url.query() {
        out.push(b'?');
        out.extend_from_slice(q.as_bytes());
    }
    out.extend_from_slice(b" HTTP/1.1\r\n");
    let given = |name: &str| x.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(name));
    if !given("host") {
        header(&mut out, "host", x.url.host_str().unwrap_or_default());
        if let Some(port) = x.url.port() {
            out.pop();
            out.pop();
            out.extend_from_slice(format!(":{port}\r\n").as_bytes());
        }
    }
    if !given("user-agent") {
        header(&mut out, "user-agent", x.user_agent);
    }
    if !given("accept") {
        header(&mut out, "accept", "*/*");
    }
    if let Some(c) = cookies
        && let Ok(c) = c.to_str()
    {
        header(&mut out, "cookie", c);
    }
    for (name, value) in x.headers {
        if name.is_empty() || !name.bytes().all(is_token) {
            return Err(Failure::new(
                code::GENERIC,
                format!("invalid header name `{name}`"),
            ));
        }
        if value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
            return Err(Failure::new(
                code::GENERIC,
                format!("invalid value for header `{name}`"),
            ));
        }
        header(&mut out, name, value);
    }
    if (x.body.is_some() || matches!(method, "POST" | "PUT" | "PATCH")) && !given("content-length")
    {
        header(&mut out, "content-length", &body.len().to_string());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    Ok(out)
}

fn header(out: &mut Vec<u8>, name: &str, value: &str) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// RFC 9110's `tchar`.
fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// How the body of a response ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    None,
    Length(u64),
    Chunked,
    Close,
}

/// Reads a response into `out`; returns whether the connection may be
/// used again.
async fn read_response(
    stream: &mut TcpStream,
    x: &Exchange<'_>,
    out: &mut Outcome,
    marks: &mut Marks,
    fresh: bool,
) -> Result<bool, Failure> {
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let mut first = true;
    // Heads of interim (1xx) responses are read and skipped; what is
    // already in the buffer is parsed before reading more.
    let (head_len, framing, keep_alive) = loop {
        if !buf.is_empty() {
            match parse_head(&buf, x.method, out)? {
                Some((len, _, _)) if (100..200).contains(&out.status) && out.status != 101 => {
                    buf.drain(..len);
                    out.headers.clear();
                    continue;
                }
                Some(head) => break head,
                None if buf.len() > MAX_HEAD => {
                    return Err(Failure::new(
                        code::GENERIC,
                        format!("the response head is longer than {MAX_HEAD} bytes"),
                    ));
                }
                None => {}
            }
        }
        let n = read_more(stream, &mut buf).await.map_err(|e| Failure {
            stale: !fresh && first && is_closed(&e),
            ..Failure::io("reading the response", &e)
        })?;
        if n == 0 {
            return Err(Failure {
                stale: !fresh && first,
                ..Failure::new(
                    code::TCP,
                    if first {
                        "the server closed the connection without a response"
                    } else {
                        "the server closed the connection in the middle of the response head"
                    },
                )
            });
        }
        if first {
            marks.head = Instant::now();
            first = false;
        }
        out.bytes_received += n as u64;
    };
    out.error_code = code::for_status(out.status);
    let mut body = Body {
        keep: x.keep,
        kept: Vec::new(),
    };
    buf.drain(..head_len);
    let complete = match framing {
        Framing::None => Ok(true),
        Framing::Length(n) => read_length(stream, buf, n, &mut body, out).await,
        Framing::Chunked => read_chunked(stream, buf, &mut body, out).await,
        Framing::Close => read_to_close(stream, buf, &mut body, out)
            .await
            .map(|()| false),
    };
    out.body = body.kept;
    match complete {
        Ok(complete) => Ok(complete && keep_alive),
        // The head arrived: the guest sees its status beside the error.
        Err(f) => {
            (out.error_code, out.error) = (f.code, f.message);
            Ok(false)
        }
    }
}

fn is_closed(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe
    )
}

/// Reads what the socket has into the spare room of `buf`.
async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<usize> {
    if buf.capacity() - buf.len() < 1024 {
        buf.reserve(buf.capacity().max(4096));
    }
    stream.read_buf(buf).await
}

/// Parses a complete head into `out`: its length, the body's framing and
/// whether the connection stays open. `None` while the head is partial.
fn parse_head(
    buf: &[u8],
    method: &str,
    out: &mut Outcome,
) -> Result<Option<(usize, Framing, bool)>, Failure> {
    // Left uninitialised: httparse writes the fields it finds, and zeroing
    // room for a hundred on every response costs more than parsing.
    let mut fields =
        [const { std::mem::MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
    let mut res = httparse::Response::new(&mut []);
    let len = match httparse::ParserConfig::default().parse_response_with_uninit_headers(
        &mut res,
        buf,
        &mut fields,
    ) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => {
            return Err(Failure::new(
                code::GENERIC,
                format!("malformed HTTP response: {e}"),
            ));
        }
    };
    let status = res.code.unwrap_or(0);
    let http10 = res.version == Some(0);
    out.status = status;
    out.proto = if http10 { "HTTP/1.0" } else { "HTTP/1.1" };
    let mut length = None;
    let mut chunked = false;
    let mut close = http10;
    out.headers.clear();
    out.headers.reserve(res.headers.len());
    for h in res.headers.iter() {
        let value = String::from_utf8_lossy(h.value).into_owned();
        if h.name.eq_ignore_ascii_case("content-length") {
            length = Some(value.trim().parse::<u64>().map_err(|_| {
                Failure::new(code::GENERIC, format!("malformed content-length `{value}`"))
            })?);
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = has_token(h.value, "chunked");
        } else if h.name.eq_ignore_ascii_case("connection") {
            if has_token(h.value, "close") {
                close = true;
            } else if has_token(h.value, "keep-alive") {
                close = false;
            }
        }
        out.headers.push((h.name.to_ascii_lowercase(), value));
    }
    // After 101 the connection speaks another protocol.
    close |= status == 101;
    let framing = if method == "HEAD" || status == 204 || status == 304 || status < 200 {
        Framing::None
    } else if chunked {
        Framing::Chunked
    } else if let Some(n) = length {
        Framing::Length(n)
    } else {
        Framing::Close
    };
    Ok(Some((len, framing, !close)))
}

/// Whether a comma-separated header value lists `token`, in any case.
fn has_token(value: &[u8], token: &str) -> bool {
    value
        .split(|&b| b == b',')
        .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
}

/// The part of a body the guest gets.
struct Body {
    keep: usize,
    kept: Vec<u8>,
}

impl Body {
    fn take(&mut self, bytes: &[u8]) {
        let room = self.keep.saturating_sub(self.kept.len());
        self.kept.extend_from_slice(&bytes[..room.min(bytes.len())]);
    }
}

fn cut_short() -> Failure {
    Failure::new(
        code::TCP,
        "the server closed the connection in the middle of the body",
    )
}

/// Reads more of the body into `buf`, counting it; `false` at the end of
/// the stream.
async fn read_body(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    out: &mut Outcome,
) -> Result<bool, Failure> {
    let n = read_more(stream, buf)
        .await
        .map_err(|e| Failure::io("reading the body", &e))?;
    out.bytes_received += n as u64;
    Ok(n > 0)
}

async fn read_length(
    stream: &mut TcpStream,
    mut buf: Vec<u8>,
    length: u64,
    body: &mut Body,
    out: &mut Outcome,
) -> Result<bool, Failure> {
    let mut left = length;
    loop {
        let have = (buf.len() as u64).min(left) as usize;
        body.take(&buf[..have]);
        left -= have as u64;
        if left == 0 {
            // Bytes past the body would be a response nobody asked for.
            return Ok(buf.len() == have);
        }
        buf.clear();
        if !read_body(stream, &mut buf, out).await? {
            return Err(cut_short());
        }
    }
}

async fn read_to_close(
    stream: &mut TcpStream,
    mut buf: Vec<u8>,
    body: &mut Body,
    out: &mut Outcome,
) -> Result<(), Failure> {
    loop {
        body.take(&buf);
        buf.clear();
        if !read_body(stream, &mut buf, out).await? {
            return Ok(());
        }
    }
}

async fn read_chunked(
    stream: &mut TcpStream,
    mut buf: Vec<u8>,
    body: &mut Body,
    out: &mut Outcome,
) -> Result<bool, Failure> {
    let mut decoder = Chunks::default();
    loop {
        let used = decoder.feed(&buf, body)?;
        buf.drain(..used);
        if decoder.done() {
            return Ok(buf.is_empty());
        }
        if !read_body(stream, &mut buf, out).await? {
            return Err(cut_short());
        }
    }
}

/// A chunked transfer-coding decoder that takes input as it arrives.
#[derive(Debug, Default)]
struct Chunks {
    state: ChunkState,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum ChunkState {
    /// Expecting a size line.
    #[default]
    Size,
    /// Inside a chunk's data, with this many bytes left.
    Data(u64),
    /// Expecting the CRLF after a chunk's data.
    DataEnd,
    /// After the last chunk, expecting trailer lines or the final CRLF.
    Trailer,
    Done,
}

impl Chunks {
    fn done(&self) -> bool {
        self.state == ChunkState::Done
    }

    /// Decodes what it can of `input` into `body`; returns the bytes used.
    fn feed(&mut self, input: &[u8], body: &mut Body) -> Result<usize, Failure> {
        let bad =
            |what: &str| Failure::new(code::GENERIC, format!("malformed chunked body: {what}"));
        let mut at = 0;
        loop {
            let rest = &input[at..];
            match self.state {
                ChunkState::Done => return Ok(at),
                ChunkState::Data(left) => {
                    if rest.is_empty() {
                        return Ok(at);
                    }
                    let n = (rest.len() as u64).min(left) as usize;
                    body.take(&rest[..n]);
                    at += n;
                    self.state = if left == n as u64 {
                        ChunkState::DataEnd
                    } else {
                        ChunkState::Data(left - n as u64)
                    };
                }
                ChunkState::DataEnd => {
                    if rest.len() < 2 {
                        return Ok(at);
                    }
                    if &rest[..2] != b"\r\n" {
                        return Err(bad("no line break after a chunk"));
                    }
                    at += 2;
                    self.state = ChunkState::Size;
                }
                ChunkState::Size | ChunkState::Trailer => {
                    let Some(end) = rest.windows(2).position(|w| w == b"\r\n") else {
                        if rest.len() > 4096 {
                            return Err(bad("a line longer than 4096 bytes"));
                        }
                        return Ok(at);
                    };
                    let line = &rest[..end];
                    at += end + 2;
                    if self.state == ChunkState::Trailer {
                        if line.is_empty() {
                            self.state = ChunkState::Done;
                        }
                        continue;
                    }
                    let digits = line.split(|&b| b == b';').next().unwrap_or_default();
                    let digits = std::str::from_utf8(digits).map_err(|_| bad("a size"))?;
                    let size = u64::from_str_radix(digits.trim(), 16)
                        .map_err(|_| bad(&format!("size `{}`", digits.trim())))?;
                    self.state = if size == 0 {
                        ChunkState::Trailer
                    } else {
                        ChunkState::Data(size)
                    };
                }
            }
        }
    }
}

/// Where a redirect leads, if `out` is one that should be followed.
pub fn redirect_target(url: &Url, out: &Outcome) -> Option<Url> {
    if !matches!(out.status, 301 | 302 | 303 | 307 | 308) || !out.error.is_empty() {
        return None;
    }
    let location = out.headers.iter().find(|(k, _)| k == "location")?;
    url.join(&location.1).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(parts: &[&[u8]]) -> Result<(Vec<u8>, bool), String> {
        let mut chunks = Chunks::default();
        let mut body = Body {
            keep: usize::MAX,
            kept: Vec::new(),
        };
        let mut pending = Vec::new();
        for part in parts {
            pending.extend_from_slice(part);
            let used = chunks.feed(&pending, &mut body).map_err(|f| f.message)?;
            pending.drain(..used);
        }
        Ok((body.kept, chunks.done()))
    }

    #[test]
    fn chunked_bodies_decode_across_any_split() {
        let whole: &[u8] = b"5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nx-trailer: 1\r\n\r\n";
        for cut in 0..whole.len() {
            let (a, b) = whole.split_at(cut);
            assert_eq!(
                decode(&[a, b]),
                Ok((b"hello, world".to_vec(), true)),
                "cut at {cut}"
            );
        }
        // One byte at a time.
        let bytes: Vec<&[u8]> = whole.chunks(1).collect();
        assert_eq!(decode(&bytes), Ok((b"hello, world".to_vec(), true)));
    }

    #[test]
    fn malformed_chunks_are_errors() {
        assert!(
            decode(&[b"zz\r\nhello\r\n"])
                .unwrap_err()
                .contains("size `zz`")
        );
        assert!(
            decode(&[b"2\r\nhiX\r\n"])
                .unwrap_err()
                .contains("no line break")
        );
        assert_eq!(decode(&[b"5\r\nhel"]), Ok((b"hel".to_vec(), false)));
    }

    fn exchange<'a>(url: &'a Url, headers: &'a [(String, String)]) -> Exchange<'a> {
        Exchange {
            method: "POST",
            url,
            headers,
            body: Some(b"{}"),
            user_agent: "barrage/test",
            keep: 0,
        }
    }

    #[test]
    fn requests_are_encoded_once_with_the_defaults_the_guest_did_not_set() {
        let url = Url::parse("http://127.0.0.1:8080/items?page=2").unwrap();
        let headers = vec![("Accept".to_owned(), "application/json".to_owned())];
        let bytes = encode(&exchange(&url, &headers), None).unwrap();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "POST /items?page=2 HTTP/1.1\r\nhost: 127.0.0.1:8080\r\nuser-agent: barrage/test\r\n\
             Accept: application/json\r\ncontent-length: 2\r\n\r\n{}"
        );
        let bad = vec![("x".to_owned(), "a\r\nb".to_owned())];
        assert!(encode(&exchange(&url, &bad), None).is_err());
        let bad = vec![("a b".to_owned(), "c".to_owned())];
        assert!(encode(&exchange(&url, &bad), None).is_err());
    }

    #[test]
    fn heads_give_status_framing_and_keep_alive() {
        let mut out = Outcome::default();
        let head = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
        let (len, framing, keep) = parse_head(head, "GET", &mut out).unwrap().unwrap();
        assert_eq!(
            (len, framing, keep),
            (head.len() - 5, Framing::Length(5), true)
        );
        assert_eq!(out.headers, [("content-length".to_owned(), "5".to_owned())]);
        let head = b"HTTP/1.0 200 OK\r\n\r\n";
        let (_, framing, keep) = parse_head(head, "GET", &mut out).unwrap().unwrap();
        assert_eq!((framing, keep), (Framing::Close, false));
        let head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
        let (_, framing, keep) = parse_head(head, "GET", &mut out).unwrap().unwrap();
        assert_eq!((framing, keep), (Framing::Chunked, false));
        let head = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n";
        let (_, framing, keep) = parse_head(head, "GET", &mut out).unwrap().unwrap();
        assert_eq!((framing, keep), (Framing::None, false));
        let head = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
        let (_, framing, _) = parse_head(head, "HEAD", &mut out).unwrap().unwrap();
        assert_eq!(framing, Framing::None);
        assert!(
            parse_head(b"HTTP/1.1 200 OK\r\nConte", "GET", &mut out)
                .unwrap()
                .is_none()
        );
        assert!(parse_head(b"garbage\r\n\r\n", "GET", &mut out).is_err());
    }
}
