//! `--out prometheus-rw=URL`: Prometheus remote write (protocol 1.0).
//!
//! Every (metric, tag set) is a series that aggregates from the start of
//! the test; every push interval, the series that got samples since the
//! last push are sent, one sample each, stamped with their latest
//! sample's time. Names are `barrage_` + the metric's name + a suffix:
//! `_total` for counters, `_rate` for rates, none for gauges. A trend is
//! sent either as one gauge per statistic (`barrage_http_req_duration_p99`,
//! times in seconds), or as one native histogram
//! (`barrage_http_req_duration_seconds`). Tags become labels, `vu` and
//! `iter` excepted.
//!
//! Settings, besides the URL, come from the environment as k6 takes them:
//! `BARRAGE_PROMETHEUS_RW_PUSH_INTERVAL` (default `5s`),
//! `BARRAGE_PROMETHEUS_RW_TREND_STATS` (default `p(99)`) and
//! `BARRAGE_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM` (`true` needs
//! Prometheus started with `--enable-feature=native-histograms`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use prost::Message;

use super::{Batch, Context, Sink};
use crate::metrics::{
    Accumulator, Contains, MetricId, MetricKind, MetricValue, TagSetId, TrendStat,
};
use crate::vu::Shared;

/// Where pushes go when `--out prometheus-rw` names no URL.
const DEFAULT_URL: &str = "http://localhost:9090/api/v1/write";
/// Native histograms with 8 buckets per power of two.
const SCHEMA: i32 = 3;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub url: String,
    pub push_interval: Duration,
    pub trend_stats: Vec<String>,
    pub native_histograms: bool,
}

impl Config {
    pub fn parse(arg: &str, get: &dyn Fn(&str) -> Option<String>) -> Result<Config, String> {
        let url = if arg.is_empty() {
            get("BARRAGE_PROMETHEUS_RW_SERVER_URL").unwrap_or_else(|| DEFAULT_URL.into())
        } else {
            arg.to_owned()
        };
        let parsed = url::Url::parse(&url).map_err(|e| format!("`{url}` is not a URL: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(format!("`{url}` is not an http:// or https:// URL"));
        }
        let push_interval = match get("BARRAGE_PROMETHEUS_RW_PUSH_INTERVAL") {
            Some(v) => crate::duration::parse(&v)
                .ok()
                .filter(|d| !d.is_zero())
                .ok_or_else(|| {
                    format!("`BARRAGE_PROMETHEUS_RW_PUSH_INTERVAL`: `{v}` is not a duration")
                })?,
            None => Duration::from_secs(5),
        };
        let stats = get("BARRAGE_PROMETHEUS_RW_TREND_STATS").unwrap_or_else(|| "p(99)".into());
        let mut trend_stats = Vec::new();
        for s in stats.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if s != "sum" {
                TrendStat::parse(s)
                    .map_err(|e| format!("`BARRAGE_PROMETHEUS_RW_TREND_STATS`: {e}"))?;
            }
            trend_stats.push(s.to_owned());
        }
        let native_histograms = match get("BARRAGE_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM")
            .as_deref()
        {
            None | Some("" | "0" | "false") => false,
            Some("1" | "true") => true,
            Some(other) => {
                return Err(format!(
                    "`BARRAGE_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM`: expected true or false, \
                     got `{other}`"
                ));
            }
        };
        Ok(Config {
            url,
            push_interval,
            trend_stats,
            native_histograms,
        })
    }
}

/// The remote-write 1.0 messages, as Prometheus defines them.
mod proto {
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct WriteRequest {
        #[prost(message, repeated, tag = "1")]
        pub timeseries: Vec<TimeSeries>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct TimeSeries {
        #[prost(message, repeated, tag = "1")]
        pub labels: Vec<Label>,
        #[prost(message, repeated, tag = "2")]
        pub samples: Vec<Sample>,
        #[prost(message, repeated, tag = "4")]
        pub histograms: Vec<Histogram>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Label {
        #[prost(string, tag = "1")]
        pub name: String,
        #[prost(string, tag = "2")]
        pub value: String,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Sample {
        #[prost(double, tag = "1")]
        pub value: f64,
        #[prost(int64, tag = "2")]
        pub timestamp: i64,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Histogram {
        #[prost(uint64, tag = "1")]
        pub count_int: u64,
        #[prost(double, tag = "3")]
        pub sum: f64,
        #[prost(sint32, tag = "4")]
        pub schema: i32,
        #[prost(double, tag = "5")]
        pub zero_threshold: f64,
        #[prost(uint64, tag = "6")]
        pub zero_count_int: u64,
        #[prost(message, repeated, tag = "11")]
        pub positive_spans: Vec<BucketSpan>,
        #[prost(sint64, repeated, tag = "12")]
        pub positive_deltas: Vec<i64>,
        #[prost(int64, tag = "15")]
        pub timestamp: i64,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct BucketSpan {
        #[prost(sint32, tag = "1")]
        pub offset: i32,
        #[prost(uint32, tag = "2")]
        pub length: u32,
    }
}

struct Series {
    acc: Accumulator,
    /// The latest sample's time on the run's clock.
    at: u64,
    /// Whether samples came since the last push.
    fresh: bool,
}

pub struct RemoteWrite {
    config: Config,
    shared: Arc<Shared>,
    series: HashMap<(MetricId, TagSetId), Series>,
    /// Labels of each tag set, sorted, made on first use.
    labels: HashMap<TagSetId, Vec<proto::Label>>,
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
    /// Pushes that failed, and the first failure's reason.
    failures: u64,
    first_failure: Option<String>,
}

impl RemoteWrite {
    pub fn new(config: &Config, ctx: &Context) -> Result<RemoteWrite, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the prometheus-rw output: {e}"))?;
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(crate::http::tls_config())
            .timeout(Duration::from_secs(5))
            .no_proxy()
            .build()
            .map_err(|e| format!("cannot start the prometheus-rw output: {e}"))?;
        Ok(RemoteWrite {
            config: config.clone(),
            shared: ctx.shared.clone(),
            series: HashMap::new(),
            labels: HashMap::new(),
            runtime,
            client,
            failures: 0,
            first_failure: None,
        })
    }

    fn labels(&mut self, set: TagSetId) -> &[proto::Label] {
        let shared = &self.shared;
        self.labels.entry(set).or_insert_with(|| {
            let mut labels: Vec<proto::Label> = shared
                .tag_sets
                .get(set)
                .iter()
                .filter(|(k, v)| !v.is_empty() && *k != "vu" && *k != "iter")
                .map(|(k, v)| proto::Label {
                    name: label_name(k),
                    value: v.to_owned(),
                })
                .collect();
            labels.sort_by(|a, b| a.name.cmp(&b.name));
            labels
        })
    }

    /// The series that changed since the last push, as time series.
    fn fresh_series(&mut self) -> Vec<proto::TimeSeries> {
        let mut fresh: Vec<(MetricId, TagSetId)> = self
            .series
            .iter()
            .filter(|(_, s)| s.fresh)
            .map(|(k, _)| *k)
            .collect();
        fresh.sort();
        let mut out = Vec::new();
        for key in fresh {
            let def = self.shared.registry.def(key.0);
            let labels = self.labels(key.1).to_vec();
            let Some(series) = self.series.get_mut(&key) else {
                continue;
            };
            series.fresh = false;
            let ms = self
                .shared
                .clock
                .wall(series.at)
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_millis() as i64;
            let name = format!("barrage_{}", def.name);
            let scale = if def.contains == Contains::Time {
                1000.0
            } else {
                1.0
            };
            let one = |name: String, value: f64| proto::TimeSeries {
                labels: with_name(&labels, name),
                samples: vec![proto::Sample {
                    value,
                    timestamp: ms,
                }],
                histograms: Vec::new(),
            };
            match def.kind {
                MetricKind::Counter | MetricKind::Gauge | MetricKind::Rate => {
                    let (suffix, value) = match series.acc.value(&[]) {
                        MetricValue::Counter { count } => ("_total", count),
                        MetricValue::Gauge { value, .. } => ("", value),
                        MetricValue::Rate { trues, total } => {
                            ("_rate", MetricValue::rate(trues, total))
                        }
                        MetricValue::Trend(_) => continue,
                    };
                    out.push(one(format!("{name}{suffix}"), value));
                }
                MetricKind::Trend if self.config.native_histograms => {
                    let unit = match def.contains {
                        Contains::Time => "_seconds",
                        Contains::Data => "_bytes",
                        Contains::Default => "",
                    };
                    if let Some(h) = native_histogram(&series.acc, scale, ms) {
                        out.push(proto::TimeSeries {
                            labels: with_name(&labels, format!("{name}{unit}")),
                            samples: Vec::new(),
                            histograms: vec![h],
                        });
                    }
                }
                MetricKind::Trend => {
                    for stat in &self.config.trend_stats {
                        let value = if stat == "sum" {
                            series.acc.distribution().map_or(0.0, |d| d.sum)
                        } else {
                            let Ok(s) = TrendStat::parse(stat) else {
                                continue;
                            };
                            match series.acc.value(&[s]) {
                                MetricValue::Trend(t) => t.get(s).unwrap_or(0.0),
                                _ => continue,
                            }
                        };
                        let value = if stat == "count" {
                            value
                        } else {
                            value / scale
                        };
                        out.push(one(format!("{name}_{}", stat_suffix(stat)), value));
                    }
                }
            }
        }
        out
    }

    fn push(&mut self) -> Result<(), String> {
        let timeseries = self.fresh_series();
        if timeseries.is_empty() {
            return Ok(());
        }
        let body = proto::WriteRequest { timeseries }.encode_to_vec();
        let body = snap::raw::Encoder::new()
            .compress_vec(&body)
            .map_err(|e| format!("cannot compress a remote write: {e}"))?;
        let request = self
            .client
            .post(&self.config.url)
            .header("Content-Encoding", "snappy")
            .header("Content-Type", "application/x-protobuf")
            .header("X-Prometheus-Remote-Write-Version", "0.1.0")
            .header("User-Agent", concat!("barrage/", env!("CARGO_PKG_VERSION")))
            .body(body);
        let result = self.runtime.block_on(async {
            let response = request.send().await.map_err(|e| e.to_string())?;
            let status = response.status();
            if status.is_success() {
                return Ok(());
            }
            let text = response.text().await.unwrap_or_default();
            Err(format!("{status}: {}", text.trim()))
        });
        if let Err(e) = &result {
            self.failures += 1;
            if self.first_failure.is_none() {
                self.first_failure = Some(e.clone());
                tracing::error!("a push to {} failed: {e}", self.config.url);
            }
        }
        Ok(())
    }
}

impl Sink for RemoteWrite {
    fn write(&mut self, batch: &Batch) -> Result<(), String> {
        for (metric, tags, at, value) in batch.values() {
            let series = self.series.entry((metric, tags)).or_insert_with(|| Series {
                acc: Accumulator::new(self.shared.registry.def(metric).kind),
                at,
                fresh: true,
            });
            series.acc.add(at, value);
            series.at = series.at.max(at);
            series.fresh = true;
        }
        Ok(())
    }

    fn period(&self) -> Option<Duration> {
        Some(self.config.push_interval)
    }

    fn tick(&mut self) -> Result<(), String> {
        self.push()
    }

    fn finish(&mut self) -> Result<(), String> {
        self.push()?;
        match &self.first_failure {
            None => Ok(()),
            Some(first) => Err(format!(
                "{} push(es) to {} failed; the first: {first}",
                self.failures, self.config.url
            )),
        }
    }
}

fn with_name(labels: &[proto::Label], name: String) -> Vec<proto::Label> {
    let mut all = Vec::with_capacity(labels.len() + 1);
    all.push(proto::Label {
        name: "__name__".into(),
        value: name,
    });
    all.extend_from_slice(labels);
    all.sort_by(|a, b| a.name.cmp(&b.name));
    all
}

/// A tag name as a valid label name: `[a-zA-Z_][a-zA-Z0-9_]*`.
fn label_name(tag: &str) -> String {
    let mut name: String = tag
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    name
}

/// A statistic as a metric name suffix: `p(99.9)` is `p999`.
fn stat_suffix(stat: &str) -> String {
    stat.chars().filter(char::is_ascii_alphanumeric).collect()
}

/// A trend as a native histogram of `schema` 3, its values divided by
/// `scale` (milliseconds to seconds).
fn native_histogram(acc: &Accumulator, scale: f64, ms: i64) -> Option<proto::Histogram> {
    let crate::metrics::Distribution { count, sum, values } = acc.distribution()?;
    let mut zero = 0;
    let mut buckets: Vec<(i32, u64)> = Vec::new();
    for (value, n) in values {
        let v = value / scale;
        if v <= 0.0 {
            zero += n;
            continue;
        }
        // Bucket i holds (2^((i-1)/8), 2^(i/8)].
        let index = (v.log2() * f64::from(1 << SCHEMA)).ceil() as i32;
        match buckets.last_mut() {
            Some((last, c)) if *last == index => *c += n,
            _ => buckets.push((index, n)),
        }
    }
    let mut spans: Vec<proto::BucketSpan> = Vec::new();
    let mut deltas = Vec::with_capacity(buckets.len());
    let (mut previous_index, mut previous_count) = (None, 0i64);
    for (index, n) in buckets {
        match previous_index {
            Some(p) if index == p + 1 => {
                if let Some(span) = spans.last_mut() {
                    span.length += 1;
                }
            }
            Some(p) => spans.push(proto::BucketSpan {
                offset: index - p - 1,
                length: 1,
            }),
            None => spans.push(proto::BucketSpan {
                offset: index,
                length: 1,
            }),
        }
        let n = n as i64;
        deltas.push(n - previous_count);
        previous_count = n;
        previous_index = Some(index);
    }
    Some(proto::Histogram {
        count_int: count,
        sum: sum / scale,
        schema: SCHEMA,
        zero_threshold: 1e-128,
        zero_count_int: zero,
        positive_spans: spans,
        positive_deltas: deltas,
        timestamp: ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_come_from_the_url_and_the_environment() {
        let c = Config::parse("http://127.0.0.1:9090/api/v1/write", &|_| None).unwrap();
        assert_eq!(
            (c.push_interval, c.trend_stats.clone()),
            (Duration::from_secs(5), vec!["p(99)".to_owned()])
        );
        let env = |k: &str| match k {
            "BARRAGE_PROMETHEUS_RW_TREND_STATS" => Some("p(95),avg,sum".into()),
            "BARRAGE_PROMETHEUS_RW_PUSH_INTERVAL" => Some("1s".into()),
            "BARRAGE_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM" => Some("true".into()),
            _ => None,
        };
        let c = Config::parse("", &env).unwrap();
        assert_eq!(c.url, DEFAULT_URL);
        assert_eq!(c.trend_stats, ["p(95)", "avg", "sum"]);
        assert!(c.native_histograms);
        assert!(Config::parse("ftp://x", &|_| None).is_err());
        let bad = |k: &str| (k == "BARRAGE_PROMETHEUS_RW_TREND_STATS").then(|| "p95".to_owned());
        assert!(Config::parse("", &bad).is_err());
    }

    #[test]
    fn names_and_labels_are_what_prometheus_accepts() {
        assert_eq!(stat_suffix("p(99.9)"), "p999");
        assert_eq!(label_name("expected_response"), "expected_response");
        assert_eq!(label_name("my-tag.x"), "my_tag_x");
        assert_eq!(label_name("1st"), "_1st");
    }

    #[test]
    fn a_native_histogram_counts_every_sample_in_its_bucket() {
        let mut acc = Accumulator::new(MetricKind::Trend);
        // 1 s, 1 s, 2 s and 0: buckets 0 (up to 1 s) and 8 (up to 2 s).
        for ms in [1000.0, 1000.0, 2000.0, 0.0] {
            acc.add(0, ms);
        }
        let h = native_histogram(&acc, 1000.0, 7).unwrap();
        assert_eq!((h.count_int, h.zero_count_int, h.sum), (4, 1, 4.0));
        assert_eq!(
            h.positive_spans,
            [
                proto::BucketSpan {
                    offset: 0,
                    length: 1
                },
                proto::BucketSpan {
                    offset: 7,
                    length: 1
                }
            ]
        );
        assert_eq!(h.positive_deltas, [2, -1]);
    }
}
