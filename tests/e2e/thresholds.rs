//! Thresholds through the real binary: verdicts and exit codes, the
//! summary's threshold block and export, `abortOnFail`, bad thresholds.

use std::time::{Duration, Instant};

use barrage_tests::{Run, Server, barrage, export, guest, scratch};

const LIMIT: Duration = Duration::from_secs(60);

/// Runs `guest` with `options` as a `--config` file, exporting the summary.
fn run_with(name: &str, options: &str, env: &[&str], extra: &[&str]) -> (Run, serde_json::Value) {
    let config = scratch(&format!("{name}-config.json"));
    std::fs::write(&config, options).unwrap();
    let out = scratch(&format!("{name}.json"));
    let wasm = guest("misbehave");
    let mut args = vec![
        "run",
        wasm.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
        "--summary-export",
        out.to_str().unwrap(),
    ];
    for e in env {
        args.extend(["-e", e]);
    }
    args.extend(extra);
    let run = barrage(&args, LIMIT);
    let json = if out.exists() {
        export(&out)
    } else {
        serde_json::Value::Null
    };
    (run, json)
}

#[test]
fn passing_thresholds_exit_0_and_failing_ones_exit_99() {
    let server = Server::start();
    let target = format!("TARGET={}", server.url());
    // Every statistic of every kind, each one passing.
    let options = r#"{"iterations": 5, "thresholds": {
        "http_req_duration": ["p(95)<10000", "max<60000", "avg<60000", "med<60000",
                              "min>=0", "p(99.9)<60000"],
        "http_req_failed": ["rate<0.01"],
        "http_reqs": ["count==5", "rate>0"],
        "vus_max": ["value==1"],
        "checks": ["rate==1"]}}"#;
    let (run, json) = run_with("pass", options, &[&target], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("█ THRESHOLDS"), "{}", run.stdout);
    assert!(
        run.stdout.contains("✓ 'count==5' count=5"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("✓ 'rate<0.01' rate=0.00%"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains('✗'), "{}", run.stdout);
    assert_eq!(
        json["metrics"]["http_reqs"]["thresholds"]["count==5"],
        false
    );

    let options = r#"{"iterations": 5, "thresholds": {
        "http_reqs": ["count<3", "count>1"]}}"#;
    let (run, json) = run_with("fail", options, &[&target], &[]);
    assert_eq!(run.code, 99, "{}", run.stderr);
    assert!(run.stdout.contains("✗ 'count<3' count=5"), "{}", run.stdout);
    assert_eq!(
        run.stderr.trim(),
        "error: thresholds on `http_reqs` were crossed"
    );
    assert!(run.stdout.contains("✓ 'count>1' count=5"), "{}", run.stdout);
    // `true`: the threshold failed, as in k6's export.
    assert_eq!(json["metrics"]["http_reqs"]["thresholds"]["count<3"], true);
    assert_eq!(json["metrics"]["http_reqs"]["thresholds"]["count>1"], false);
    assert_eq!(server.requests(), 10);

    // Each kind's statistic fails on its own too.
    for (metric, expr) in [
        ("http_req_duration", "p(95)<0"),
        ("http_req_duration", "avg>60000"),
        ("http_req_failed", "rate>0.5"),
        ("http_reqs", "rate>1000000"),
        ("vus_max", "value>1"),
        ("checks", "rate<1"),
    ] {
        let options = format!(r#"{{"iterations": 5, "thresholds": {{"{metric}": ["{expr}"]}}}}"#);
        let (run, _) = run_with("fail-kind", &options, &[&target], &["-q"]);
        assert_eq!(run.code, 99, "{metric} {expr}: {}", run.stderr);
        assert!(
            run.stdout.contains(&format!("✗ '{expr}'")),
            "{}",
            run.stdout
        );
    }

    // --no-thresholds: nothing is judged.
    let (run, _) = run_with("ignored", options, &[&target], &["--no-thresholds"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stdout.contains("THRESHOLDS"), "{}", run.stdout);
}

#[test]
fn abort_on_fail_stops_the_test_after_its_delay_and_keeps_the_results() {
    // Every request is refused, so `rate<0.01` fails from the first
    // evaluation; the test would otherwise run for 40 s.
    let options = r#"{"vus": 2, "duration": "40s", "thresholds": {
        "http_req_failed": [{"threshold": "rate<0.01", "abortOnFail": true,
                             "delayAbortEval": "3s"}]}}"#;
    let started = Instant::now();
    let (run, json) = run_with("abort", options, &["TARGET=http://127.0.0.1:9/"], &["-q"]);
    let took = started.elapsed();
    assert_eq!(run.code, 99, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "the threshold `rate<0.01` on http_req_failed failed and has abortOnFail: \
             the test was stopped"
        ),
        "{}",
        run.stderr
    );
    // Judged every 2 s, so the first evaluation past 3 s is at 4 s.
    let ran = json["state"]["testRunDurationMs"].as_f64().unwrap();
    assert!((3900.0..10_000.0).contains(&ran), "{ran}");
    assert!(took < Duration::from_secs(30), "{took:?}");
    assert_eq!(
        json["metrics"]["http_req_failed"]["thresholds"]["rate<0.01"],
        true
    );
    assert!(json["metrics"]["http_reqs"]["count"].as_f64().unwrap() > 0.0);
}

#[test]
fn bad_thresholds_exit_104_with_what_is_wrong() {
    let cases = [
        (
            "bad-expr",
            r#"{"thresholds": {"http_req_duration": ["p(95)<500", "p95<500"]}}"#,
            "thresholds.http_req_duration[1]: unknown statistic `p95` in `p95<500` (expected \
             avg, min, med, max, p(N), rate, count or value)",
        ),
        (
            "unknown-metric",
            r#"{"thresholds": {"http_req_durations": ["p(95)<500"]}}"#,
            "invalid options: thresholds.http_req_durations: no metric of this name",
        ),
        (
            "wrong-stat",
            r#"{"thresholds": {"http_req_failed": ["p(95)<0.1"]}}"#,
            "thresholds.http_req_failed: `p(95)` does not apply to a rate; use rate",
        ),
    ];
    for (name, options, message) in cases {
        let (run, _) = run_with(name, options, &[], &[]);
        assert_eq!(run.code, 104, "{name}: {}", run.stderr);
        assert!(run.stderr.contains(message), "{name}: {}", run.stderr);
    }
}
