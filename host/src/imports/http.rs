//! `http`: the guest's requests, sent by the VU's own client and recorded
//! in the built-in `http_req_*` metrics.

use std::sync::Arc;
use std::time::Duration;

use crate::bindings::http::{BodyMode, Host, Request, Response, Timings};
use crate::http::{Outcome, Prepared, VuClient};
use crate::metrics::{
    Builtin, SampleBuffer, SystemTag, SystemTags, TagList, TagSetId, number_text,
};
use crate::vu::{Shared, VuState};

impl Host for VuState {
    async fn send(&mut self, req: Request) -> Response {
        let client = self.client();
        let (mut prepared, tags) = prepare(req);
        prepared.parsed = self.cached_url(&prepared.url);
        let missed = prepared.parsed.is_none().then(|| prepared.url.clone());
        self.pause_clock();
        let (out, parsed) = spawn_send(&self.shared, client, prepared).await;
        self.resume_clock();
        if let (Some(url), Some(parsed)) = (missed, parsed) {
            self.remember_url(url, parsed);
        }
        record(self, &tags, &out);
        self.flush_if_full();
        response(out)
    }

    async fn batch(&mut self, reqs: Vec<Request>) -> Vec<Response> {
        let client: VuClient = self.client();
        let (prepared, tags): (Vec<_>, Vec<_>) = reqs.into_iter().map(prepare).unzip();
        let shared = self.shared.clone();
        let sends = prepared
            .into_iter()
            .map(|r| spawn_send(&shared, client.clone(), r));
        self.pause_clock();
        let outs = futures_util::future::join_all(sends).await;
        self.resume_clock();
        let responses = outs
            .into_iter()
            .zip(&tags)
            .map(|((out, _), tags)| {
                record(self, tags, &out);
                response(out)
            })
            .collect();
        self.flush_if_full();
        responses
    }
}

/// What a request's samples are tagged with besides what its response
/// tells: the method it was sent with, its `name`, and the guest's tags.
pub(super) struct RequestTags {
    pub method: String,
    pub name: Option<String>,
    pub own: Vec<(String, String)>,
}

/// Sends a request on its own task; returns the outcome and the URL, if
/// the task had to parse it. The exchange's futures are deep, and so is
/// URL parsing (IDNA): run on the VU's fiber they would leave every
/// sleeping VU with kilobytes more of touched stack, for good. On a task
/// of their own they cost heap only while the request is in flight.
async fn spawn_send(
    shared: &Arc<Shared>,
    client: VuClient,
    mut req: Prepared,
) -> (Outcome, Option<reqwest::Url>) {
    let shared = shared.clone();
    // Boxed, so that only a pointer is moved through tokio's spawn.
    let task = tokio::spawn(Box::pin(async move {
        let parsed = match req.parsed {
            Some(_) => None,
            None => {
                let parsed = reqwest::Url::parse(&req.url).ok();
                req.parsed.clone_from(&parsed);
                parsed
            }
        };
        (client.send(&shared.http, req).await, parsed)
    }));
    match task.await {
        Ok(done) => done,
        // Only a panic in the HTTP stack gets here; the URL went with it.
        Err(e) => {
            let out = Outcome {
                error: format!("the request task failed: {e}"),
                error_code: crate::http::code::GENERIC,
                ..Default::default()
            };
            (out, None)
        }
    }
}

fn prepare(req: Request) -> (Prepared, RequestTags) {
    let tags = RequestTags {
        method: req.method.clone(),
        name: req.name,
        own: req.tags,
    };
    let prepared = Prepared {
        method: req.method,
        url: req.url,
        parsed: None,
        headers: req.headers,
        body: req.body,
        timeout: req
            .timeout_ms
            .map(|ms| Duration::from_millis(u64::from(ms))),
        discard_body: matches!(req.body_mode, BodyMode::Discard),
    };
    (prepared, tags)
}

/// The samples of one request, each redirect hop a request of its own,
/// as k6 records them.
fn record(vu: &mut VuState, req: &RequestTags, out: &Outcome) {
    let at = vu.shared.clock.now();
    let mut method = req.method.as_str();
    for hop in &out.redirects {
        record_one(vu, method, req, hop, at);
        method = crate::http::method_after(method, hop.status);
    }
    record_one(vu, method, req, out, at);
}

fn record_one(vu: &mut VuState, method: &str, req: &RequestTags, out: &Outcome, at: u64) {
    let on = vu.shared.tag_config().system;
    let tags = vu.tag_set(
        None,
        |list| system_tags(list, on, method, req, out),
        &req.own,
    );
    add_samples(&mut vu.samples, tags, at, out);
}

/// The `http_req_*` samples of one exchange, with its tag set.
pub(super) fn add_samples(samples: &mut SampleBuffer, tags: TagSetId, at: u64, out: &Outcome) {
    let expected = out.expected();
    let t = &out.timings;
    let mut add = |metric: Builtin, value: f64| samples.add(metric, tags, at, value);
    add(Builtin::HttpReqs, 1.0);
    add(Builtin::HttpReqDuration, t.duration);
    add(Builtin::HttpReqBlocked, t.blocked);
    add(Builtin::HttpReqConnecting, t.connecting);
    add(Builtin::HttpReqTlsHandshaking, t.tls_handshaking);
    add(Builtin::HttpReqSending, t.sending);
    add(Builtin::HttpReqWaiting, t.waiting);
    add(Builtin::HttpReqReceiving, t.receiving);
    add(Builtin::HttpReqFailed, f64::from(u8::from(!expected)));
    add(Builtin::DataSent, out.bytes_sent as f64);
    add(Builtin::DataReceived, out.bytes_received as f64);
}

/// Adds the system tags of one request, those the run records.
pub(super) fn system_tags<'a>(
    list: &mut TagList<'a>,
    system: SystemTags,
    method: &'a str,
    req: &'a RequestTags,
    out: &'a Outcome,
) {
    let on = |tag| system.has(tag);
    if on(SystemTag::Method) {
        list.set("method", method);
    }
    if on(SystemTag::Url) {
        list.set("url", &out.url);
    }
    if on(SystemTag::Name) {
        list.set("name", req.name.as_deref().unwrap_or(&out.url));
    }
    if on(SystemTag::Status) {
        list.set("status", number_text(u32::from(out.status)));
    }
    if on(SystemTag::Proto) && !out.proto.is_empty() {
        list.set("proto", out.proto);
    }
    if on(SystemTag::ExpectedResponse) {
        list.set(
            "expected_response",
            if out.expected() { "true" } else { "false" },
        );
    }
    if on(SystemTag::Error) && !out.error.is_empty() {
        list.set("error", &out.error);
    }
    if on(SystemTag::ErrorCode) && out.error_code != 0 {
        list.set("error_code", number_text(out.error_code));
    }
}

fn response(out: Outcome) -> Response {
    let t = out.timings;
    Response {
        status: out.status,
        url: out.url,
        proto: out.proto.to_owned(),
        headers: out.headers,
        body: out.body,
        error: out.error,
        error_code: out.error_code,
        timings: Timings {
            blocked: t.blocked,
            connecting: t.connecting,
            tls_handshaking: t.tls_handshaking,
            sending: t.sending,
            waiting: t.waiting,
            receiving: t.receiving,
            duration: t.duration,
        },
    }
}
