//! Executors, scenarios and options through the real binary: arrival
//! rates in real time, several scenarios with their own `exec` and `env`,
//! config files, and their errors.

use std::time::Duration;

use barrage_tests::{Server, barrage, export, guest, metric, scratch};

const LIMIT: Duration = Duration::from_secs(60);

#[test]
fn constant_arrival_rate_starts_every_due_iteration() {
    let server = Server::start();
    let out = scratch("arrival.json");
    let run = barrage(
        &[
            "run",
            guest("hello").to_str().unwrap(),
            "-e",
            &format!("TARGET={}", server.url()),
            "-e",
            "SLEEP=0",
            "--rate",
            "200",
            "--duration",
            "5s",
            "--pre-allocated-vus",
            "20",
            "-q",
            "--summary-export",
            out.to_str().unwrap(),
        ],
        LIMIT,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = export(&out);
    let iterations = metric(&json, "iterations", "count");
    assert!((999.0..=1001.0).contains(&iterations), "{iterations}");
    assert_eq!(metric(&json, "http_reqs", "count"), iterations);
    assert_eq!(server.requests() as f64, iterations);
    // Every start was measured against its due instant.
    assert!(
        json["metrics"]["schedule_lag"]["max"].is_number(),
        "{json:#}"
    );
    assert!(json["metrics"].get("dropped_iterations").is_none());
}

#[test]
fn a_stalled_target_shows_as_dropped_iterations_not_a_lower_rate() {
    let server = Server::start();
    let out = scratch("stalled.json");
    let config = scratch("stalled-config.json");
    // 50 iterations a second for 2 s, each waiting 1 s for the server, on
    // at most 10 VUs: about 10 a second can start, and the rest are
    // dropped, never queued.
    std::fs::write(
        &config,
        r#"{"scenarios": {"slow": {"executor": "constant-arrival-rate", "rate": 50,
            "duration": "2s", "preAllocatedVUs": 5, "maxVUs": 10}}}"#,
    )
    .unwrap();
    let run = barrage(
        &[
            "run",
            guest("hello").to_str().unwrap(),
            "-e",
            &format!("TARGET={}delay/1000", server.url()),
            "-e",
            "SLEEP=0",
            "--config",
            config.to_str().unwrap(),
            "-q",
            "--summary-export",
            out.to_str().unwrap(),
        ],
        LIMIT,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = export(&out);
    let iterations = metric(&json, "iterations", "count");
    let dropped = metric(&json, "dropped_iterations", "count");
    assert_eq!(iterations + dropped, 100.0, "{json:#}");
    assert!((10.0..=30.0).contains(&iterations), "{iterations}");
    assert_eq!(server.requests() as f64, iterations);
    assert_eq!(metric(&json, "vus_max", "value"), 10.0);
}

#[test]
fn scenarios_run_their_own_function_with_their_own_env() {
    let server = Server::start();
    let config = scratch("two.toml");
    std::fs::write(
        &config,
        r#"
[scenarios.first]
executor = "per-vu-iterations"
vus = 2
iterations = 3
exec = "visit"
env = { WHO = "alice" }

[scenarios.second]
executor = "shared-iterations"
iterations = 4
startTime = "300ms"
exec = "visit"
env = { WHO = "bob" }
"#,
    )
    .unwrap();
    let out = scratch("two.json");
    let run = barrage(
        &[
            "run",
            guest("misbehave").to_str().unwrap(),
            "-e",
            &format!("VISIT_BASE={}", server.url()),
            "--config",
            config.to_str().unwrap(),
            "--summary-export",
            out.to_str().unwrap(),
        ],
        LIMIT,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let named = server.named();
    assert_eq!(named.get("first-alice"), Some(&6), "{named:?}");
    assert_eq!(named.get("second-bob"), Some(&4), "{named:?}");
    assert_eq!(named.len(), 2, "{named:?}");
    let json = export(&out);
    assert_eq!(metric(&json, "http_reqs", "count"), 10.0);
    assert_eq!(metric(&json, "checks", "passes"), 10.0);
    assert!(
        run.stdout
            .contains("10 complete and 0 interrupted iterations"),
        "{}",
        run.stdout
    );
}

#[test]
fn stages_from_flags_ramp_vus_up_and_down() {
    let server = Server::start();
    let out = scratch("stages.json");
    let run = barrage(
        &[
            "run",
            guest("hello").to_str().unwrap(),
            "-e",
            &format!("TARGET={}", server.url()),
            "-e",
            "SLEEP=0.1",
            "-s",
            "1s:4",
            "-s",
            "1s:0",
            "-q",
            "--summary-export",
            out.to_str().unwrap(),
        ],
        LIMIT,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = export(&out);
    assert_eq!(metric(&json, "vus_max", "value"), 4.0);
    // `vus` is sampled each second, so it may miss the peak at 1 s.
    assert!(metric(&json, "vus", "max") >= 2.0, "{json:#}");
    let reqs = metric(&json, "http_reqs", "count");
    assert_eq!(server.requests() as f64, reqs);
    // About 4 VU-seconds at 10 iterations a second each.
    assert!((15.0..=60.0).contains(&reqs), "{reqs}");
}

#[test]
fn no_setup_and_no_teardown_skip_them() {
    let run = barrage(
        &[
            "run",
            guest("misbehave").to_str().unwrap(),
            "-e",
            "TRAP_IN=setup",
            "--no-setup",
            "-q",
        ],
        LIMIT,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = barrage(
        &[
            "run",
            guest("misbehave").to_str().unwrap(),
            "-e",
            "TRAP_IN=teardown",
            "--no-teardown",
            "-q",
        ],
        LIMIT,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn setup_and_teardown_are_cut_at_their_timeouts() {
    let options = r#"OPTIONS={"setupTimeout": "1s", "teardownTimeout": "1s", "iterations": 3}"#;
    let started = std::time::Instant::now();
    let run = barrage(
        &[
            "run",
            guest("misbehave").to_str().unwrap(),
            "-e",
            options,
            "-e",
            "SLEEP_IN=setup",
        ],
        LIMIT,
    );
    assert_eq!(run.code, 100, "{}", run.stderr);
    assert!(
        run.stderr.contains("setup() did not finish within 1s"),
        "{}",
        run.stderr
    );
    // Nothing ran, so the summary has no iterations.
    assert!(!run.stdout.contains("iterations....."), "{}", run.stdout);

    let out = scratch("teardown-timeout.json");
    let run = barrage(
        &[
            "run",
            guest("misbehave").to_str().unwrap(),
            "-e",
            options,
            "-e",
            "SLEEP_IN=teardown",
            "--summary-export",
            out.to_str().unwrap(),
        ],
        LIMIT,
    );
    assert_eq!(run.code, 101, "{}", run.stderr);
    assert!(
        run.stderr.contains("teardown() did not finish within 1s"),
        "{}",
        run.stderr
    );
    // The iterations before the teardown are kept.
    assert_eq!(metric(&export(&out), "iterations", "count"), 3.0);
    // Two 1 s timeouts, not two 30 s sleeps.
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_bad_config_field_exits_104_with_its_path() {
    let config = scratch("bad.json");
    std::fs::write(
        &config,
        r#"{"scenarios": {"checkout": {"executor": "constant-arrival-rate", "rate": -5,
            "duration": "1m", "preAllocatedVUs": 1}}}"#,
    )
    .unwrap();
    let hello = guest("hello");
    let run = barrage(
        &[
            "run",
            hello.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
        ],
        LIMIT,
    );
    assert_eq!(run.code, 104, "{}", run.stderr);
    assert_eq!(
        run.stderr.trim(),
        format!(
            "error: invalid options from `{}`: scenarios.checkout.rate: expected a positive \
             whole number, got -5",
            config.display()
        )
    );
    let run = barrage(
        &[
            "run",
            hello.to_str().unwrap(),
            "--rate",
            "10",
            "--duration",
            "1s",
        ],
        LIMIT,
    );
    assert_eq!(run.code, 104, "{}", run.stderr);
    assert_eq!(
        run.stderr.trim(),
        "error: invalid options: preAllocatedVUs: is required with `rate` (or give `vus`)"
    );
    let run = barrage(&["run", hello.to_str().unwrap(), "-s", "soon"], LIMIT);
    assert_eq!(run.code, 104, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("invalid stage `soon`: expected DURATION:TARGET, e.g. `30s:100`"),
        "{}",
        run.stderr
    );
}
