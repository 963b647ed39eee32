//! The command line as a person sees it: the summary, `inspect`, `demo`,
//! `version`, and Ctrl-C.

use std::time::Duration;

use barrage_tests::{Server, barrage, command, export, finish, guest, metric, scratch};

const LIMIT: Duration = Duration::from_secs(60);

/// Filters that hide what changes from run to run: times, sizes, rates.
fn filters() -> Vec<(&'static str, &'static str)> {
    vec![
        (r"\d+(\.\d+)?(µs|ms|s)\b", "[time]"),
        (r"\d+m\[time\]", "[time]"),
        (r"\d+(\.\d+)? (B|kB|MB)\b", "[bytes]"),
        (r"\[bytes\]/s", "[rate]"),
        (r"\b\d+(\.\d+)?/s", "[rate]"),
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[port]"),
        (r"size: \d+ bytes", "size: [n] bytes"),
        (r"(compiled|loaded from the cache) in", "[compiled] in"),
        (r"holds \d+ KiB", "holds [n] KiB"),
        (r"scenario: .*/([a-z]+\.wasm)", "scenario: [dir]/$1"),
        (r"(?m) +$", ""),
    ]
}

#[test]
fn the_end_of_test_summary() {
    let server = Server::start();
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
            "2",
            "--iterations",
            "8",
            "-q",
        ],
        LIMIT,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::with_settings!({ filters => filters() }, {
        insta::assert_snapshot!("summary", run.stdout);
    });
}

#[test]
fn inspect_shows_the_resolved_plan_of_a_config() {
    let config = scratch("plan.json");
    std::fs::write(
        &config,
        r#"{"scenarios": {
            "browse": {"executor": "ramping-vus", "startVUs": 0,
                       "stages": [{"duration": "30s", "target": 20}, {"duration": "1m", "target": 20},
                                  {"duration": 0, "target": 5}]},
            "checkout": {"executor": "constant-arrival-rate", "rate": 50, "duration": "2m",
                         "preAllocatedVUs": 10, "maxVUs": 40, "startTime": "30s", "exec": "buy"},
            "spike": {"executor": "ramping-arrival-rate", "startRate": 0, "timeUnit": "1m",
                      "stages": [{"duration": "10s", "target": 600}], "preAllocatedVUs": 2,
                      "startTime": "2m30s", "gracefulStop": "5s"},
            "warmup": {"executor": "shared-iterations", "vus": 2, "iterations": 10}
        }}"#,
    )
    .unwrap();
    let hello = guest("hello");
    let run = barrage(
        &[
            "inspect",
            hello.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
        ],
        LIMIT,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let plan: String = run
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("  plan:"))
        .map(|l| format!("{l}\n"))
        .collect();
    insta::assert_snapshot!("inspect_plan", plan);
}

#[test]
fn inspect_shows_the_contract_and_options() {
    let run = barrage(&["inspect", guest("hello").to_str().unwrap()], LIMIT);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::with_settings!({ filters => filters() }, {
        insta::assert_snapshot!("inspect", run.stdout);
    });
}

#[test]
fn demo_runs_a_real_test_with_nothing_else() {
    let out = scratch("demo.json");
    let run = barrage(
        &[
            "demo",
            "--duration",
            "2s",
            "-q",
            "--summary-export",
            out.to_str().unwrap(),
        ],
        LIMIT,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let reqs = metric(&export(&out), "http_reqs", "count");
    // 10 VUs, 1 s pause each, 2 s: two rounds of requests.
    assert!((10.0..=30.0).contains(&reqs), "{reqs}");
    assert!(
        run.stderr
            .contains(&format!("the target counted {reqs} requests")),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("✓ status is 200"), "{}", run.stdout);
}

#[test]
fn version_names_the_contract() {
    let run = barrage(&["version"], LIMIT);
    assert_eq!(run.code, 0);
    assert!(
        run.stdout
            .starts_with("barrage 0.1.0 (contract barrage:scenario@0.1.0)"),
        "{}",
        run.stdout
    );
}

/// Starts `hello` on 2 VUs for 60 s against `server`, with `extra`
/// arguments, sends `signal` once the test is under way (however long
/// start-up took), and waits for the run to end.
fn signalled(signal: &str, server: &Server, extra: &[&str]) -> barrage_tests::Run {
    let hello = guest("hello");
    let target = format!("TARGET={}", server.url());
    let mut args = vec![
        "run",
        hello.to_str().unwrap(),
        "-e",
        &target,
        "-e",
        "SLEEP=0.05",
        "--vus",
        "2",
        "--duration",
        "60s",
        "-q",
    ];
    args.extend(extra);
    let child = command(&args).spawn().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while server.requests() < 5 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status();
    assert!(status.is_ok_and(|s| s.success()));
    finish(child, Duration::from_secs(20))
}

#[test]
fn sigterm_stops_like_ctrl_c() {
    let server = Server::start();
    let out = scratch("sigterm.json");
    let run = signalled(
        "-TERM",
        &server,
        &["--summary-export", out.to_str().unwrap()],
    );
    assert_eq!(run.code, 105, "{}", run.stderr);
    assert!(run.stdout.contains("TOTAL RESULTS"), "{}", run.stdout);
    assert!(metric(&export(&out), "http_reqs", "count") > 0.0);
}

#[test]
fn ctrl_c_stops_and_still_prints_and_exports_the_summary() {
    let server = Server::start();
    let out = scratch("sigint.json");
    let lines = scratch("sigint-samples.json");
    let json_out = format!("json={}", lines.display());
    let extra = [
        "--summary-export",
        out.to_str().unwrap(),
        "--out",
        &json_out,
    ];
    let run = signalled("-INT", &server, &extra);
    assert_eq!(run.code, 105, "{}", run.stderr);
    assert!(run.stdout.contains("TOTAL RESULTS"), "{}", run.stdout);
    let json = export(&out);
    let reqs = metric(&json, "http_reqs", "count");
    assert!(reqs > 0.0);
    // A request in flight when the signal came is seen by the server but
    // interrupted in the VU: at most one per VU.
    let seen = server.requests();
    assert!(
        seen >= reqs as u64 && seen <= reqs as u64 + 2,
        "server {seen}, reported {reqs}"
    );
    // The JSON output holds every request the summary counted.
    let text = std::fs::read_to_string(&lines).unwrap();
    let points = text
        .lines()
        .filter(|l| l.starts_with(r#"{"type":"Point""#) && l.ends_with(r#""metric":"http_reqs"}"#))
        .count();
    assert_eq!(points as f64, reqs);
}

#[test]
fn summary_trend_stats_choose_what_each_trend_shows() {
    let server = Server::start();
    let out = scratch("trend-stats.json");
    let run = barrage(
        &[
            "run",
            guest("hello").to_str().unwrap(),
            "-e",
            &format!("TARGET={}", server.url()),
            "-e",
            "SLEEP=0",
            "--iterations",
            "7",
            "--summary-trend-stats",
            "count,p(99),p(99.9),max",
            "-q",
            "--summary-export",
            out.to_str().unwrap(),
        ],
        LIMIT,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = export(&out);
    let duration = json["metrics"]["http_req_duration"]
        .as_object()
        .expect("a trend");
    let keys: Vec<&str> = duration.keys().map(String::as_str).collect();
    assert_eq!(keys, ["count", "max", "p(99)", "p(99.9)"], "{json:#}");
    assert_eq!(metric(&json, "http_req_duration", "count"), 7.0);
    assert!(
        metric(&json, "http_req_duration", "p(99)") <= metric(&json, "http_req_duration", "max")
    );
    let line = run
        .stdout
        .lines()
        .find(|l| l.contains("http_req_duration"))
        .unwrap_or_default();
    assert!(line.contains(": count=7 p(99)="), "{line}");
    assert!(
        line.contains(" p(99.9)=") && line.contains(" max="),
        "{line}"
    );

    let run = barrage(
        &[
            "run",
            guest("hello").to_str().unwrap(),
            "--summary-trend-stats",
            "avg,p95",
        ],
        LIMIT,
    );
    assert_eq!(run.code, 104, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "invalid value 'avg,p95' for '--summary-trend-stats <STATS>': unknown trend \
             statistic `p95`"
        ),
        "{}",
        run.stderr
    );
}
