//! Building a request: the k6 `params` object as a Rust builder.

use std::time::Duration;

use serde::Serialize;

use super::Response;
use super::host::{self, BodyMode};

/// A request being described; [`send`](RequestBuilder::send) sends it.
///
/// Start one with [`http::get`](super::get) and friends. Every method
/// takes and returns the builder, so a request reads as one expression.
///
/// ```no_run
/// use std::time::Duration;
/// use barrage_sdk::http;
///
/// let res = http::post("http://127.0.0.1:8080/items")
///     .header("Authorization", "Bearer abc")
///     .json(&serde_json::json!({ "name": "pen" }))
///     .timeout(Duration::from_secs(5))
///     .tag("flow", "create")
///     .send();
/// ```
#[derive(Debug, Clone)]
#[must_use = "a request is only sent by `send` or `http::batch`"]
pub struct RequestBuilder {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    timeout_ms: Option<u32>,
    name: Option<String>,
    tags: Vec<(String, String)>,
    body_mode: BodyMode,
    // A mistake found while building (a body that would not serialise),
    // reported by `send` as a failed response rather than a panic.
    problem: Option<String>,
}

impl RequestBuilder {
    pub(super) fn new(method: String, url: String) -> Self {
        RequestBuilder {
            method,
            url,
            headers: Vec::new(),
            body: None,
            timeout_ms: None,
            name: None,
            tags: Vec::new(),
            body_mode: BodyMode::Keep,
            problem: None,
        }
    }

    /// Adds a header field. Fields are sent in the order added; adding a
    /// name twice sends it twice.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the body: a `&str`, `String`, `&[u8]` or `Vec<u8>`.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// Sets the body to `value` as JSON and the `Content-Type` to
    /// `application/json`, replacing any set before.
    ///
    /// If `value` cannot be serialised, [`send`](Self::send) returns a
    /// failed response (status 0) naming the problem, without sending.
    pub fn json(mut self, value: &impl Serialize) -> Self {
        match serde_json::to_vec(value) {
            Ok(body) => self.body = Some(body),
            Err(err) => self.problem = Some(format!("cannot encode the JSON body: {err}")),
        }
        self.headers
            .retain(|(name, _)| !name.eq_ignore_ascii_case("content-type"));
        self.headers
            .push(("Content-Type".into(), "application/json".into()));
        self
    }

    /// Limits the whole request, from sending to the last byte of the body;
    /// the host's default is 60 s. Rounded up to whole milliseconds.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        let millis = timeout.as_nanos().div_ceil(1_000_000);
        self.timeout_ms = Some(u32::try_from(millis).unwrap_or(u32::MAX));
        self
    }

    /// Names the request in the metrics, in place of its URL: requests to
    /// URLs that differ only in ids then share one name, as with k6's
    /// `name` tag.
    ///
    /// ```no_run
    /// let id = 42;
    /// let res = barrage_sdk::http::get(format!("http://127.0.0.1:8080/items/{id}"))
    ///     .name("/items/{id}")
    ///     .send();
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Adds a tag to this request's samples. A later tag with the same name
    /// replaces an earlier one.
    pub fn tag(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.tags.push((name.into(), value.into()));
        self
    }

    /// Reads and counts the response body but does not return it: saves
    /// copying bodies the scenario never looks at.
    pub fn discard_body(mut self) -> Self {
        self.body_mode = BodyMode::Discard;
        self
    }

    /// Sends the request and waits for the whole response.
    ///
    /// Never panics on a network problem: see [`Response::is_transport_error`].
    pub fn send(self) -> Response {
        match self.into_host() {
            Ok(request) => Response::from(host::send(&request)),
            Err(unsent) => unsent.into_response(),
        }
    }

    pub(super) fn into_host(self) -> Result<host::Request, Unsent> {
        if let Some(problem) = self.problem {
            return Err(Unsent {
                url: self.url,
                problem,
            });
        }
        Ok(host::Request {
            method: self.method,
            url: self.url,
            headers: self.headers,
            body: self.body,
            timeout_ms: self.timeout_ms,
            name: self.name,
            tags: self.tags,
            body_mode: self.body_mode,
        })
    }
}

/// A request that failed before it could be handed to the host.
#[derive(Debug)]
pub(super) struct Unsent {
    url: String,
    problem: String,
}

impl Unsent {
    /// The failed response that stands for the request, as for a transport
    /// error.
    pub(super) fn into_response(self) -> Response {
        Response::not_sent(self.url, self.problem)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn built(request: RequestBuilder) -> host::Request {
        match request.into_host() {
            Ok(request) => request,
            Err(unsent) => panic!("request not built: {}", unsent.problem),
        }
    }

    #[test]
    fn json_replaces_the_content_type() {
        let request = built(
            RequestBuilder::new("POST".into(), "http://x/".into())
                .header("content-type", "text/plain")
                .json(&[1, 2]),
        );
        assert_eq!(
            request.headers,
            [("Content-Type".into(), "application/json".into())]
        );
        assert_eq!(request.body.as_deref(), Some(&b"[1,2]"[..]));
    }

    #[test]
    fn timeout_rounds_up_to_whole_milliseconds() {
        let request =
            |timeout| built(RequestBuilder::new("GET".into(), "u".into()).timeout(timeout));
        assert_eq!(request(Duration::from_micros(1)).timeout_ms, Some(1));
        assert_eq!(request(Duration::from_millis(1500)).timeout_ms, Some(1500));
        assert_eq!(request(Duration::MAX).timeout_ms, Some(u32::MAX));
    }

    #[test]
    fn a_body_that_cannot_be_encoded_fails_without_sending() {
        let bad = std::collections::HashMap::from([((1, 2), "key is not a string")]);
        let request = RequestBuilder::new("POST".into(), "http://x/".into()).json(&bad);
        let Err(unsent) = request.into_host() else {
            panic!("a map with tuple keys encoded as JSON");
        };
        let response = unsent.into_response();
        assert_eq!(response.status, 0);
        assert!(
            response.error.starts_with("cannot encode the JSON body"),
            "{}",
            response.error
        );
    }
}
