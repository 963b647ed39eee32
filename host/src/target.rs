//! A small HTTP server to aim at: `barrage demo` runs against it, the
//! tests count what it receives, and `barrage target` serves it on its own.
//!
//! Routes:
//! - `GET /`: 200 with a short text body.
//! - `GET /status/{code}`: that status.
//! - `GET /delay/{ms}`: 200 after the delay.
//! - `GET /bytes/{n}`: `n` bytes of body.
//! - `POST /echo`: the request body back.
//! - `POST /login`: JSON `{"username", "password"}` to `{"token"}`; 401
//!   when the password is empty.
//! - `GET /items`, `POST /items` (bearer token required): a JSON list, and
//!   201 with the created item.
//! - `GET /count/{name}`: 200, and counts the requests for each `name`.
//! - `GET /redirect/{n}`: a 302 to `/redirect/{n-1}`; at 0, 200.
//! - `GET /cookie/set`: a 302 to `/cookie/check` that sets a cookie;
//!   `GET /cookie/check`: 200 if the request shows it, else 401.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Counts of what the server received.
#[derive(Debug, Default)]
pub struct Counts {
    requests: AtomicU64,
    next_item: AtomicU64,
    named: std::sync::Mutex<std::collections::BTreeMap<String, u64>>,
}

impl Counts {
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Requests to `GET /count/{name}`, by name.
    pub fn named(&self) -> std::collections::BTreeMap<String, u64> {
        self.named.lock().map(|m| m.clone()).unwrap_or_default()
    }
}

/// A running target server; stops when dropped.
#[derive(Debug)]
pub struct Target {
    pub addr: SocketAddr,
    pub counts: Arc<Counts>,
    stop: CancellationToken,
}

impl Target {
    /// Serves on `addr` (port 0 for an ephemeral one) on the current
    /// tokio runtime.
    pub async fn start(addr: SocketAddr) -> std::io::Result<Target> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let counts = Arc::new(Counts::default());
        let stop = CancellationToken::new();
        tokio::spawn(accept_loop(listener, counts.clone(), stop.clone()));
        Ok(Target { addr, counts, stop })
    }

    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn accept_loop(listener: TcpListener, counts: Arc<Counts>, stop: CancellationToken) {
    loop {
        let stream = tokio::select! {
            () = stop.cancelled() => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::debug!(error = %e, "target: accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let (counts, stop) = (counts.clone(), stop.clone());
        tokio::spawn(async move {
            let service = service_fn(move |req| handle(req, counts.clone()));
            let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                () = stop.cancelled() => {}
                _ = conn => {}
            }
        });
    }
}

type Reply = Response<Full<Bytes>>;

async fn handle(req: Request<Incoming>, counts: Arc<Counts>) -> Result<Reply, Infallible> {
    counts.requests.fetch_add(1, Ordering::Relaxed);
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let path = parts.uri.path();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let reply = match (&parts.method, segments.as_slice()) {
        (&Method::GET, [""]) => text(StatusCode::OK, "hello from barrage\n"),
        (_, ["status", code]) => match code
            .parse::<u16>()
            .ok()
            .and_then(|c| StatusCode::from_u16(c).ok())
        {
            Some(status) => text(status, ""),
            None => text(StatusCode::BAD_REQUEST, "bad status\n"),
        },
        (&Method::GET, ["delay", ms]) => match ms.parse::<u64>() {
            Ok(ms) => {
                tokio::time::sleep(Duration::from_millis(ms.min(60_000))).await;
                text(StatusCode::OK, "")
            }
            Err(_) => text(StatusCode::BAD_REQUEST, "bad delay\n"),
        },
        (&Method::GET, ["bytes", n]) => match n.parse::<usize>() {
            Ok(n) => reply(
                StatusCode::OK,
                "application/octet-stream",
                vec![b'x'; n.min(64 << 20)],
            ),
            Err(_) => text(StatusCode::BAD_REQUEST, "bad size\n"),
        },
        (&Method::POST, ["echo"]) => {
            reply(StatusCode::OK, "application/octet-stream", body.to_vec())
        }
        (&Method::POST, ["login"]) => login(&body),
        (&Method::GET, ["count", name]) => {
            if let Ok(mut named) = counts.named.lock() {
                *named.entry((*name).to_owned()).or_default() += 1;
            }
            text(StatusCode::OK, "counted\n")
        }
        (method, ["items"]) => items(method, &parts.headers, &body, &counts),
        (&Method::GET, ["redirect", n]) => match n.parse::<u32>() {
            Ok(0) => text(StatusCode::OK, "arrived\n"),
            Ok(n) => redirect(&format!("/redirect/{}", n - 1)),
            Err(_) => text(StatusCode::BAD_REQUEST, "bad count\n"),
        },
        // Sets a cookie and sends the client where it must show it.
        (&Method::GET, ["cookie", "set"]) => {
            let mut r = redirect("/cookie/check");
            r.headers_mut().insert(
                http::header::SET_COOKIE,
                http::HeaderValue::from_static("session=s3cret; Path=/"),
            );
            r
        }
        (&Method::GET, ["cookie", "check"]) => {
            let shown = parts
                .headers
                .get_all(http::header::COOKIE)
                .iter()
                .any(|v| v.to_str().is_ok_and(|v| v.contains("session=s3cret")));
            if shown {
                text(StatusCode::OK, "welcome back\n")
            } else {
                text(StatusCode::UNAUTHORIZED, "no session cookie\n")
            }
        }
        _ => text(StatusCode::NOT_FOUND, "not found\n"),
    };
    Ok(reply)
}

fn login(body: &[u8]) -> Reply {
    let Ok(creds) = serde_json::from_slice::<serde_json::Value>(body) else {
        return json(
            StatusCode::BAD_REQUEST,
            &serde_json::json!({"error": "expected JSON"}),
        );
    };
    let user = creds["username"].as_str().unwrap_or_default();
    let password = creds["password"].as_str().unwrap_or_default();
    if user.is_empty() || password.is_empty() {
        return json(
            StatusCode::UNAUTHORIZED,
            &serde_json::json!({"error": "bad credentials"}),
        );
    }
    json(
        StatusCode::OK,
        &serde_json::json!({"token": format!("tok-{user}")}),
    )
}

fn items(method: &Method, headers: &http::HeaderMap, body: &[u8], counts: &Counts) -> Reply {
    let authorized = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Bearer tok-"));
    if !authorized {
        return json(
            StatusCode::UNAUTHORIZED,
            &serde_json::json!({"error": "missing token"}),
        );
    }
    match *method {
        Method::GET => json(
            StatusCode::OK,
            &serde_json::json!([{"id": 1, "name": "anvil"}, {"id": 2, "name": "rope"}]),
        ),
        Method::POST => {
            let name = serde_json::from_slice::<serde_json::Value>(body)
                .ok()
                .and_then(|v| v["name"].as_str().map(str::to_owned));
            match name {
                Some(name) => {
                    let id = counts.next_item.fetch_add(1, Ordering::Relaxed) + 3;
                    json(
                        StatusCode::CREATED,
                        &serde_json::json!({"id": id, "name": name}),
                    )
                }
                None => json(
                    StatusCode::BAD_REQUEST,
                    &serde_json::json!({"error": "name missing"}),
                ),
            }
        }
        _ => text(StatusCode::METHOD_NOT_ALLOWED, ""),
    }
}

/// A 302 to `location`, relative to this server.
fn redirect(location: &str) -> Reply {
    let mut r = text(StatusCode::FOUND, "");
    if let Ok(v) = http::HeaderValue::from_str(location) {
        r.headers_mut().insert(http::header::LOCATION, v);
    }
    r
}

fn text(status: StatusCode, body: &'static str) -> Reply {
    reply(status, "text/plain", body.as_bytes().to_vec())
}

fn json(status: StatusCode, value: &serde_json::Value) -> Reply {
    reply(status, "application/json", value.to_string().into_bytes())
}

fn reply(status: StatusCode, content_type: &'static str, body: Vec<u8>) -> Reply {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(content_type),
    );
    r
}
