//! Custom metrics: counters, gauges, rates and trends of the scenario's own.
//!
//! Each type wraps one metric the host defined; samples go to the host,
//! which aggregates them alongside the built-in `http_req_*` metrics and
//! checks them against thresholds. Define metrics once, in
//! [`Scenario::init`](crate::Scenario::init), and keep them in the
//! scenario's state: defining is a host call that can fail, adding is cheap.

use std::time::Duration;

use crate::bindings::barrage::scenario::metrics::{Metric, MetricKind};
use crate::{Error, Result, owned_tags};

fn define(name: &str, kind: MetricKind, is_time: bool) -> Result<Metric> {
    Metric::define(name, kind, is_time)
        .map_err(|reason| Error::new(format!("cannot define metric `{name}`: {reason}")))
}

/// A sum that only grows: its count and its rate per second.
///
/// ```no_run
/// # fn run() -> barrage_sdk::Result<()> {
/// use barrage_sdk::Counter;
///
/// let created = Counter::new("items_created")?;
/// created.add(1.0);
/// created.add_tagged(1.0, &[("kind", "draft")]);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Counter(Metric);

impl Counter {
    /// Defines the counter `name`, or finds the one already defined.
    ///
    /// Fails when the name is invalid or names a metric of another kind.
    pub fn new(name: &str) -> Result<Self> {
        define(name, MetricKind::Counter, false).map(Counter)
    }

    /// Adds `value` to the sum.
    pub fn add(&self, value: f64) {
        self.0.add(value, &[]);
    }

    /// Adds `value` to the sum, with extra tags on this sample.
    pub fn add_tagged(&self, value: f64, tags: &[(&str, &str)]) {
        self.0.add(value, &owned_tags(tags));
    }
}

/// The last value set, with its minimum and maximum.
///
/// ```no_run
/// # fn run() -> barrage_sdk::Result<()> {
/// use barrage_sdk::Gauge;
///
/// let queue = Gauge::new("queue_length")?;
/// queue.set(12.0);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Gauge(Metric);

impl Gauge {
    /// Defines the gauge `name`, or finds the one already defined.
    ///
    /// Fails when the name is invalid or names a metric of another kind.
    pub fn new(name: &str) -> Result<Self> {
        define(name, MetricKind::Gauge, false).map(Gauge)
    }

    /// Sets the gauge to `value`.
    pub fn set(&self, value: f64) {
        self.0.add(value, &[]);
    }

    /// Sets the gauge to `value`, with extra tags on this sample.
    pub fn set_tagged(&self, value: f64, tags: &[(&str, &str)]) {
        self.0.add(value, &owned_tags(tags));
    }
}

/// The share of samples that were true.
///
/// ```no_run
/// # fn run() -> barrage_sdk::Result<()> {
/// use barrage_sdk::Rate;
///
/// let cache_hits = Rate::new("cache_hit")?;
/// cache_hits.add(true);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Rate(Metric);

impl Rate {
    /// Defines the rate `name`, or finds the one already defined.
    ///
    /// Fails when the name is invalid or names a metric of another kind.
    pub fn new(name: &str) -> Result<Self> {
        define(name, MetricKind::Rate, false).map(Rate)
    }

    /// Adds one sample, true or false.
    pub fn add(&self, value: bool) {
        self.0.add(f64::from(u8::from(value)), &[]);
    }

    /// Adds one sample, with extra tags on it.
    pub fn add_tagged(&self, value: bool, tags: &[(&str, &str)]) {
        self.0.add(f64::from(u8::from(value)), &owned_tags(tags));
    }
}

/// A distribution: average, minimum, median, maximum and percentiles.
///
/// ```no_run
/// # fn run() -> barrage_sdk::Result<()> {
/// use std::time::Duration;
/// use barrage_sdk::Trend;
///
/// let payload = Trend::new("payload_bytes")?;
/// payload.add(512.0);
///
/// let login = Trend::time("login_duration")?;
/// login.add_duration(Duration::from_millis(42));
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Trend(Metric);

impl Trend {
    /// Defines the trend `name` of plain numbers, or finds the one already
    /// defined.
    ///
    /// Fails when the name is invalid or names a metric of another kind.
    pub fn new(name: &str) -> Result<Self> {
        define(name, MetricKind::Trend, false).map(Trend)
    }

    /// Defines the trend `name` of durations in milliseconds, which the
    /// summary prints as times.
    ///
    /// Fails when the name is invalid or names a metric of another kind.
    pub fn time(name: &str) -> Result<Self> {
        define(name, MetricKind::Trend, true).map(Trend)
    }

    /// Adds one sample; for a time trend, in milliseconds.
    pub fn add(&self, value: f64) {
        self.0.add(value, &[]);
    }

    /// Adds one sample, with extra tags on it.
    pub fn add_tagged(&self, value: f64, tags: &[(&str, &str)]) {
        self.0.add(value, &owned_tags(tags));
    }

    /// Adds a duration, in milliseconds.
    pub fn add_duration(&self, duration: Duration) {
        self.add(duration.as_secs_f64() * 1000.0);
    }
}
