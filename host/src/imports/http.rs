//! `http`: the guest's requests, sent by the VU's own client and recorded
//! in the built-in `http_req_*` metrics.

use std::sync::Arc;
use std::time::Duration;

use crate::bindings::http::{BodyMode, Host, Request, Response, Timings};
use crate::http::{Outcome, Prepared, VuClient};
use crate::metrics::{Builtin, SampleBuffer};
use crate::vu::{Shared, VuState};

impl Host for VuState {
    async fn send(&mut self, req: Request) -> Response {
        let client = self.client();
        let mut prepared = prepare(req);
        prepared.parsed = self.cached_url(&prepared.url);
        let missed = prepared.parsed.is_none().then(|| prepared.url.clone());
        let (out, parsed) = spawn_send(&self.shared, client, prepared).await;
        if let (Some(url), Some(parsed)) = (missed, parsed) {
            self.remember_url(url, parsed);
        }
        record(&mut self.samples, &out);
        self.flush_if_full();
        response(out)
    }

    async fn batch(&mut self, reqs: Vec<Request>) -> Vec<Response> {
        let client: VuClient = self.client();
        let sends = reqs
            .into_iter()
            .map(|r| spawn_send(&self.shared, client.clone(), prepare(r)));
        let outs = futures_util::future::join_all(sends).await;
        outs.into_iter()
            .map(|(out, _)| {
                record(&mut self.samples, &out);
                response(out)
            })
            .collect()
    }
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

fn prepare(req: Request) -> Prepared {
    Prepared {
        method: req.method,
        url: req.url,
        parsed: None,
        headers: req.headers,
        body: req.body,
        timeout: req
            .timeout_ms
            .map(|ms| Duration::from_millis(u64::from(ms))),
        discard_body: matches!(req.body_mode, BodyMode::Discard),
    }
}

/// The samples of one request, as k6 records them.
fn record(samples: &mut SampleBuffer, out: &Outcome) {
    for hop in &out.redirects {
        record(samples, hop);
    }
    let t = &out.timings;
    samples.add(Builtin::HttpReqs, 1.0);
    samples.add(Builtin::HttpReqDuration, t.duration);
    samples.add(Builtin::HttpReqBlocked, t.blocked);
    samples.add(Builtin::HttpReqConnecting, t.connecting);
    samples.add(Builtin::HttpReqTlsHandshaking, t.tls_handshaking);
    samples.add(Builtin::HttpReqSending, t.sending);
    samples.add(Builtin::HttpReqWaiting, t.waiting);
    samples.add(Builtin::HttpReqReceiving, t.receiving);
    let expected = out.expected();
    samples.add(Builtin::HttpReqFailed, f64::from(u8::from(!expected)));
    if expected {
        samples.add(Builtin::HttpReqDurationExpected, t.duration);
    }
    samples.add(Builtin::DataSent, out.bytes_sent as f64);
    samples.add(Builtin::DataReceived, out.bytes_received as f64);
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
