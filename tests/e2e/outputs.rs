//! Outputs through the real binary: every sample in k6's JSON lines and
//! CSV rows (plain and gzip), counted against the server; outputs written
//! whole when a threshold aborts the test; Prometheus remote write into a
//! real Prometheus, queried through its API.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use barrage_tests::{Run, Server, barrage, export, guest, metric, run_against, scratch};
use serde_json::Value;

const LIMIT: Duration = Duration::from_secs(60);

fn read(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if path.extension().is_some_and(|e| e == "gz") {
        let mut text = String::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .unwrap();
        text
    } else {
        String::from_utf8(bytes).unwrap()
    }
}

/// Every line of a JSON output, parsed; fails on a line that is not JSON.
fn json_lines(path: &Path) -> Vec<Value> {
    read(path)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// Points per metric, checking that each metric's `Metric` line comes
/// once, before its first point.
fn points_per_metric(lines: &[Value]) -> BTreeMap<String, Vec<&Value>> {
    let mut announced = Vec::new();
    let mut points: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for line in lines {
        let metric = line["metric"].as_str().unwrap().to_owned();
        match line["type"].as_str() {
            Some("Metric") => {
                assert!(!announced.contains(&metric), "{metric} announced twice");
                assert_eq!(line["data"]["name"], metric.as_str());
                announced.push(metric);
            }
            Some("Point") => {
                assert!(announced.contains(&metric), "{metric} has a point first");
                points.entry(metric).or_default().push(&line["data"]);
            }
            other => panic!("unknown line type {other:?}"),
        }
    }
    points
}

/// The flow example with 2 VUs and 6 iterations: 14 requests.
fn flow(server: &Server, extra: &[&str]) -> (Run, Value) {
    let mut args = vec!["--vus", "2", "--iterations", "6"];
    args.extend(extra);
    run_against("flow", server, &args)
}

#[test]
fn json_and_csv_outputs_hold_every_sample() {
    let server = Server::start();
    let json = scratch("out-samples.json");
    let gz = scratch("out-samples.json.gz");
    let csv = scratch("out-samples.csv");
    let (run, summary) = flow(
        &server,
        &[
            "--system-tags",
            "status,method,name,group,check,scenario,vu,iter",
            "--out",
            &format!("json={}", json.display()),
            "-o",
            &format!("json={}", gz.display()),
            "-o",
            &format!("csv={}", csv.display()),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines = json_lines(&json);
    let points = points_per_metric(&lines);
    let reqs = &points["http_reqs"];
    assert_eq!(reqs.len() as u64, server.requests());
    assert_eq!(reqs.len() as f64, metric(&summary, "http_reqs", "count"));
    assert_eq!(points["iterations"].len(), 6);
    assert_eq!(points["items_created"].len(), 6);
    // k6's point layout: time, value, sorted tags, vu and iter metadata.
    let first = reqs[0];
    assert!(first["time"].as_str().unwrap().ends_with('Z'), "{first}");
    assert_eq!(first["value"], 1);
    assert_eq!(first["tags"]["method"], "POST");
    assert_eq!(first["tags"]["group"], "::login");
    assert!(first["metadata"]["vu"].as_str().is_some(), "{first}");
    let lists = reqs
        .iter()
        .filter(|p| p["tags"]["group"] == "::list")
        .count();
    assert_eq!(lists, 6);
    let iters: Vec<&str> = points["iterations"]
        .iter()
        .map(|p| p["metadata"]["iter"].as_str().unwrap())
        .collect();
    assert!(iters.contains(&"0") && iters.contains(&"2"), "{iters:?}");
    // The gzip copy holds the same lines.
    assert_eq!(json_lines(&gz).len(), lines.len());

    let text = read(&csv);
    let mut rows = text.lines();
    assert_eq!(
        rows.next().unwrap(),
        "metric_name,timestamp,metric_value,check,group,method,name,scenario,status,\
         extra_tags,metadata"
    );
    let reqs: Vec<&str> = rows.filter(|r| r.starts_with("http_reqs,")).collect();
    assert_eq!(reqs.len(), 14);
    assert!(reqs[0].contains(",1.000000,"), "{}", reqs[0]);
    assert!(
        reqs[0].ends_with("iter=0&vu=1") || reqs[0].ends_with("iter=0&vu=2"),
        "{}",
        reqs[0]
    );
}

#[test]
fn an_aborted_test_still_writes_every_output() {
    let json = scratch("abort-samples.json");
    let csv = scratch("abort-samples.csv.gz");
    let config = scratch("abort-out-config.json");
    // Every request is refused; the threshold stops the test at 2 s.
    std::fs::write(
        &config,
        r#"{"vus": 2, "duration": "40s", "thresholds": {
            "http_req_failed": [{"threshold": "rate<0.01", "abortOnFail": true}]}}"#,
    )
    .unwrap();
    let out = scratch("abort-out.json");
    let wasm = guest("misbehave");
    let run = barrage(
        &[
            "run",
            wasm.to_str().unwrap(),
            "-e",
            "TARGET=http://127.0.0.1:9/",
            "--config",
            config.to_str().unwrap(),
            "-q",
            "--summary-export",
            out.to_str().unwrap(),
            "-o",
            &format!("json={}", json.display()),
            "-o",
            &format!("csv={}", csv.display()),
        ],
        LIMIT,
    );
    assert_eq!(run.code, 99, "{}", run.stderr);
    let summary = export(&out);
    let reqs = metric(&summary, "http_reqs", "count");
    assert!(reqs > 0.0);
    let lines = json_lines(&json);
    let points = points_per_metric(&lines);
    assert_eq!(points["http_reqs"].len() as f64, reqs);
    let failed = points["http_req_failed"]
        .iter()
        .filter(|p| p["value"] == 1)
        .count();
    assert_eq!(failed as f64, reqs);
    let rows = read(&csv)
        .lines()
        .filter(|r| r.starts_with("http_reqs,"))
        .count();
    assert_eq!(rows as f64, reqs);
}

#[test]
fn bad_outputs_are_refused_before_the_test() {
    for (out, message) in [
        (
            "influxdb=http://127.0.0.1:8086",
            "unknown output `influxdb`",
        ),
        ("json=", "`--out json` needs a file"),
        (
            "json=/nonexistent-dir/x.json",
            "cannot create `/nonexistent-dir/x.json`",
        ),
        ("csv=timeFormat=iso", "unknown csv timeFormat `iso`"),
        (
            "prometheus-rw=ftp://127.0.0.1/",
            "is not an http:// or https:// URL",
        ),
    ] {
        let run = barrage(
            &["run", guest("hello").to_str().unwrap(), "-q", "-o", out],
            LIMIT,
        );
        assert_eq!(run.code, 104, "{out}: {}", run.stderr);
        assert!(run.stderr.contains(message), "{out}: {}", run.stderr);
        assert!(!run.stdout.contains("TOTAL RESULTS"), "{out}: nothing ran");
    }
}

/// A Prometheus server on a free loopback port with remote write (and
/// native histograms) on, stopped when dropped.
struct Prometheus {
    child: Child,
    port: u16,
}

impl Prometheus {
    /// `None` when Debian's `prometheus` is not installed, unless
    /// `BARRAGE_REQUIRE_PROMETHEUS` is set (as CI sets it), which makes a
    /// missing server a failure.
    fn start(name: &str) -> Option<Prometheus> {
        let found = Command::new("prometheus").arg("--version").output().is_ok();
        if !found {
            assert!(
                std::env::var_os("BARRAGE_REQUIRE_PROMETHEUS").is_none(),
                "prometheus is not installed (`apt-get install prometheus`)"
            );
            eprintln!("skipped: prometheus is not installed");
            return None;
        }
        let dir = scratch(&format!("prometheus-{name}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let config = dir.join("prometheus.yml");
        std::fs::write(
            &config,
            "global:\n  scrape_interval: 15s\nscrape_configs: []\n",
        )
        .unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--web.enable-remote-write-receiver")
            .arg("--enable-feature=native-histograms")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let prometheus = Prometheus { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while get(port, "/-/ready").is_none_or(|r| !r.contains("Ready")) {
            assert!(Instant::now() < deadline, "prometheus did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(prometheus)
    }

    fn write_url(&self) -> String {
        format!("http://127.0.0.1:{}/api/v1/write", self.port)
    }

    /// The value of an instant query that returns one number.
    fn number(&self, query: &str) -> Option<f64> {
        let encoded: String = query
            .bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect();
        let body = get(self.port, &format!("/api/v1/query?query={encoded}"))?;
        let json: Value = serde_json::from_str(&body).ok()?;
        json["data"]["result"][0]["value"][1].as_str()?.parse().ok()
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plain HTTP GET on loopback; the body, or `None` if it failed.
fn get(port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    let ok = head.split(' ').nth(1) == Some("200");
    ok.then(|| body.to_owned())
}

#[test]
fn prometheus_receives_every_series() {
    let Some(prometheus) = Prometheus::start("rw") else {
        return;
    };
    let server = Server::start();
    let url = format!("prometheus-rw={}", prometheus.write_url());
    let (run, _) = flow(&server, &["-o", &url]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let wait_for = |query: &str| {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(v) = prometheus.number(query) {
                return v;
            }
            assert!(Instant::now() < deadline, "no answer to {query}");
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    assert_eq!(wait_for("sum(barrage_http_reqs_total)"), 14.0);
    assert_eq!(
        wait_for(r#"sum(barrage_http_reqs_total{group="::list",method="GET"})"#),
        6.0
    );
    assert_eq!(wait_for("sum(barrage_iterations_total)"), 6.0);
    assert_eq!(
        wait_for("barrage_http_req_failed_rate{group=\"::list\"}"),
        0.0
    );
    let p99 = wait_for("max(barrage_http_req_duration_p99)");
    assert!(p99 > 0.0 && p99 < 10.0, "seconds: {p99}");

    // Trends as native histograms: every request counted in one.
    let wasm = guest("flow");
    let run = Command::new(barrage_tests::binary())
        .args([
            "run",
            wasm.to_str().unwrap(),
            "-e",
            &format!("TARGET={}", server.url()),
            "-e",
            "SLEEP=0",
            "--iterations",
            "5",
            "-q",
            "--tag",
            "run=native",
            "-o",
            &url,
        ])
        .env("BARRAGE_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM", "true")
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let count =
        wait_for(r#"sum(histogram_count(barrage_http_req_duration_seconds{run="native"}))"#);
    // One login, then a list and a create per iteration.
    assert_eq!(count, 11.0);
}
