//! HTTP requests, sent and measured by the host.
//!
//! A scenario never opens a socket: it describes a request with a
//! [`RequestBuilder`] and the host sends it on the VU's own connections,
//! recording every phase in the built-in `http_req_*` metrics. A transport
//! failure (refused, reset, timed out, ...) comes back as a [`Response`]
//! with status 0 and an [`error`](Response::error), never as a panic, so a
//! struggling server shows up in the results instead of stopping the VU.
//!
//! ```no_run
//! use barrage_sdk::http;
//!
//! let res = http::get("http://127.0.0.1:8080/").send();
//! if res.is_transport_error() {
//!     barrage_sdk::log::warn(format!("no response: {}", res.error));
//! }
//! ```

mod request;
mod response;

pub use request::RequestBuilder;
pub use response::{Response, Timings};

use crate::bindings::barrage::scenario::http as host;

/// Starts a `GET` request.
///
/// ```no_run
/// let res = barrage_sdk::http::get("http://127.0.0.1:8080/items").send();
/// ```
pub fn get(url: impl Into<String>) -> RequestBuilder {
    request("GET", url)
}

/// Starts a `POST` request.
///
/// ```no_run
/// let res = barrage_sdk::http::post("http://127.0.0.1:8080/items")
///     .json(&serde_json::json!({ "name": "pen" }))
///     .send();
/// ```
pub fn post(url: impl Into<String>) -> RequestBuilder {
    request("POST", url)
}

/// Starts a `PUT` request.
///
/// ```no_run
/// let res = barrage_sdk::http::put("http://127.0.0.1:8080/items/7").body("pen").send();
/// ```
pub fn put(url: impl Into<String>) -> RequestBuilder {
    request("PUT", url)
}

/// Starts a `PATCH` request.
///
/// ```no_run
/// let res = barrage_sdk::http::patch("http://127.0.0.1:8080/items/7").body("{}").send();
/// ```
pub fn patch(url: impl Into<String>) -> RequestBuilder {
    request("PATCH", url)
}

/// Starts a `DELETE` request.
///
/// ```no_run
/// let res = barrage_sdk::http::delete("http://127.0.0.1:8080/items/7").send();
/// ```
pub fn delete(url: impl Into<String>) -> RequestBuilder {
    request("DELETE", url)
}

/// Starts a `HEAD` request.
///
/// ```no_run
/// let res = barrage_sdk::http::head("http://127.0.0.1:8080/").send();
/// ```
pub fn head(url: impl Into<String>) -> RequestBuilder {
    request("HEAD", url)
}

/// Starts a request with any method; the host sends the method as given.
///
/// ```no_run
/// let res = barrage_sdk::http::request("OPTIONS", "http://127.0.0.1:8080/").send();
/// ```
pub fn request(method: impl Into<String>, url: impl Into<String>) -> RequestBuilder {
    RequestBuilder::new(method.into(), url.into())
}

/// Sends several requests in parallel on the VU's connections and waits for
/// all of them; the responses come back in the order of the requests.
///
/// ```no_run
/// use barrage_sdk::http;
///
/// let base = "http://127.0.0.1:8080";
/// let responses = http::batch([
///     http::get(format!("{base}/items")),
///     http::get(format!("{base}/")),
/// ]);
/// assert_eq!(responses.len(), 2);
/// ```
pub fn batch(requests: impl IntoIterator<Item = RequestBuilder>) -> Vec<Response> {
    // A request that could not even be built is answered here, without the
    // host; the others go out together and are put back in order.
    let mut answers: Vec<Option<Response>> = Vec::new();
    let mut outgoing = Vec::new();
    for request in requests {
        match request.into_host() {
            Ok(request) => {
                outgoing.push(request);
                answers.push(None);
            }
            Err(unsent) => answers.push(Some(unsent.into_response())),
        }
    }
    let mut received = host::batch(&outgoing).into_iter().map(Response::from);
    answers
        .into_iter()
        .map(|answer| {
            answer
                .or_else(|| received.next())
                .unwrap_or_else(Response::missing)
        })
        .collect()
}
