//! A VU's HTTP client and the measured exchange of one request.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use reqwest::{Method, Version};

use reqwest::Url;

use super::allow::Allowlist;
use super::error::{classify, code};
use super::plain::{Exchange, MAX_REDIRECTS, Plain, redirect_target};
use super::timing::{PhaseClock, TimedConnectLayer, TimedResolver, TimedSessions, Timings};

/// Settings shared by every VU's client.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Whole-request timeout when the request names none (k6: 60 s).
    pub timeout: Duration,
    /// Bytes of a response body kept for the guest; the rest is read,
    /// counted and dropped.
    pub max_body: usize,
    pub user_agent: String,
    pub tls: rustls::ClientConfig,
    /// The hosts requests may go to, fixed once the options are known.
    pub allow: Arc<OnceLock<Allowlist>>,
}

impl HttpConfig {
    pub fn new() -> Self {
        HttpConfig {
            timeout: Duration::from_secs(60),
            max_body: 16 << 20,
            user_agent: format!("barrage/{}", env!("CARGO_PKG_VERSION")),
            tls: tls_config(),
            allow: Arc::default(),
        }
    }

    /// The hosts requests may go to; all until the options say.
    pub fn allowlist(&self) -> &Allowlist {
        static ALL: Allowlist = Allowlist::all();
        self.allow.get().unwrap_or(&ALL)
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self::new()
    }
}

/// TLS with ring and the Mozilla roots, built once: every VU's client
/// shares the parsed root store instead of holding its own copy.
pub fn tls_config() -> rustls::ClientConfig {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    match rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
    {
        Ok(builder) => builder.with_root_certificates(roots).with_no_client_auth(),
        // ring supports every default protocol version; this arm is a guard.
        Err(_) => rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    }
}

/// A request as the guest described it.
#[derive(Debug, Clone, Default)]
pub struct Prepared {
    pub method: String,
    pub url: String,
    /// `url` already parsed, when the caller had it at hand.
    pub parsed: Option<reqwest::Url>,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    pub timeout: Option<Duration>,
    pub discard_body: bool,
}

/// What happened to a request: a response, a failure, or both (a body that
/// broke off after its head).
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub status: u16,
    pub url: String,
    pub proto: &'static str,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub error: String,
    pub error_code: u32,
    pub timings: Timings,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    /// The redirects that led here, each a request of its own, in order.
    pub redirects: Vec<Outcome>,
}

impl Outcome {
    pub(super) fn failed(url: String, error_code: u32, error: String) -> Self {
        Outcome {
            url,
            error,
            error_code,
            ..Default::default()
        }
    }

    /// k6's default expected statuses: 200 to 399.
    pub fn expected(&self) -> bool {
        self.error.is_empty() && (200..400).contains(&self.status)
    }
}

/// The method of the request a redirect with `status` leads to, as
/// browsers do it: 303, and 301/302 after a POST, become a GET.
pub fn method_after(method: &str, status: u16) -> &str {
    if status == 303 || (matches!(status, 301 | 302) && method == "POST") {
        "GET"
    } else {
        method
    }
}

/// One VU's client: its own connections and cookie jar.
#[derive(Debug, Clone, Default)]
pub struct VuClient {
    /// Plain HTTP/1.1, and the cookie jar both paths share.
    plain: Arc<Plain>,
    /// HTTPS and HTTP/2, made on the VU's first such request: a VU that
    /// only speaks plain HTTP never pays for it.
    reqwest: Arc<OnceLock<Result<reqwest::Client, String>>>,
}

impl VuClient {
    pub fn new() -> Self {
        Self::default()
    }

    fn reqwest(&self, config: &HttpConfig) -> Result<&reqwest::Client, String> {
        let made = self.reqwest.get_or_init(|| {
            let mut tls = config.tls.clone();
            tls.resumption = rustls::client::Resumption::store(Arc::new(TimedSessions::new()));
            reqwest::Client::builder()
                .tls_backend_preconfigured(tls)
                .dns_resolver(TimedResolver)
                .connector_layer(TimedConnectLayer)
                .cookie_provider(self.plain.jar.clone())
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy()
                .user_agent(config.user_agent.clone())
                .build()
                .map_err(|e| format!("cannot start the HTTPS client: {e}"))
        });
        made.as_ref().map_err(Clone::clone)
    }

    /// Sends a request and reads its whole response. Never fails: a
    /// transport error is an [`Outcome`] with status 0 and an error.
    ///
    /// Redirects are followed as k6 does, up to [`MAX_REDIRECTS`]: each
    /// hop is a request of its own, in [`Outcome::redirects`]. Plain HTTP
    /// goes over the VU's own HTTP/1.1 connections, HTTPS through reqwest.
    pub async fn send(&self, config: &HttpConfig, mut req: Prepared) -> Outcome {
        if req.parsed.is_none() {
            req.parsed = Url::parse(&req.url).ok();
        }
        let Some(mut url) = req.parsed.take() else {
            // reqwest reports what is wrong with the URL.
            return Box::pin(self.send_reqwest(config, req)).await;
        };
        let timeout = req.timeout.unwrap_or(config.timeout);
        let keep = if req.discard_body { 0 } else { config.max_body };
        let mut method = req.method;
        let mut body = req.body;
        let mut hops = Vec::new();
        loop {
            if let Some(why) = config.allowlist().refuse(&url) {
                let mut out = Outcome::failed(url.to_string(), code::BLOCKED_HOST, why);
                out.redirects = hops;
                return out;
            }
            let mut out = if url.scheme() == "http" {
                let exchange = Exchange {
                    method: &method,
                    url: &url,
                    headers: &req.headers,
                    body: body.as_deref(),
                    user_agent: &config.user_agent,
                    keep,
                };
                match tokio::time::timeout(timeout, self.plain.exchange(&exchange)).await {
                    Ok(out) => out,
                    Err(_) => Outcome::failed(
                        url.to_string(),
                        code::TIMEOUT,
                        format!("request timeout after {}", crate::duration::format(timeout)),
                    ),
                }
            } else {
                let hop = Prepared {
                    method: method.clone(),
                    url: url.to_string(),
                    parsed: Some(url.clone()),
                    headers: req.headers.clone(),
                    body: body.clone(),
                    timeout: req.timeout,
                    discard_body: req.discard_body,
                };
                // Boxed: reqwest's future is large, and a future is built
                // on the stack of whoever creates it.
                Box::pin(self.send_reqwest(config, hop)).await
            };
            let next = match redirect_target(&url, &out) {
                Some(next) if hops.len() < MAX_REDIRECTS => next,
                _ => {
                    out.redirects = hops;
                    return out;
                }
            };
            // A 303 also drops the body of a GET.
            if out.status == 303 || method_after(&method, out.status) != method {
                method = "GET".into();
                body = None;
            }
            hops.push(out);
            url = next;
        }
    }

    /// One HTTPS or HTTP/2 exchange through reqwest; `send` follows the
    /// redirects.
    async fn send_reqwest(&self, config: &HttpConfig, req: Prepared) -> Outcome {
        let method = match Method::from_bytes(req.method.as_bytes()) {
            Ok(m) => m,
            Err(_) => {
                let msg = format!("invalid HTTP method `{}`", req.method);
                return Outcome::failed(req.url, code::GENERIC, msg);
            }
        };
        let client = match self.reqwest(config) {
            Ok(c) => c,
            Err(msg) => return Outcome::failed(req.url, code::GENERIC, msg),
        };
        let builder = match req.parsed {
            Some(url) => client.request(method, url),
            None => client.request(method, req.url.as_str()),
        };
        let mut builder = builder.timeout(req.timeout.unwrap_or(config.timeout));
        for (name, value) in &req.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some(body) = req.body {
            builder = builder.body(body);
        }
        let request = match builder.build() {
            Ok(r) => r,
            Err(e) => {
                let msg = format!("invalid request to `{}`: {}", req.url, classify(&e).1);
                return Outcome::failed(req.url, code::INVALID_URL, msg);
            }
        };
        let bytes_sent = request_size(&request, &config.user_agent);
        let keep = if req.discard_body { 0 } else { config.max_body };
        let clock = Arc::new(PhaseClock::default());
        let start = Instant::now();
        let (mut out, head) = clock.scope(exchange(client, request, &req.url, keep)).await;
        let end = Instant::now();
        out.bytes_sent = bytes_sent;
        out.timings = Timings::split(start, clock.phases(), head.unwrap_or(end), end);
        out
    }
}

/// The outcome and the instant its head arrived, if it did.
async fn exchange(
    client: &reqwest::Client,
    request: reqwest::Request,
    url: &str,
    keep: usize,
) -> (Outcome, Option<Instant>) {
    let mut response = match client.execute(request).await {
        Ok(r) => r,
        Err(e) => {
            let (code, msg) = classify(&e);
            return (Outcome::failed(url.to_owned(), code, msg), None);
        }
    };
    let head = Instant::now();
    let status = response.status().as_u16();
    let mut out = Outcome {
        status,
        url: response.url().to_string(),
        proto: proto(response.version()),
        headers: response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into(),
                )
            })
            .collect(),
        error_code: code::for_status(status),
        ..Default::default()
    };
    out.bytes_received = head_size(&out);
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                out.bytes_received += chunk.len() as u64;
                let room = keep.saturating_sub(out.body.len());
                out.body.extend_from_slice(&chunk[..room.min(chunk.len())]);
            }
            Ok(None) => break,
            Err(e) => {
                let (code, msg) = classify(&e);
                (out.error_code, out.error) = (code, msg);
                break;
            }
        }
    }
    (out, Some(head))
}

fn proto(v: Version) -> &'static str {
    match v {
        Version::HTTP_09 => "HTTP/0.9",
        Version::HTTP_10 => "HTTP/1.0",
        Version::HTTP_11 => "HTTP/1.1",
        Version::HTTP_2 => "HTTP/2.0",
        Version::HTTP_3 => "HTTP/3.0",
        _ => "HTTP",
    }
}

/// The size of the request on the wire in HTTP/1.1 terms: request line,
/// headers and body, counting the `host`, `user-agent` and `accept`
/// headers that the client adds after this point. reqwest does not show
/// the bytes it writes, so this is an estimate for HTTP/2.
fn request_size(req: &reqwest::Request, user_agent: &str) -> u64 {
    let url = req.url();
    let target = url.path().len() + url.query().map_or(0, |q| q.len() + 1);
    let line = req.method().as_str().len() + target + 12;
    let headers: usize = req
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum();
    let host = url.host_str().map_or(0, str::len) + url.port().map_or(0, |_| 6);
    let added = (6 + host + 2) + (12 + user_agent.len() + 2) + "accept: */*\r\n".len();
    let body = req.body().and_then(|b| b.as_bytes()).map_or(0, <[u8]>::len);
    (line + headers + added + body + 2) as u64
}

fn head_size(out: &Outcome) -> u64 {
    let headers: usize = out.headers.iter().map(|(k, v)| k.len() + v.len() + 4).sum();
    (17 + headers + 2) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// CPU seconds this process has used (user + system).
    fn cpu_seconds() -> f64 {
        let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
        // Fields after the command name, which is in parentheses.
        let fields: Vec<&str> = stat
            .rsplit(')')
            .next()
            .unwrap_or("")
            .split_whitespace()
            .collect();
        let ticks = |i: usize| {
            fields
                .get(i)
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        (ticks(11) + ticks(12)) / 100.0
    }

    /// The HTTP stack alone, without WebAssembly: 50 clients looping on
    /// `BARRAGE_BENCH_URL` for 5 s. Compare with `bench/http.sh` to see how
    /// much of a request's CPU is the client's. Run with
    /// `BARRAGE_BENCH_URL=http://127.0.0.1:18080/ cargo test -p barrage --release
    /// client_alone -- --ignored --nocapture` while nginx from `bench/` runs;
    /// `BARRAGE_BENCH_FLAVOR=current` runs it on one single-threaded runtime
    /// instead of a two-thread work-stealing one.
    #[test]
    #[ignore = "a measurement, not a check"]
    fn client_alone() {
        let rt = if std::env::var("BARRAGE_BENCH_FLAVOR").as_deref() == Ok("current") {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
        } else {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
        }
        .expect("runtime");
        rt.block_on(client_alone_body());
    }

    async fn client_alone_body() {
        let Ok(url) = std::env::var("BARRAGE_BENCH_URL") else {
            return;
        };
        let config = Arc::new(HttpConfig::new());
        let deadline = Instant::now() + Duration::from_secs(5);
        let cpu = cpu_seconds();
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let (config, url) = (config.clone(), url.clone());
                tokio::spawn(async move {
                    let client = VuClient::new();
                    let mut n = 0u64;
                    while Instant::now() < deadline {
                        let req = Prepared {
                            method: "GET".into(),
                            url: url.clone(),
                            ..Default::default()
                        };
                        client.send(&config, req).await;
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        let mut total = 0;
        for t in tasks {
            total += t.await.expect("task");
        }
        let used = cpu_seconds() - cpu;
        println!(
            "{} req/s, {:.4} CPU-s per 1k requests",
            total / 5,
            used / total as f64 * 1000.0
        );
    }

    /// A request's future is made on the stack of its caller, a VU's
    /// fiber, and every page of that stack a VU ever touches stays with
    /// it: the future must stay small, with anything large boxed.
    #[test]
    fn a_request_future_is_small() {
        let config = HttpConfig::new();
        let client = VuClient::new();
        let send = client.send(&config, Prepared::default());
        let size = std::mem::size_of_val(&send);
        assert!(size <= 4096, "a request's future takes {size} bytes");
    }

    /// HTTPS goes through reqwest, whose client is made on first use.
    #[tokio::test]
    async fn https_requests_go_through_reqwest() {
        let config = HttpConfig::new();
        let client = VuClient::new();
        assert!(client.reqwest.get().is_none());
        let req = Prepared {
            method: "GET".into(),
            url: "https://127.0.0.1:9/".into(),
            ..Default::default()
        };
        let out = client.send(&config, req).await;
        assert_eq!(
            (out.status, out.error_code),
            (0, code::REFUSED),
            "{}",
            out.error
        );
        assert!(client.reqwest.get().is_some_and(Result::is_ok));
        // Plain HTTP does not.
        let plain = VuClient::new();
        let req = Prepared {
            method: "GET".into(),
            url: "http://127.0.0.1:9/".into(),
            ..Default::default()
        };
        let out = plain.send(&config, req).await;
        assert_eq!(
            (out.status, out.error_code),
            (0, code::REFUSED),
            "{}",
            out.error
        );
        assert!(plain.reqwest.get().is_none());
    }

    /// A redirect from plain HTTP to HTTPS crosses to reqwest, and both
    /// hops are recorded.
    #[tokio::test]
    async fn a_redirect_to_https_is_a_second_request_through_reqwest() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.expect("accept");
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf).await;
            let reply = "HTTP/1.1 302 Found\r\nlocation: https://127.0.0.1:9/secure\r\n\
                         content-length: 0\r\n\r\n";
            let _ = stream.write_all(reply.as_bytes()).await;
        });
        let config = HttpConfig::new();
        let client = VuClient::new();
        let req = Prepared {
            method: "GET".into(),
            url: format!("http://{addr}/start"),
            ..Default::default()
        };
        let out = client.send(&config, req).await;
        assert_eq!(out.redirects.len(), 1);
        assert_eq!(out.redirects[0].status, 302);
        assert_eq!(out.url, "https://127.0.0.1:9/secure");
        assert_eq!(
            (out.status, out.error_code),
            (0, code::REFUSED),
            "{}",
            out.error
        );
        assert!(client.reqwest.get().is_some());
    }

    /// What one VU's client costs before it connects anywhere, and once
    /// its reqwest client for HTTPS is made. Run with
    /// `cargo test -p barrage --release client_cost -- --ignored --nocapture`.
    #[test]
    #[ignore = "a measurement, not a check"]
    fn client_cost() {
        let config = HttpConfig::new();
        let before = crate::measure::rss_kib();
        let clients: Vec<_> = (0..5000).map(|_| VuClient::new()).collect();
        let plain = crate::measure::rss_kib();
        for c in &clients {
            c.reqwest(&config).expect("reqwest client");
        }
        let after = crate::measure::rss_kib();
        let n = clients.len() as u64;
        println!(
            "{} KiB per client, {} KiB more with reqwest's",
            (plain - before) / n,
            (after - plain) / n
        );
    }
}
