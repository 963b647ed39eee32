//! Tags through the real binary: samples aggregated per tag set, counted
//! exactly against a real server; sub-metrics in thresholds, in
//! `--summary-tags` and in `--summary-mode full`; `--tag` and
//! `--system-tags`; windowed thresholds.

use barrage_tests::{Run, Server, metric, run_against, scratch};

/// The flow example (a login per VU in `init`, then `list` and `create`
/// groups each iteration) with 2 VUs and 6 iterations: 2 logins, 6 lists,
/// 6 creates; `options` is given as a `--config` file.
fn flow(name: &str, server: &Server, options: &str, extra: &[&str]) -> (Run, serde_json::Value) {
    let config = scratch(&format!("{name}-config.json"));
    std::fs::write(&config, options).unwrap();
    let mut args = vec![
        "--vus",
        "2",
        "--iterations",
        "6",
        "--config",
        config.to_str().unwrap(),
    ];
    args.extend(extra);
    run_against("flow", server, &args)
}

#[test]
fn samples_are_counted_per_tag_set() {
    let server = Server::start();
    let options = r#"{"thresholds": {
        "http_reqs{group:::login}": ["count==2"],
        "http_reqs{group:::list}": ["count==6"],
        "http_reqs{group:::create, method:POST, status:201}": ["count==6"],
        "http_reqs{method:POST}": ["count==8"],
        "http_reqs{team:shop}": ["count==14"],
        "checks{check:create status is 201}": ["rate==1"],
        "group_duration{group:::list}": ["max<60000"],
        "iterations{scenario:default}": ["count==6"],
        "items_created{group:::create}": ["count==6"]
    }}"#;
    let (run, json) = flow("per-set", &server, options, &["--tag", "team=shop"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(server.requests(), 14);
    assert_eq!(metric(&json, "http_reqs", "count"), 14.0);
    // Each sub-metric is in the export under its sorted tags, exactly.
    for (name, count) in [
        ("http_reqs{group:::login}", 2.0),
        ("http_reqs{group:::list}", 6.0),
        ("http_reqs{group:::create,method:POST,status:201}", 6.0),
        ("http_reqs{method:POST}", 8.0),
        ("http_reqs{team:shop}", 14.0),
        ("iterations{scenario:default}", 6.0),
        ("items_created{group:::create}", 6.0),
    ] {
        assert_eq!(metric(&json, name, "count"), count, "{name}");
    }
    let list = &json["metrics"]["group_duration{group:::list}"];
    assert!(list["max"].as_f64().unwrap() > 0.0, "{list}");
    assert_eq!(
        metric(&json, "checks{check:create status is 201}", "passes"),
        6.0
    );
    // k6's sub-metric of expected responses is always there.
    assert!(
        run.stdout.contains("{ expected_response:true }"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("✓ 'count==6'") && !run.stdout.contains('✗'),
        "{}",
        run.stdout
    );
}

#[test]
fn a_sub_metric_threshold_fails_on_its_own_samples() {
    let server = Server::start();
    // 14 requests in all, but only 6 in `list`.
    let options = r#"{"thresholds": {
        "http_reqs": ["count==14"],
        "http_reqs{group:::list}": ["count>6"]}}"#;
    let (run, json) = flow("sub-fails", &server, options, &[]);
    assert_eq!(run.code, 99, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("✗ 'count>6' count=6"), "{}", run.stdout);
    assert_eq!(
        run.stderr.trim(),
        "error: thresholds on `http_reqs{group:::list}` were crossed"
    );
    assert_eq!(
        json["metrics"]["http_reqs{group:::list}"]["thresholds"]["count>6"],
        true
    );
}

#[test]
fn system_tags_choose_what_is_recorded() {
    let server = Server::start();
    let options = r#"{"systemTags": ["status"], "thresholds": {
        "http_reqs{status:200}": ["count==8"],
        "http_reqs{status:201}": ["count==6"],
        "http_reqs{group:::list}": ["count==6"]}}"#;
    let (run, json) = flow("system", &server, options, &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(metric(&json, "http_reqs{status:201}", "count"), 6.0);
    // Without the `group` tag, no sample is in `list`: not judged.
    assert!(
        run.stdout.contains("✓ 'count==6' (no samples, not judged)"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("expected_response"), "{}", run.stdout);
    // A flag replaces the options' list.
    let (run, json) = flow("system-flag", &server, options, &["--system-tags", "group"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(metric(&json, "http_reqs{group:::list}", "count"), 6.0);
    let bad = flow("system-bad", &server, "{}", &["--system-tags", "stauts"]).0;
    assert_eq!(bad.code, 104, "{}", bad.stderr);
    assert!(
        bad.stderr.contains("unknown system tag `stauts`"),
        "{}",
        bad.stderr
    );
}

#[test]
fn summary_tags_and_full_mode_show_sub_metrics_without_thresholds() {
    let server = Server::start();
    let extra = ["--summary-tags", "method", "--summary-mode", "full"];
    let (run, json) = flow("summary-tags", &server, "{}", &extra);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(metric(&json, "http_reqs{method:GET}", "count"), 6.0);
    assert_eq!(metric(&json, "http_reqs{method:POST}", "count"), 8.0);
    let out = &run.stdout;
    let line = out
        .lines()
        .find(|l| l.trim_start().starts_with("{ method:POST }") && l.contains("8 "))
        .unwrap_or_else(|| panic!("no POST line under http_reqs:\n{out}"));
    assert!(line.contains(": 8"), "{line}");
    for block in [
        "█ SCENARIO: default",
        "█ GROUP: ::create",
        "█ GROUP: ::list",
        "█ GROUP: ::login",
    ] {
        assert!(out.contains(block), "{block} missing:\n{out}");
    }
    // The `list` block holds only its 6 requests and its checks.
    let list = &out[out.find("█ GROUP: ::list").unwrap()..];
    let list = &list[..list.find("█ GROUP: ::login").unwrap()];
    assert!(list.contains("✓ list status is 200"), "{list}");
    assert!(!list.contains("create status"), "{list}");
    let reqs = list.lines().find(|l| l.contains("http_reqs")).unwrap();
    assert!(reqs.contains(": 6 "), "{reqs}");
}

#[test]
fn a_windowed_threshold_judges_the_last_stretch() {
    let server = Server::start();
    // Over the run, 6 iterations; in no window of 1 s can there be more.
    let options = r#"{"thresholds": {
        "iterations": ["count<=6 over 1s", "count>6 over 1s"]}}"#;
    let (run, json) = flow("window", &server, options, &[]);
    assert_eq!(run.code, 99, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("✓ 'count<=6 over 1s'"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("✗ 'count>6 over 1s'"), "{}", run.stdout);
    assert_eq!(
        json["metrics"]["iterations"]["thresholds"]["count>6 over 1s"],
        true
    );
    let bad = flow(
        "window-bad",
        &server,
        r#"{"thresholds": {"iterations": ["count<1 over x"]}}"#,
        &[],
    )
    .0;
    assert_eq!(bad.code, 104, "{}", bad.stderr);
    assert!(
        bad.stderr
            .contains("`x` in `count<1 over x` is not a window"),
        "{}",
        bad.stderr
    );
}
