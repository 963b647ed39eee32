//! A guest that fails, traps, spins or hogs memory fails its iteration,
//! not the run; a server that refuses fails the request, not the VU.

use std::time::Duration;

use barrage_tests::{Server, barrage, export, guest, metric, raw_server, scratch};

const LIMIT: Duration = Duration::from_secs(60);

fn misbehave(env: &[&str], extra: &[&str], out: &std::path::Path) -> barrage_tests::Run {
    let wasm = guest("misbehave");
    let mut args = vec![
        "run",
        wasm.to_str().unwrap(),
        "-q",
        "--summary-export",
        out.to_str().unwrap(),
    ];
    for e in env {
        args.extend(["-e", e]);
    }
    args.extend(extra);
    barrage(&args, LIMIT)
}

#[test]
fn trapping_iterations_are_counted_and_the_run_completes() {
    let server = Server::start();
    let out = scratch("trap.json");
    let target = format!("TARGET={}", server.url());
    let run = misbehave(&[&target, "TRAP_EVERY=3"], &["--iterations", "9"], &out);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = export(&out);
    assert_eq!(metric(&json, "iterations", "count"), 9.0);
    assert_eq!(metric(&json, "iterations_failed", "count"), 3.0);
    assert_eq!(metric(&json, "http_reqs", "count"), 9.0);
    assert_eq!(server.requests(), 9);
    assert!(
        run.stderr.contains("iteration failed: the guest trapped"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("planned trap"),
        "the guest's panic message is shown: {}",
        run.stderr
    );
}

#[test]
fn failing_iterations_are_counted() {
    let out = scratch("fail.json");
    let run = misbehave(&["FAIL_EVERY=2"], &["--iterations", "10"], &out);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = export(&out);
    assert_eq!(metric(&json, "iterations", "count"), 10.0);
    assert_eq!(metric(&json, "iterations_failed", "count"), 5.0);
    assert!(run.stderr.contains("planned failure"), "{}", run.stderr);
}

#[test]
fn a_refused_connection_is_a_failed_request_with_an_error_code() {
    // Bind, learn the port, and close it again: nothing listens there now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = scratch("refused.json");
    let target = format!("TARGET=http://127.0.0.1:{port}/");
    let run = misbehave(
        &[&target, "EXPECT_ERROR_CODE=1212"],
        &["--iterations", "4"],
        &out,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = export(&out);
    assert_eq!(metric(&json, "http_reqs", "count"), 4.0);
    assert_eq!(metric(&json, "http_req_failed", "passes"), 4.0);
    let checks = &json["root_group"]["checks"];
    assert_eq!(checks["status is 200"]["fails"], 4);
    assert_eq!(checks["error code is 1212"]["passes"], 4, "{checks:#}");
    // A failed request is the guest's to judge, not a failed iteration.
    assert!(
        json["metrics"]["iterations_failed"].is_null(),
        "{}",
        run.stderr
    );
}

#[test]
fn a_stalled_server_times_the_request_out_with_code_1050() {
    let server = Server::start();
    let out = scratch("stall.json");
    let target = format!("TARGET={}delay/5000", server.url());
    let env = [target.as_str(), "TIMEOUT_MS=200", "EXPECT_ERROR_CODE=1050"];
    let run = misbehave(&env, &["--iterations", "3"], &out);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = export(&out);
    assert_eq!(metric(&json, "http_req_failed", "passes"), 3.0);
    assert_eq!(
        json["root_group"]["checks"]["error code is 1050"]["passes"],
        3
    );
    // Three 200 ms timeouts, not three 5 s waits (15 s), with room for a
    // slow start.
    assert!(run.took < Duration::from_secs(10), "took {:?}", run.took);
    assert_eq!(server.requests(), 3);
}

#[test]
fn a_spinning_guest_is_interrupted_at_graceful_stop() {
    let out = scratch("spin.json");
    let options = concat!(
        r#"OPTIONS={"scenarios":{"s":{"executor":"constant-vus","#,
        r#""vus":2,"duration":"1s","gracefulStop":"0s"}}}"#
    );
    let run = misbehave(&["SPIN=1", options], &[], &out);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("0 complete and 2 interrupted iterations"),
        "{}",
        run.stdout
    );
    assert!(run.took < Duration::from_secs(20), "took {:?}", run.took);
}

#[test]
fn a_guest_that_eats_memory_fails_its_iteration() {
    let out = scratch("hog.json");
    // A small cap, so that the guest reaches it in a moment.
    let run = misbehave(
        &["HOG=1"],
        &["--iterations", "2", "--max-vu-memory", "32MiB"],
        &out,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = export(&out);
    assert_eq!(metric(&json, "iterations_failed", "count"), 2.0);
    assert!(run.took < Duration::from_secs(20), "took {:?}", run.took);
}

#[test]
fn setup_data_reaches_every_vu() {
    let out = scratch("setup.json");
    let run = misbehave(
        &["SETUP_DATA=token-42"],
        &["--vus", "3", "--iterations", "6"],
        &out,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(metric(&export(&out), "iterations", "count"), 6.0);
}

#[test]
fn lifecycle_failures_exit_107_with_the_guests_message() {
    for (env, expected) in [
        ("ERR_IN=setup", "setup() failed: planned failure in setup"),
        ("TRAP_IN=setup", "setup() failed: the guest trapped"),
        ("ERR_IN=init", "init failed: planned failure in init"),
        ("TRAP_IN=init", "init failed: the guest trapped"),
        (
            "ERR_IN=teardown",
            "teardown() failed: planned failure in teardown",
        ),
        ("BAD_METRIC=1", "invalid metric name `bad name!`"),
    ] {
        let out = scratch("lifecycle.json");
        let run = misbehave(&[env], &["--iterations", "2"], &out);
        assert_eq!(run.code, 107, "{env}: {}", run.stderr);
        assert!(run.stderr.contains(expected), "{env}: {}", run.stderr);
        assert!(
            !run.stderr.contains("thread '"),
            "{env}: the host panicked: {}",
            run.stderr
        );
        assert!(out.exists(), "{env}: the summary is still exported");
    }
}

#[test]
fn a_server_that_sends_garbage_fails_the_request_not_the_vu() {
    let url = raw_server(b"this is not HTTP\r\n\r\n", 3);
    let out = scratch("garbage.json");
    let target = format!("TARGET={url}");
    let run = misbehave(
        &[&target, "EXPECT_ERROR_CODE=1000"],
        &["--iterations", "3"],
        &out,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = export(&out);
    assert_eq!(metric(&json, "http_req_failed", "passes"), 3.0);
    assert_eq!(
        json["root_group"]["checks"]["error code is 1000"]["passes"],
        3
    );
    assert!(
        json["metrics"]["iterations_failed"].is_null(),
        "{}",
        run.stderr
    );
}

#[test]
fn a_body_cut_short_is_a_tcp_error_with_code_1200() {
    let reply = b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\nonly ten b";
    let url = raw_server(reply, 3);
    let out = scratch("cut.json");
    let target = format!("TARGET={url}");
    // The server closes cleanly before the promised length: an unexpected
    // end of stream is a TCP-level failure (a reset would be 1220).
    let run = misbehave(
        &[&target, "EXPECT_ERROR_CODE=1200"],
        &["--iterations", "3"],
        &out,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = export(&out);
    assert_eq!(metric(&json, "http_req_failed", "passes"), 3.0);
    let checks = &json["root_group"]["checks"];
    assert_eq!(checks["error code is 1200"]["passes"], 3, "{checks:#}");
    // The head arrived, so the guest still sees the status.
    assert_eq!(checks["status is 200"]["passes"], 3, "{checks:#}");
}

#[test]
fn a_guest_that_overflows_its_stack_fails_its_iteration() {
    let out = scratch("recurse.json");
    let run = misbehave(&["RECURSE=1"], &["--iterations", "3"], &out);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = export(&out);
    assert_eq!(metric(&json, "iterations_failed", "count"), 3.0);
    assert!(
        run.stderr.contains("call stack exhausted"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_endless_body_is_cut_off_by_the_request_timeout() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    // A chunked body that never ends, for each of two connections, until
    // the client goes away (or 20 s pass).
    std::thread::spawn(move || {
        for stream in listener.incoming().take(2) {
            let Ok(mut stream) = stream else { continue };
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n");
            let chunk = format!("{:x}\r\n{}\r\n", 64 << 10, "x".repeat(64 << 10));
            let until = std::time::Instant::now() + Duration::from_secs(20);
            while std::time::Instant::now() < until && stream.write_all(chunk.as_bytes()).is_ok() {}
        }
    });
    let out = scratch("endless.json");
    let target = format!("TARGET={url}");
    let env = [target.as_str(), "TIMEOUT_MS=1000", "EXPECT_ERROR_CODE=1050"];
    let run = misbehave(&env, &["--iterations", "2"], &out);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = export(&out);
    assert_eq!(metric(&json, "http_req_failed", "passes"), 2.0);
    let checks = &json["root_group"]["checks"];
    assert_eq!(checks["error code is 1050"]["passes"], 2, "{checks:#}");
    assert!(run.took < Duration::from_secs(15), "took {:?}", run.took);
}
