//! What the VU's own HTTP/1.1 client does beyond a GET: redirects counted
//! hop by hop, cookies kept across requests, bytes counted exactly, and a
//! keep-alive connection the server closed while it was idle.

use std::sync::atomic::Ordering;
use std::time::Duration;

use barrage_tests::{Server, barrage, counting_raw_server, export, guest, metric, scratch};

const LIMIT: Duration = Duration::from_secs(60);

fn misbehave(target: &str, iterations: &str, out: &std::path::Path) -> barrage_tests::Run {
    let wasm = guest("misbehave");
    let target = format!("TARGET={target}");
    barrage(
        &[
            "run",
            wasm.to_str().unwrap(),
            "-q",
            "-e",
            &target,
            "--iterations",
            iterations,
            "--summary-export",
            out.to_str().unwrap(),
        ],
        LIMIT,
    )
}

#[test]
fn every_redirect_hop_is_a_request_of_its_own() {
    let server = Server::start();
    let out = scratch("redirects.json");
    let run = misbehave(&format!("{}redirect/3", server.url()), "2", &out);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = export(&out);
    // Three 302s and the 200, twice.
    assert_eq!(metric(&json, "http_reqs", "count"), 8.0);
    assert_eq!(server.requests(), 8);
    // The guest sees where it arrived.
    assert_eq!(json["root_group"]["checks"]["status is 200"]["passes"], 2);
    // A 302 is an expected response, not a failure.
    assert_eq!(metric(&json, "http_req_failed", "passes"), 0.0);
}

#[test]
fn a_cookie_set_by_one_response_goes_with_the_next_request() {
    let server = Server::start();
    let out = scratch("cookies.json");
    // `/cookie/set` sets a cookie and redirects to `/cookie/check`, which
    // answers 401 unless the cookie came back.
    let run = misbehave(&format!("{}cookie/set", server.url()), "3", &out);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = export(&out);
    assert_eq!(metric(&json, "http_reqs", "count"), 6.0);
    assert_eq!(server.requests(), 6);
    let checks = &json["root_group"]["checks"]["status is 200"];
    assert_eq!(checks["passes"], 3, "{checks:#}");
}

#[test]
fn bytes_on_the_wire_are_counted_exactly_and_a_closed_idle_connection_is_replaced() {
    // The server answers once per connection and closes it without saying
    // so: each next request finds its kept-alive connection closed and
    // must go again on a new one, unseen by the guest.
    const REPLY: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello";
    let (url, read) = counting_raw_server(REPLY, 4);
    let out = scratch("bytes.json");
    let run = misbehave(&url, "4", &out);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = export(&out);
    assert_eq!(metric(&json, "http_reqs", "count"), 4.0);
    assert_eq!(json["root_group"]["checks"]["status is 200"]["passes"], 4);
    assert_eq!(
        metric(&json, "data_received", "count"),
        (4 * REPLY.len()) as f64
    );
    assert_eq!(
        metric(&json, "data_sent", "count"),
        read.load(Ordering::SeqCst) as f64
    );
}

#[test]
fn chunked_close_delimited_and_interim_responses_are_read_whole() {
    const REPLIES: [&[u8]; 4] = [
        concat!(
            "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n",
            "5\r\nhello\r\n6;x=y\r\n world\r\n0\r\n\r\n"
        )
        .as_bytes(),
        b"HTTP/1.0 200 OK\r\ncontent-type: text/plain\r\n\r\nread until the server closes",
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok",
        // Two interim heads and the final one, all in one read.
        concat!(
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n",
            "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"
        )
        .as_bytes(),
    ];
    for (i, reply) in REPLIES.into_iter().enumerate() {
        let (url, _) = counting_raw_server(reply, 2);
        let out = scratch(&format!("framing-{i}.json"));
        let run = misbehave(&url, "2", &out);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let json = export(&out);
        let checks = &json["root_group"]["checks"]["status is 200"];
        assert_eq!(checks["passes"], 2, "reply {i}: {checks:#}");
        assert_eq!(metric(&json, "http_req_failed", "passes"), 0.0, "reply {i}");
        assert_eq!(
            metric(&json, "data_received", "count"),
            (2 * reply.len()) as f64,
            "reply {i}"
        );
    }
}
