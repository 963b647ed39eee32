//! Exact counts: what the server saw is what Barrage reports.

use std::time::Duration;

use barrage_tests::{Server, barrage, export, guest, metric, scratch};

const LIMIT: Duration = Duration::from_secs(60);

#[test]
fn shared_iterations_run_exactly_n_and_the_server_sees_each_request() {
    let server = Server::start();
    let out = scratch("shared.json");
    let hello = guest("hello");
    let run = barrage(
        &[
            "run",
            hello.to_str().unwrap(),
            "-e",
            &format!("TARGET={}", server.url()),
            "-e",
            "SLEEP=0",
            "--vus",
            "5",
            "--iterations",
            "50",
            "-q",
            "--summary-export",
            out.to_str().unwrap(),
        ],
        LIMIT,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = export(&out);
    assert_eq!(metric(&json, "iterations", "count"), 50.0);
    assert_eq!(metric(&json, "http_reqs", "count"), 50.0);
    assert_eq!(server.requests(), 50);
    assert_eq!(metric(&json, "checks", "passes"), 50.0);
    assert_eq!(metric(&json, "checks", "fails"), 0.0);
    assert_eq!(metric(&json, "http_req_failed", "passes"), 0.0);
    assert_eq!(metric(&json, "vus_max", "value"), 5.0);
    assert_eq!(json["root_group"]["checks"]["status is 200"]["passes"], 50);
    assert!(metric(&json, "data_received", "count") > 50.0 * 20.0);
    assert!(metric(&json, "http_req_duration", "max") > 0.0);
    assert!(
        run.stdout
            .contains("50 complete and 0 interrupted iterations"),
        "{}",
        run.stdout
    );
}

#[test]
fn constant_vus_run_for_the_duration() {
    let server = Server::start();
    let out = scratch("constant.json");
    let hello = guest("hello");
    let run = barrage(
        &[
            "run",
            hello.to_str().unwrap(),
            "-e",
            &format!("TARGET={}", server.url()),
            "-e",
            "SLEEP=0.1",
            "--vus",
            "3",
            "--duration",
            "2s",
            "-q",
            "--summary-export",
            out.to_str().unwrap(),
        ],
        LIMIT,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = export(&out);
    let reqs = metric(&json, "http_reqs", "count");
    assert_eq!(reqs as u64, server.requests());
    assert_eq!(metric(&json, "iterations", "count"), reqs);
    // 3 VUs looping on a 100 ms pause for 2 s: at most 60 iterations.
    assert!((20.0..=63.0).contains(&reqs), "{reqs} requests");
    let secs = json["state"]["testRunDurationMs"].as_f64().unwrap() / 1000.0;
    assert!((2.0..4.0).contains(&secs), "ran {secs} s");
}

#[test]
fn per_vu_iterations_from_the_scenario_options() {
    let server = Server::start();
    let out = scratch("per-vu.json");
    let options =
        r#"{"scenarios":{"each":{"executor":"per-vu-iterations","vus":3,"iterations":4}}}"#;
    let run = barrage(
        &[
            "run",
            guest("misbehave").to_str().unwrap(),
            "-e",
            &format!("TARGET={}", server.url()),
            "-e",
            &format!("OPTIONS={options}"),
            "-q",
            "--summary-export",
            out.to_str().unwrap(),
        ],
        LIMIT,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = export(&out);
    assert_eq!(metric(&json, "iterations", "count"), 12.0);
    assert_eq!(metric(&json, "http_reqs", "count"), 12.0);
    assert_eq!(server.requests(), 12);
}

#[test]
fn check_passes_and_fails_are_exact() {
    let out = scratch("checks.json");
    let run = barrage(
        &[
            "run",
            guest("misbehave").to_str().unwrap(),
            "-e",
            "CHECK_ODD=1",
            "--iterations",
            "10",
            "-q",
            "--summary-export",
            out.to_str().unwrap(),
        ],
        LIMIT,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = export(&out);
    assert_eq!(metric(&json, "checks", "passes"), 5.0);
    assert_eq!(metric(&json, "checks", "fails"), 5.0);
    let check = &json["root_group"]["checks"]["odd iteration"];
    assert_eq!(
        (check["passes"].as_u64(), check["fails"].as_u64()),
        (Some(5), Some(5))
    );
    assert!(run.stdout.contains("✗ odd iteration"), "{}", run.stdout);
}

#[test]
fn the_flow_example_logs_in_lists_and_creates() {
    let server = Server::start();
    let out = scratch("flow.json");
    let run = barrage(
        &[
            "run",
            guest("flow").to_str().unwrap(),
            "-e",
            &format!("TARGET={}", server.url()),
            "-e",
            "SLEEP=0",
            "--vus",
            "2",
            "--iterations",
            "6",
            "-q",
            "--summary-export",
            out.to_str().unwrap(),
        ],
        LIMIT,
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let json = export(&out);
    let reqs = metric(&json, "http_reqs", "count");
    assert_eq!(reqs as u64, server.requests());
    assert_eq!(metric(&json, "checks", "fails"), 0.0, "{}", run.stdout);
    assert_eq!(metric(&json, "http_req_failed", "passes"), 0.0);
    assert!(
        json["root_group"]["groups"]
            .as_object()
            .is_some_and(|g| !g.is_empty())
    );
    assert!(metric(&json, "group_duration", "max") > 0.0);
}
