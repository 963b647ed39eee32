//! The sandbox's limits through the real binary: `--allow-host` keeps
//! requests (and their redirects) on the hosts named, and
//! `--max-iteration-cpu` stops a guest that runs its own code too long
//! without stopping one that only waits.

use std::time::Duration;

use barrage_tests::{Server, metric, run_against};

#[test]
fn requests_to_other_hosts_fail_with_code_1111() {
    let server = Server::start();
    // Only another port of the same address is allowed.
    let (run, json) = run_against(
        "misbehave",
        &server,
        &[
            "--iterations",
            "4",
            "-e",
            "EXPECT_ERROR_CODE=1111",
            "--allow-host",
            "127.0.0.1:1",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(server.requests(), 0, "no request may reach the server");
    assert_eq!(metric(&json, "http_req_failed", "passes"), 4.0);
    let check = &json["root_group"]["checks"]["error code is 1111"];
    assert_eq!(check["passes"], 4, "{json:#}");

    // The server's own host and port are allowed.
    let port = server
        .url()
        .rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches('/')
        .to_owned();
    let allowed = format!("127.0.0.1:{port}");
    let (run, json) = run_against(
        "misbehave",
        &server,
        &["--iterations", "4", "--allow-host", &allowed],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(server.requests(), 4);
    assert_eq!(metric(&json, "http_req_failed", "passes"), 0.0);
}

#[test]
fn a_redirect_to_another_host_is_refused_too() {
    let target = Server::start();
    let other = Server::start();
    let location = format!("{}redirect/0", other.url());
    let reply: &'static [u8] = Box::leak(
        format!("HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n")
            .into_bytes()
            .into_boxed_slice(),
    );
    let redirecting = barrage_tests::raw_server(reply, 1);
    let port = redirecting
        .rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches('/');
    let allowed = format!("127.0.0.1:{port}");
    let (run, json) = run_against(
        "misbehave",
        &target,
        &[
            "--iterations",
            "1",
            "-e",
            &format!("TARGET={redirecting}"),
            "--allow-host",
            &allowed,
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(other.requests(), 0, "the redirect was followed");
    // The redirect itself and the refused hop: two requests, one failed.
    assert_eq!(metric(&json, "http_reqs", "count"), 2.0);
    assert_eq!(metric(&json, "http_req_failed", "passes"), 1.0);
}

#[test]
fn bad_host_patterns_are_refused() {
    let server = Server::start();
    for pattern in ["http://x.test/", "a*b.test", "x.test:port"] {
        let (run, _) = run_against("misbehave", &server, &["--allow-host", pattern]);
        assert_eq!(run.code, 104, "{pattern}: {}", run.stderr);
        assert!(
            run.stderr.contains("is not a host pattern"),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn a_guest_that_runs_too_long_fails_its_iteration_and_the_run_goes_on() {
    let server = Server::start();
    let (run, json) = run_against(
        "misbehave",
        &server,
        &[
            "--iterations",
            "3",
            "-e",
            "SPIN=1",
            "--max-iteration-cpu",
            "500ms",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(metric(&json, "iterations_failed", "count"), 3.0);
    assert!(
        run.stderr
            .contains("without finishing (raise `maxIterationCpu`"),
        "{}",
        run.stderr
    );
    // Each iteration made its request, then spun until stopped.
    assert_eq!(server.requests(), 3);
    assert!(run.took < Duration::from_secs(30), "{:?}", run.took);
}

#[test]
fn waiting_does_not_count_against_the_limit() {
    let server = Server::start();
    // An iteration that sleeps 1.5 s runs its own code for microseconds.
    let (run, json) = run_against(
        "hello",
        &server,
        &[
            "--iterations",
            "1",
            "-e",
            "SLEEP=1.5",
            "--max-iteration-cpu",
            "500ms",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(json["metrics"]["iterations_failed"].is_null(), "{json:#}");
    assert_eq!(metric(&json, "iterations", "count"), 1.0);
    assert!(metric(&json, "iteration_duration", "max") > 1400.0);
}

#[test]
fn guest_output_goes_to_the_log_marked_and_rate_limited() {
    let server = Server::start();
    let (run, _) = run_against(
        "misbehave",
        &server,
        &["--iterations", "2", "-e", "PRINT=2"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    for line in [
        "INFO  [vu 1] line 0 of iteration 0",
        "INFO  [vu 1] line 1 of iteration 1",
        "WARN  [vu 1] a complaint from iteration 1",
    ] {
        assert!(run.stderr.contains(line), "{line} missing:\n{}", run.stderr);
    }
    assert!(!run.stdout.contains("of iteration"), "{}", run.stdout);

    // 3,000 lines in well under a second: at most 50 are written.
    let (run, _) = run_against(
        "misbehave",
        &server,
        &["--iterations", "1", "-e", "PRINT=3000"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let written = run.stderr.matches("of iteration 0").count();
    assert!((1..=100).contains(&written), "{written} lines written");
    assert!(
        run.stderr.contains("log lines were dropped (over 50/s)"),
        "{}",
        run.stderr
    );
}
