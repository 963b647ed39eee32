//! One test split over several local processes, as over machines:
//! execution segments, result files, `barrage merge`, setup run once and
//! a shared start time.

use std::process::Child;
use std::time::Duration;

use barrage_tests::{Run, Server, barrage, command, export, finish, guest, metric, scratch};

const LIMIT: Duration = Duration::from_secs(60);

/// Starts instance `i` of `n` of the misbehave guest with `options`
/// (k6's JSON) against `server`, writing its result file; returns the
/// process and the file.
fn instance(
    i: usize,
    n: usize,
    options: &str,
    server: &Server,
    name: &str,
    extra: &[&str],
) -> (Child, String) {
    let sequence: Vec<String> = (0..=n).map(|k| fraction(k, n)).collect();
    let result = scratch(&format!("{name}-part-{i}.bres"));
    let out = format!("result={}", result.display());
    let segment = format!("{}:{}", fraction(i, n), fraction(i + 1, n));
    let target = format!("TARGET={}", server.url());
    let options = format!("OPTIONS={options}");
    let misbehave = guest("misbehave");
    let sequence = sequence.join(",");
    let mut args = vec![
        "run",
        misbehave.to_str().unwrap(),
        "-q",
        "-e",
        &target,
        "-e",
        &options,
        "--execution-segment",
        &segment,
        "--execution-segment-sequence",
        &sequence,
        "--out",
        &out,
    ];
    args.extend_from_slice(extra);
    let child = command(&args).spawn().expect("barrage starts");
    (child, result.display().to_string())
}

fn fraction(k: usize, n: usize) -> String {
    match k {
        0 => "0".into(),
        k if k == n => "1".into(),
        k => format!("{k}/{n}"),
    }
}

/// Runs `n` instances at once and waits for all; returns their runs and
/// result files.
fn split(n: usize, options: &str, server: &Server, name: &str) -> (Vec<Run>, Vec<String>) {
    let started: Vec<_> = (0..n)
        .map(|i| instance(i, n, options, server, name, &[]))
        .collect();
    let mut runs = Vec::new();
    let mut files = Vec::new();
    for (child, file) in started {
        runs.push(finish(child, LIMIT));
        files.push(file);
    }
    (runs, files)
}

/// `barrage merge` of `files`; returns the run and its export.
fn merge(files: &[String], name: &str) -> (Run, serde_json::Value) {
    let out = scratch(&format!("{name}-merged.json"));
    let mut args = vec!["merge"];
    args.extend(files.iter().map(String::as_str));
    args.extend(["--summary-export", out.to_str().unwrap()]);
    let run = barrage(&args, LIMIT);
    let json = if out.exists() {
        export(&out)
    } else {
        serde_json::Value::Null
    };
    (run, json)
}

#[test]
fn split_runs_add_up_to_the_whole_plan_for_every_executor() {
    // (options, instances, the iterations of the whole plan; None where
    // the plan fixes time rather than a count)
    let cases: [(&str, usize, Option<f64>); 4] = [
        (
            r#"{"scenarios":{"s":{"executor":"shared-iterations","vus":3,"iterations":10}}}"#,
            3,
            Some(10.0),
        ),
        (
            r#"{"scenarios":{"s":{"executor":"per-vu-iterations","vus":5,"iterations":3}}}"#,
            2,
            Some(15.0),
        ),
        (
            r#"{"scenarios":{"s":{"executor":"constant-arrival-rate","rate":20,"timeUnit":"1s",
                "duration":"2s","preAllocatedVUs":6,"maxVUs":6}}}"#,
            3,
            Some(40.0),
        ),
        (
            r#"{"scenarios":{"s":{"executor":"constant-vus","vus":5,"duration":"1s"}}}"#,
            2,
            None,
        ),
    ];
    for (k, (options, n, plan)) in cases.into_iter().enumerate() {
        let server = Server::start();
        let name = format!("split-{k}");
        let (runs, files) = split(n, options, &server, &name);
        for run in &runs {
            assert_eq!(run.code, 0, "case {k}: {}", run.stderr);
        }
        let (merged, json) = merge(&files, &name);
        assert_eq!(merged.code, 0, "case {k}: {}", merged.stderr);
        assert!(
            !merged.stderr.contains("warning"),
            "case {k}: {}",
            merged.stderr
        );
        let iterations = metric(&json, "iterations", "count");
        let reqs = metric(&json, "http_reqs", "count");
        assert_eq!(reqs, server.requests() as f64, "case {k}");
        assert_eq!(reqs, iterations, "case {k}");
        if let Some(plan) = plan {
            assert_eq!(iterations, plan, "case {k}");
        }
        // Each instance's own summary holds only its share.
        let shares: f64 = runs
            .iter()
            .map(|r| {
                r.stdout
                    .lines()
                    .find_map(|l| l.trim().strip_prefix("iterations"))
                    .map(|l| l.trim_start_matches(['.', ':']))
                    .and_then(|l| l.split_whitespace().next())
                    .and_then(|n| n.parse::<f64>().ok())
                    .unwrap_or_else(|| panic!("case {k}: no iterations in {}", r.stdout))
            })
            .sum();
        assert_eq!(shares, iterations, "case {k}");
        assert_eq!(metric(&json, "checks", "passes"), iterations, "case {k}");
    }
}

#[test]
fn a_threshold_crossed_only_by_the_whole_test_fails_the_merge() {
    let server = Server::start();
    // Each half runs 5 iterations, under the limit of 8; together, 10.
    let options = r#"{"scenarios":{"s":{"executor":"shared-iterations","vus":2,"iterations":10}},
        "thresholds":{"iterations":["count<8"],"http_req_duration":["p(95)<10000"]}}"#;
    let (runs, files) = split(2, options, &server, "aggregate");
    for run in &runs {
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    let (merged, json) = merge(&files, "aggregate");
    assert_eq!(merged.code, 99, "{}", merged.stderr);
    assert!(merged.stderr.contains("`iterations`"), "{}", merged.stderr);
    assert_eq!(metric(&json, "iterations", "count"), 10.0);
    // k6's export marks a crossed threshold `true`.
    assert_eq!(
        json["metrics"]["iterations"]["thresholds"]["count<8"],
        serde_json::Value::Bool(true),
        "{json:#}"
    );
    let (ignored, _) = {
        let mut args = vec!["merge", "--no-thresholds"];
        args.extend(files.iter().map(String::as_str));
        (barrage(&args, LIMIT), ())
    };
    assert_eq!(ignored.code, 0, "{}", ignored.stderr);
}

#[test]
fn a_killed_instances_partial_file_merges_with_a_warning() {
    let server = Server::start();
    let options = r#"{"scenarios":{"s":{"executor":"constant-vus","vus":2,"duration":"30s"}}}"#;
    let (mut killed, partial) = instance(0, 2, options, &server, "killed", &[]);
    let (stopped, whole) = instance(1, 2, options, &server, "killed", &[]);
    // Long enough for a few buckets to be written.
    std::thread::sleep(Duration::from_millis(3500));
    killed.kill().expect("killable");
    let _ = killed.wait();
    let interrupted = std::process::Command::new("kill")
        .args(["-INT", &stopped.id().to_string()])
        .status();
    assert!(interrupted.is_ok_and(|s| s.success()));
    let run = finish(stopped, LIMIT);
    assert_eq!(run.code, 105, "{}", run.stderr);
    let (merged, json) = merge(&[partial.clone(), whole], "killed");
    assert_eq!(merged.code, 0, "{}", merged.stderr);
    assert!(
        merged.stderr.contains("is partial") && merged.stderr.contains(&partial),
        "{}",
        merged.stderr
    );
    assert!(
        merged.stderr.contains("exited with code 105"),
        "{}",
        merged.stderr
    );
    let reqs = metric(&json, "http_reqs", "count");
    // The killed instance lost at most its last second; the other's
    // results are whole.
    assert!(
        reqs > 0.0 && reqs <= server.requests() as f64,
        "{reqs} vs {}",
        server.requests()
    );
}

#[test]
fn setup_runs_once_and_its_data_reaches_every_instance() {
    let server = Server::start();
    let setup = barrage(
        &[
            "setup",
            guest("misbehave").to_str().unwrap(),
            "-e",
            "SETUP_DATA={\"token\":42}",
        ],
        LIMIT,
    );
    assert_eq!(setup.code, 0, "{}", setup.stderr);
    assert_eq!(setup.stdout, "{\"token\":42}\n");
    let data = scratch("setup.json");
    std::fs::write(&data, &setup.stdout).unwrap();
    let data_arg = data.to_str().unwrap();
    // The guest's init fails unless it gets exactly SETUP_DATA; its setup
    // would return something else, so passing shows setup did not run.
    let options = r#"{"scenarios":{"s":{"executor":"per-vu-iterations","vus":2,"iterations":1}}}"#;
    let extra = [
        "-e",
        "SETUP_DATA={\"token\":42}",
        "--setup-data",
        data_arg,
        "--no-teardown",
    ];
    let started: Vec<_> = (0..2)
        .map(|i| instance(i, 2, options, &server, "setup", &extra))
        .collect();
    for (child, _) in started {
        let run = finish(child, LIMIT);
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    assert_eq!(server.requests(), 2);
    let wrong = scratch("wrong-setup.json");
    std::fs::write(&wrong, "{}").unwrap();
    let (child, _) = instance(
        0,
        2,
        options,
        &server,
        "wrong-setup",
        &[
            "-e",
            "SETUP_DATA=x",
            "--setup-data",
            wrong.to_str().unwrap(),
        ],
    );
    let run = finish(child, LIMIT);
    assert_eq!(run.code, 107, "{}", run.stderr);
    assert!(run.stderr.contains("setup data mismatch"), "{}", run.stderr);

    let teardown = barrage(
        &[
            "teardown",
            guest("misbehave").to_str().unwrap(),
            "--setup-data",
            data_arg,
        ],
        LIMIT,
    );
    assert_eq!(teardown.code, 0, "{}", teardown.stderr);
    let failing = barrage(
        &[
            "teardown",
            guest("misbehave").to_str().unwrap(),
            "--setup-data",
            data_arg,
            "-e",
            "ERR_IN=teardown",
        ],
        LIMIT,
    );
    assert_eq!(failing.code, 107, "{}", failing.stderr);
    let missing = barrage(&["teardown", guest("misbehave").to_str().unwrap()], LIMIT);
    assert_eq!(missing.code, 104, "{}", missing.stderr);
    assert!(
        missing.stderr.contains("--setup-data"),
        "{}",
        missing.stderr
    );
}

#[test]
fn instances_wait_for_the_start_time() {
    let server = Server::start();
    let at = std::time::SystemTime::now() + Duration::from_secs(2);
    let secs = at
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    let target = format!("TARGET={}", server.url());
    let run = barrage(
        &[
            "run",
            guest("misbehave").to_str().unwrap(),
            "-q",
            "-e",
            &target,
            "--start-at",
            &secs,
        ],
        LIMIT,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Whole seconds: the start is between one and two seconds away.
    assert!(run.took >= Duration::from_millis(900), "{:?}", run.took);
    assert!(run.stderr.contains("starting at"), "{}", run.stderr);
    assert_eq!(server.requests(), 1);
    let late = barrage(
        &[
            "run",
            guest("misbehave").to_str().unwrap(),
            "-q",
            "-e",
            &target,
            "--start-at",
            "2020-01-01T00:00:00Z",
        ],
        LIMIT,
    );
    assert_eq!(late.code, 0, "{}", late.stderr);
    assert!(late.stderr.contains("starting now"), "{}", late.stderr);
    let bad = barrage(&["run", "x.wasm", "--start-at", "soon"], LIMIT);
    assert_eq!(bad.code, 104, "{}", bad.stderr);
    assert!(bad.stderr.contains("is not a time"), "{}", bad.stderr);
}

#[test]
fn inspect_shows_each_instances_share() {
    let mut total = 0;
    for i in 0..3 {
        let segment = format!("{}:{}", fraction(i, 3), fraction(i + 1, 3));
        let run = barrage(
            &[
                "inspect",
                guest("hello").to_str().unwrap(),
                "--vus",
                "10",
                "--duration",
                "1m",
                "--execution-segment",
                &segment,
                "--execution-segment-sequence",
                "0,1/3,2/3,1",
            ],
            LIMIT,
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(run.stdout.contains("(1/3 of the test)"), "{}", run.stdout);
        let vus: u32 = run
            .stdout
            .lines()
            .find_map(|l| l.split("constant-vus, ").nth(1))
            .and_then(|l| l.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no VU count in {}", run.stdout));
        total += vus;
    }
    assert_eq!(total, 10);
    let bad = barrage(
        &[
            "inspect",
            guest("hello").to_str().unwrap(),
            "--execution-segment",
            "1/4:1/2",
            "--execution-segment-sequence",
            "0,1/3,2/3,1",
        ],
        LIMIT,
    );
    assert_eq!(bad.code, 104, "{}", bad.stderr);
    assert!(bad.stderr.contains("sequence"), "{}", bad.stderr);
}

#[test]
fn a_merged_percentile_is_that_of_every_sample_together() {
    let server = Server::start();
    let options = r#"{"scenarios":{"s":{"executor":"per-vu-iterations","vus":4,"iterations":50}}}"#;
    let outs: Vec<_> = (0..2).map(|i| scratch(&format!("p95-{i}.json"))).collect();
    let started: Vec<_> = outs
        .iter()
        .enumerate()
        .map(|(i, out)| {
            let json = format!("json={}", out.display());
            instance(i, 2, options, &server, "p95", &["--out", &json])
        })
        .collect();
    let mut files = Vec::new();
    for (child, file) in started {
        let run = finish(child, LIMIT);
        assert_eq!(run.code, 0, "{}", run.stderr);
        files.push(file);
    }
    let (merged, json) = merge(&files, "p95");
    assert_eq!(merged.code, 0, "{}", merged.stderr);
    // Every sample of both instances, from their JSON outputs.
    let mut all: Vec<f64> = outs
        .iter()
        .flat_map(|out| {
            let text = std::fs::read_to_string(out).unwrap();
            text.lines()
                .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                .filter(|v| v["type"] == "Point" && v["metric"] == "http_req_duration")
                .map(|v| v["data"]["value"].as_f64().unwrap())
                .collect::<Vec<_>>()
        })
        .collect();
    all.sort_by(f64::total_cmp);
    assert_eq!(all.len(), 200);
    assert_eq!(metric(&json, "http_req_duration", "max"), all[199]);
    assert_eq!(metric(&json, "http_req_duration", "min"), all[0]);
    // The 190th of 200 samples, as one histogram of all of them gives it:
    // to its three significant digits of whole microseconds.
    let p95 = metric(&json, "http_req_duration", "p(95)");
    let exact = all[189];
    assert!(
        (exact - 0.0006..=exact * 1.001 + 0.001).contains(&p95),
        "merged p(95) {p95}, the 190th sample {exact}"
    );
}

#[test]
fn merge_refuses_what_is_not_a_result_file() {
    let json = scratch("not-a-result.json");
    std::fs::write(&json, "{\"metrics\": {}}").unwrap();
    let run = barrage(&["merge", json.to_str().unwrap()], LIMIT);
    assert_eq!(run.code, 104, "{}", run.stderr);
    assert!(
        run.stderr.contains("not a Barrage result file"),
        "{}",
        run.stderr
    );
    let run = barrage(&["merge", "no-such-part.bres"], LIMIT);
    assert_eq!(run.code, 104, "{}", run.stderr);
    assert!(
        run.stderr.contains("cannot open `no-such-part.bres`"),
        "{}",
        run.stderr
    );
    let empty = scratch("empty.bres");
    std::fs::write(&empty, "").unwrap();
    let run = barrage(&["merge", empty.to_str().unwrap()], LIMIT);
    assert_eq!(run.code, 104, "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    let run = barrage(&["merge"], LIMIT);
    assert_ne!(run.code, 0, "{}", run.stderr);
    let run = barrage(&["run", "x.wasm", "--execution-segment", "2/3:1/3"], LIMIT);
    assert_eq!(run.code, 104, "{}", run.stderr);
    assert!(run.stderr.contains("empty"), "{}", run.stderr);
}
