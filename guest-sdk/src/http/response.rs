//! What came back: status, headers, body and the host's timings.

use std::borrow::Cow;

use serde::de::DeserializeOwned;

use super::host;
use crate::{Error, Result};

/// k6's code for an error that fits no narrower class.
const GENERIC_ERROR_CODE: u32 = 1000;

/// The answer to one request, or the reason there was none.
///
/// When no response arrived, `status` is 0, `proto` is empty and `error`
/// and `error_code` say why; the request still counts in the metrics.
///
/// ```no_run
/// use barrage_sdk::http;
///
/// # fn run() -> barrage_sdk::Result<()> {
/// #[derive(serde::Deserialize)]
/// struct Item { id: u64, name: String }
///
/// let res = http::get("http://127.0.0.1:8080/items").send();
/// let items: Vec<Item> = res.error_for_status()?.json()?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// HTTP status; 0 when no response arrived.
    pub status: u16,
    /// The URL of the last request, after redirects.
    pub url: String,
    /// `HTTP/1.1`, `HTTP/2.0`, or empty when no response arrived.
    pub proto: String,
    /// Header fields as received, in order; names may repeat.
    pub headers: Vec<(String, String)>,
    /// The body, up to the host's size cap; empty when the request asked
    /// for [`discard_body`](super::RequestBuilder::discard_body).
    pub body: Vec<u8>,
    /// What went wrong, empty on success.
    pub error: String,
    /// k6's error code: 1000 generic, 1020 invalid URL, 1050 timeout, 1100
    /// DNS, 1200 TCP, 1211 dial timeout, 1212 refused, 1220 reset, 1300
    /// TLS, 1600 HTTP/2; 1000 + status for a 4xx or 5xx response; 0
    /// otherwise.
    pub error_code: u32,
    /// How long each phase took.
    pub timings: Timings,
}

/// The phases of one request in milliseconds, with k6's meanings.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Timings {
    /// Waiting for a free connection.
    pub blocked: f64,
    /// Establishing the TCP connection.
    pub connecting: f64,
    /// The TLS handshake.
    pub tls_handshaking: f64,
    /// Writing the request.
    pub sending: f64,
    /// From the request sent to the first byte of the response.
    pub waiting: f64,
    /// Reading the response.
    pub receiving: f64,
    /// `sending + waiting + receiving`: what `http_req_duration` records.
    pub duration: f64,
}

impl Response {
    /// The body as text; invalid UTF-8 is replaced, not an error.
    pub fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    /// Parses the body as JSON into `T`.
    ///
    /// ```no_run
    /// # fn run() -> barrage_sdk::Result<()> {
    /// let res = barrage_sdk::http::get("http://127.0.0.1:8080/items").send();
    /// let items: serde_json::Value = res.json()?;
    /// # Ok(()) }
    /// ```
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|err| {
            Error::new(format!(
                "the body from `{}` is not the expected JSON: {err}",
                self.url
            ))
        })
    }

    /// The first value of the header `name`, which is matched ignoring case.
    ///
    /// ```no_run
    /// let res = barrage_sdk::http::get("http://127.0.0.1:8080/").send();
    /// let kind = res.header("content-type").unwrap_or("");
    /// ```
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Every value of the header `name`, in order, matched ignoring case.
    pub fn header_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Whether no response arrived at all (status 0): the connection was
    /// refused or reset, the request timed out, or it was never sent.
    pub fn is_transport_error(&self) -> bool {
        self.status == 0
    }

    /// Passes a 2xx response through and turns anything else into an
    /// [`Error`] naming the URL and the status or transport error, for use
    /// with `?`.
    ///
    /// ```no_run
    /// # fn run() -> barrage_sdk::Result<()> {
    /// let res = barrage_sdk::http::get("http://127.0.0.1:8080/").send().error_for_status()?;
    /// # Ok(()) }
    /// ```
    pub fn error_for_status(self) -> Result<Self> {
        if self.is_success() {
            Ok(self)
        } else if self.is_transport_error() {
            Err(Error::new(format!(
                "request to `{}` failed: {}",
                self.url, self.error
            )))
        } else {
            Err(Error::new(format!(
                "`{}` answered with status {}",
                self.url, self.status
            )))
        }
    }

    /// A response for a request that failed before it reached the host.
    pub(super) fn not_sent(url: String, error: String) -> Self {
        Response {
            status: 0,
            url,
            proto: String::new(),
            headers: Vec::new(),
            body: Vec::new(),
            error,
            error_code: GENERIC_ERROR_CODE,
            timings: Timings::default(),
        }
    }

    /// Stands in for a response the host should have returned but did not.
    pub(super) fn missing() -> Self {
        Response::not_sent(
            String::new(),
            "the host returned no response for this request".into(),
        )
    }
}

impl From<host::Response> for Response {
    fn from(response: host::Response) -> Self {
        let t = response.timings;
        Response {
            status: response.status,
            url: response.url,
            proto: response.proto,
            headers: response.headers,
            body: response.body,
            error: response.error,
            error_code: response.error_code,
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_headers(headers: &[(&str, &str)]) -> Response {
        let mut response = Response::not_sent("http://x/".into(), String::new());
        response.status = 200;
        response.headers = crate::owned_tags(headers);
        response
    }

    #[test]
    fn header_names_match_ignoring_case() {
        let response = with_headers(&[("Set-Cookie", "a=1"), ("set-cookie", "b=2")]);
        assert_eq!(response.header("SET-COOKIE"), Some("a=1"));
        assert_eq!(
            response.header_all("set-cookie").collect::<Vec<_>>(),
            ["a=1", "b=2"]
        );
        assert_eq!(response.header("content-type"), None);
    }

    #[test]
    fn error_for_status_names_the_url_and_status() {
        let mut response = with_headers(&[]);
        response.status = 503;
        let Err(error) = response.error_for_status() else {
            panic!("a 503 passed as success");
        };
        assert_eq!(error.message(), "`http://x/` answered with status 503");
    }
}
