//! Standard `wasi:http`, for scenarios that use their language's own HTTP
//! client (JavaScript's `fetch()`, for one) instead of the SDK.
//!
//! Every outgoing request goes through the VU's own instrumented client,
//! the one behind the `http` interface: the same connections, cookie jar,
//! allowlist, timeouts and redirects, and the same `http_req_*` samples
//! with the same tags. Only the plumbing differs: `wasi:http` sends on a
//! task of its own while the guest polls, so the samples wait in a buffer
//! the VU takes at its next flush.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use wasmtime_wasi_http::{
    Error as HttpError, RequestOptions, WasiBody, WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks,
    WasiHttpView,
};

use super::http::{RequestTags, add_samples, system_tags};
use crate::executor::Scenario;
use crate::http::{Outcome, Prepared, VuClient, code, method_after};
use crate::metrics::{SampleBuffer, TagList};
use crate::vu::{Shared, VuState, base_tags};

/// A VU's side of `wasi:http`: what a request sent on its own task needs
/// to know about the VU, refreshed whenever the guest reaches for
/// `wasi:http`.
pub struct StandardHttp {
    ctx: WasiHttpCtx,
    hooks: Hooks,
}

/// What a request sent on its own task takes along.
struct Hooks {
    client: Option<VuClient>,
    shared: Arc<Shared>,
    scenario: Option<Arc<Scenario>>,
    group: Arc<str>,
    /// Samples of finished requests, for the VU's next flush.
    finished: Arc<Mutex<SampleBuffer>>,
}

impl StandardHttp {
    pub fn new(shared: Arc<Shared>) -> Self {
        StandardHttp {
            ctx: WasiHttpCtx::new(),
            hooks: Hooks {
                client: None,
                shared,
                scenario: None,
                group: Arc::from(""),
                finished: Arc::default(),
            },
        }
    }

    /// Moves the samples of requests finished since the last call into
    /// `into`.
    pub fn take_finished(&self, into: &mut SampleBuffer) {
        let mut finished = self
            .hooks
            .finished
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if !finished.is_empty() {
            into.extend(&finished);
            finished.clear();
        }
    }
}

impl WasiHttpView for VuState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        let client = self.client();
        let group = self.groups.last().map_or("", |(path, _)| path.as_str());
        let StandardHttp { ctx, hooks: std } = &mut self.standard_http;
        if std.client.is_none() {
            std.client = Some(client);
        }
        if *std.group != *group {
            std.group = Arc::from(group);
        }
        let same = match (&std.scenario, &self.scenario) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        };
        if !same {
            std.scenario.clone_from(&self.scenario);
        }
        WasiHttpCtxView {
            ctx,
            table: &mut self.table,
            hooks: std,
        }
    }
}

type Sent = Result<
    (
        http::Response<WasiBody>,
        Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ),
    HttpError,
>;

impl WasiHttpHooks for Hooks {
    /// Our client writes `Host` itself, from the URL.
    fn set_host_header(&mut self) -> bool {
        false
    }

    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> Box<dyn Future<Output = Sent> + Send> {
        let client = self.client.clone().unwrap_or_default();
        let shared = self.shared.clone();
        let scenario = self.scenario.clone();
        let group = self.group.clone();
        let finished = self.finished.clone();
        Box::new(async move {
            let (parts, body) = request.into_parts();
            let body = body.collect().await?.to_bytes();
            let headers = parts
                .headers
                .iter()
                .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
                .collect();
            let method = parts.method.as_str().to_owned();
            let prepared = Prepared {
                method: method.clone(),
                url: parts.uri.to_string(),
                parsed: None,
                headers,
                body: (!body.is_empty()).then(|| body.to_vec()),
                timeout: options.and_then(|o| o.first_byte_timeout),
                discard_body: false,
            };
            let out = client.send(&shared.http, prepared).await;
            let tags = RequestTags {
                method,
                name: None,
                own: Vec::new(),
            };
            let mut samples = SampleBuffer::default();
            record(
                &shared,
                scenario.as_deref(),
                &group,
                &tags,
                &out,
                &mut samples,
            );
            finished
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend(&samples);
            let io: Box<dyn Future<Output = Result<(), HttpError>> + Send> =
                Box::new(async { Ok(()) });
            Ok((response(out)?, io))
        })
    }
}

/// Records each hop of an exchange, as the `http` interface does.
fn record(
    shared: &Shared,
    scenario: Option<&Scenario>,
    group: &str,
    req: &RequestTags,
    out: &Outcome,
    samples: &mut SampleBuffer,
) {
    let at = shared.clock.now();
    let system = shared.tag_config().system;
    let mut method = req.method.as_str();
    for hop in out.redirects.iter().chain(std::iter::once(out)) {
        let mut list = TagList::default();
        base_tags(shared, scenario, Some(group), &mut list);
        system_tags(&mut list, system, method, req, hop);
        let tags = shared.tag_sets.intern(&mut list);
        add_samples(samples, tags, at, hop);
        method = method_after(method, hop.status);
    }
}

/// The guest's response, or the `wasi:http` error for a failed exchange.
fn response(out: Outcome) -> Result<http::Response<WasiBody>, HttpError> {
    if out.status == 0 {
        return Err(error(&out));
    }
    let mut builder = http::Response::builder().status(out.status);
    for (name, value) in &out.headers {
        builder = builder.header(name, value);
    }
    let body = Full::new(Bytes::from(out.body))
        .map_err(|never| match never {})
        .boxed_unsync();
    builder
        .body(body)
        .map_err(|e| HttpError::InternalError(Some(e.to_string())))
}

/// The `wasi:http` error code closest to an exchange's k6 error code.
fn error(out: &Outcome) -> HttpError {
    match out.error_code {
        code::INVALID_URL => HttpError::HttpRequestUriInvalid,
        code::TIMEOUT => HttpError::HttpResponseTimeout,
        code::DNS => HttpError::DnsError {
            rcode: None,
            info_code: None,
        },
        code::BLOCKED_HOST => HttpError::HttpRequestDenied,
        code::DIAL_TIMEOUT => HttpError::ConnectionTimeout,
        code::REFUSED => HttpError::ConnectionRefused,
        code::TCP | code::BROKEN_PIPE | code::DIAL | code::RESET => HttpError::ConnectionTerminated,
        code::TLS => HttpError::TlsProtocolError,
        code::HTTP2 => HttpError::HttpProtocolError,
        _ => HttpError::InternalError(Some(out.error.clone())),
    }
}
