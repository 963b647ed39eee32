//! Thresholds: pass/fail criteria on metrics, in k6's syntax.
//!
//! `"thresholds": {"http_req_duration": ["p(95)<500"], "http_req_failed":
//! [{"threshold": "rate<0.01", "abortOnFail": true}]}`. A threshold names
//! one statistic of its metric: `avg`, `min`, `med`, `max` or `p(N)` of a
//! trend, `rate` of a rate, `count` or `rate` (per second) of a counter,
//! `value` of a gauge. A metric written with tags,
//! `http_req_duration{status:200,scenario:browse}`, is the sub-metric of
//! the samples carrying all of them.
//!
//! Beyond k6, `p(95)<300 over 30s` judges only the samples of the last
//! 30 seconds, at every evaluation: it fails the run if any such window
//! crossed it, so a regression late in a long test is not averaged away.
//!
//! Thresholds are judged every two seconds while the test runs (for
//! `abortOnFail` and windows) and once at its end; any failure makes the
//! run exit with 99.

use std::fmt;
use std::time::Duration;

use crate::metrics::{
    Aggregates, MetricKind, MetricValue, Registry, TagFilter, TagSets, TrendStat,
};

/// How often thresholds with `abortOnFail` are judged during a run.
pub const EVALUATION_INTERVAL: Duration = Duration::from_secs(2);

/// The statistic a threshold judges.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stat {
    Trend(TrendStat),
    /// A rate's share of true samples, or a counter's count per second.
    Rate,
    Count,
    Value,
}

impl fmt::Display for Stat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stat::Trend(s) => write!(f, "{s}"),
            Stat::Rate => f.write_str("rate"),
            Stat::Count => f.write_str("count"),
            Stat::Value => f.write_str("value"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl Op {
    fn holds(self, a: f64, b: f64) -> bool {
        match self {
            Op::Lt => a < b,
            Op::Le => a <= b,
            Op::Gt => a > b,
            Op::Ge => a >= b,
            Op::Eq => a == b,
            Op::Ne => a != b,
        }
    }
}

/// One threshold of one metric.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    /// The metric as written, e.g. `http_req_duration{status:200}`.
    pub metric: String,
    /// The metric's own name, e.g. `http_req_duration`.
    pub name: String,
    /// The tags of a sub-metric; empty for the whole metric.
    pub filter: TagFilter,
    /// The expression as written, e.g. `p(95)<500`.
    pub source: String,
    /// Judge only the samples of this last stretch of the run.
    pub window: Option<Duration>,
    pub stat: Stat,
    pub op: Op,
    pub limit: f64,
    /// Stop the test as soon as this threshold fails.
    pub abort_on_fail: bool,
    /// With `abort_on_fail`: judge it only after this much of the run.
    pub delay_abort_eval: Duration,
}

// Limits are parsed finite numbers, so equality is reflexive.
impl Eq for Threshold {}

impl Threshold {
    /// Parses an expression such as `p(95) < 500` for `metric`, which may
    /// select tags (`http_req_duration{status:200}`).
    pub fn parse(metric: &str, source: &str) -> Result<Threshold, String> {
        let (name, filter) = TagFilter::split(metric)?;
        let (expr, window) = match source.split_once(" over ") {
            Some((expr, window)) => {
                let width = crate::duration::parse(window.trim())
                    .ok()
                    .filter(|d| !d.is_zero())
                    .ok_or_else(|| {
                        format!(
                            "`{}` in `{source}` is not a window: write a duration such as \
                             `p(95)<300 over 30s`",
                            window.trim()
                        )
                    })?;
                (expr, Some(width))
            }
            None => (source, None),
        };
        let mut t = Threshold::expression(metric, expr)?;
        t.name = name.to_owned();
        t.filter = filter;
        t.source = source.to_owned();
        t.window = window;
        Ok(t)
    }

    fn expression(metric: &str, source: &str) -> Result<Threshold, String> {
        const OPS: [(&str, Op); 8] = [
            ("===", Op::Eq),
            ("==", Op::Eq),
            ("!=", Op::Ne),
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("<", Op::Lt),
            (">", Op::Gt),
            ("=", Op::Eq),
        ];
        let found = source
            .char_indices()
            .find_map(|(i, _)| {
                OPS.iter()
                    .find(|(text, _)| source[i..].starts_with(text))
                    .map(|&(text, op)| (i, text.len(), op))
            })
            .ok_or_else(|| {
                format!(
                    "`{source}` has no comparison: expected a statistic, an operator and a \
                     number, e.g. `p(95)<500`"
                )
            })?;
        let (at, len, op) = found;
        let stat = source[..at].trim();
        let limit = source[at + len..].trim();
        let stat = match stat {
            "rate" => Stat::Rate,
            "count" => Stat::Count,
            "value" => Stat::Value,
            other => Stat::Trend(TrendStat::parse(other).map_err(|_| {
                format!(
                    "unknown statistic `{other}` in `{source}` (expected avg, min, med, max, \
                     p(N), rate, count or value)"
                )
            })?),
        };
        let limit = limit
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("`{limit}` in `{source}` is not a number"))?;
        Ok(Threshold {
            metric: metric.to_owned(),
            name: metric.to_owned(),
            filter: TagFilter::default(),
            source: source.to_owned(),
            window: None,
            stat,
            op,
            limit,
            abort_on_fail: false,
            delay_abort_eval: Duration::ZERO,
        })
    }

    /// The metric as the summary names it: its tags sorted,
    /// `http_req_duration{scenario:browse,status:200}`.
    pub fn key(&self) -> String {
        format!("{}{}", self.name, self.filter)
    }

    /// Checks that the metric exists and has the statistic; custom metrics
    /// exist once the VUs have run `init`.
    pub fn check(&self, registry: &Registry) -> Result<(), String> {
        let Some(id) = registry.id(&self.name) else {
            let what = if self.filter.is_empty() {
                "no metric of this name".to_owned()
            } else {
                format!("no metric named `{}`", self.name)
            };
            return Err(format!("thresholds.{}: {what}", self.metric));
        };
        let kind = registry.def(id).kind;
        let fits = match (self.stat, kind) {
            (Stat::Trend(TrendStat::Count), _) => false,
            (Stat::Trend(_), MetricKind::Trend)
            | (Stat::Rate, MetricKind::Rate | MetricKind::Counter)
            | (Stat::Count, MetricKind::Counter)
            | (Stat::Value, MetricKind::Gauge) => true,
            _ => false,
        };
        if fits {
            return Ok(());
        }
        let allowed = match kind {
            MetricKind::Trend => "avg, min, med, max or p(N)",
            MetricKind::Rate => "rate",
            MetricKind::Counter => "count or rate",
            MetricKind::Gauge => "value",
        };
        Err(format!(
            "thresholds.{}: `{}` does not apply to a {}; use {allowed}",
            self.metric,
            self.stat,
            kind.name()
        ))
    }
}

/// A threshold's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub threshold: Threshold,
    /// The statistic's value; `None` when the metric has no samples, and
    /// then the threshold is not judged, as in k6. For a window that
    /// crossed the threshold, its value then.
    pub measured: Option<f64>,
    pub passed: bool,
    /// When a windowed threshold's window crossed it, into the run.
    pub failed_at: Option<Duration>,
}

/// Judges a run's thresholds, and remembers the windows that crossed.
#[derive(Debug)]
pub struct Judge {
    thresholds: Vec<Threshold>,
    /// Each windowed threshold's window in the aggregates.
    windows: Vec<Option<usize>>,
    /// The first window that crossed each threshold: value and time.
    crossed: Vec<Option<(f64, Duration)>>,
}

impl Judge {
    /// Sets up the judging of `thresholds`, making the aggregates keep
    /// the windows they need.
    pub fn new(
        thresholds: Vec<Threshold>,
        registry: &Registry,
        aggregates: &mut Aggregates,
    ) -> Self {
        let windows = thresholds
            .iter()
            .map(|t| {
                let width = t.window?;
                let id = registry.id(&t.name)?;
                Some(aggregates.watch_window(id, t.filter.clone(), width))
            })
            .collect();
        let crossed = vec![None; thresholds.len()];
        Judge {
            thresholds,
            windows,
            crossed,
        }
    }

    /// Whether anything needs judging while the test runs.
    pub fn watches(&self) -> bool {
        self.thresholds
            .iter()
            .any(|t| t.abort_on_fail || t.window.is_some())
    }

    /// Judges every threshold against the aggregates `elapsed` into the
    /// run, `now` being the same instant on the samples' clock.
    pub fn judge(
        &mut self,
        registry: &Registry,
        tags: &TagSets,
        aggregates: &Aggregates,
        elapsed: Duration,
        now: u64,
    ) -> Vec<Verdict> {
        let mut verdicts = Vec::with_capacity(self.thresholds.len());
        for (i, t) in self.thresholds.iter().enumerate() {
            let stats = match t.stat {
                Stat::Trend(s) => vec![s],
                _ => Vec::new(),
            };
            let (value, span) = match self.windows[i] {
                Some(w) => (
                    aggregates.window_value(w, now, &stats),
                    t.window.unwrap_or(elapsed).min(elapsed),
                ),
                None => {
                    let value = registry
                        .id(&t.name)
                        .and_then(|id| aggregates.value_matching(id, &stats, &t.filter, tags));
                    (value, elapsed)
                }
            };
            let measured = value.and_then(|v| statistic(t.stat, v, span));
            let passed = measured.is_none_or(|v| t.op.holds(v, t.limit));
            if !passed && t.window.is_some() && self.crossed[i].is_none() {
                self.crossed[i] = measured.map(|v| (v, elapsed));
            }
            verdicts.push(match self.crossed[i] {
                Some((value, at)) => Verdict {
                    threshold: t.clone(),
                    measured: Some(value),
                    passed: false,
                    failed_at: Some(at),
                },
                None => Verdict {
                    threshold: t.clone(),
                    measured,
                    passed,
                    failed_at: None,
                },
            });
        }
        verdicts
    }
}

/// The statistic a threshold judges, from its metric's value over `span`
/// of the run (a counter's rate is per second of it).
fn statistic(stat: Stat, value: MetricValue, span: Duration) -> Option<f64> {
    match (stat, value) {
        (Stat::Trend(s), MetricValue::Trend(v)) => v.get(s),
        (Stat::Rate, MetricValue::Rate { trues, total }) => Some(MetricValue::rate(trues, total)),
        (Stat::Rate, MetricValue::Counter { count }) => {
            let secs = span.as_secs_f64();
            Some(if secs > 0.0 { count / secs } else { 0.0 })
        }
        (Stat::Count, MetricValue::Counter { count }) => Some(count),
        (Stat::Value, MetricValue::Gauge { value, .. }) => Some(value),
        _ => None,
    }
}

/// "thresholds on `a`, `b` were crossed", naming each metric whose
/// threshold failed once; `None` when all passed.
pub fn crossed(verdicts: &[Verdict]) -> Option<String> {
    let mut metrics: Vec<&str> = verdicts
        .iter()
        .filter(|v| !v.passed)
        .map(|v| v.threshold.metric.as_str())
        .collect();
    metrics.dedup();
    if metrics.is_empty() {
        return None;
    }
    let named: Vec<String> = metrics.iter().map(|m| format!("`{m}`")).collect();
    Some(format!("thresholds on {} were crossed", named.join(", ")))
}

/// The first threshold with `abortOnFail` that failed, past its delay.
pub fn abort_reason(verdicts: &[Verdict], elapsed: Duration) -> Option<&Verdict> {
    verdicts
        .iter()
        .find(|v| !v.passed && v.threshold.abort_on_fail && elapsed >= v.threshold.delay_abort_eval)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{Builtin, Contains, MetricId, TagList};

    fn t(metric: &str, source: &str) -> Threshold {
        Threshold::parse(metric, source).unwrap()
    }

    #[test]
    fn expressions_parse_as_k6_writes_them() {
        let p95 = t("http_req_duration", "p(95) < 500");
        assert_eq!(
            (p95.stat, p95.op, p95.limit),
            (Stat::Trend(TrendStat::Percentile(95.0)), Op::Lt, 500.0)
        );
        assert_eq!(t("x", "rate<=0.01").op, Op::Le);
        assert_eq!(t("x", "count>=10").stat, Stat::Count);
        assert_eq!(t("x", "value==3").op, Op::Eq);
        assert_eq!(t("x", "avg===3").op, Op::Eq);
        assert_eq!(t("x", "med!=3").op, Op::Ne);
        assert_eq!(t("x", "p(99.9)>1.5e2").limit, 150.0);
    }

    #[test]
    fn bad_expressions_say_what_is_wrong() {
        let e = |s: &str| Threshold::parse("x", s).unwrap_err();
        assert_eq!(
            e("p95"),
            "`p95` has no comparison: expected a statistic, an operator and a number, \
             e.g. `p(95)<500`"
        );
        assert_eq!(
            e("p(101)<5"),
            "unknown statistic `p(101)` in `p(101)<5` (expected avg, min, med, max, p(N), \
             rate, count or value)"
        );
        assert_eq!(e("avg<fast"), "`fast` in `avg<fast` is not a number");
    }

    #[test]
    fn a_statistic_must_fit_its_metric() {
        let registry = Registry::default();
        assert!(t("http_req_duration", "p(95)<1").check(&registry).is_ok());
        assert!(t("http_reqs", "rate>1").check(&registry).is_ok());
        assert_eq!(
            t("http_req_failed", "p(95)<1")
                .check(&registry)
                .unwrap_err(),
            "thresholds.http_req_failed: `p(95)` does not apply to a rate; use rate"
        );
        assert_eq!(
            t("nope", "rate<1").check(&registry).unwrap_err(),
            "thresholds.nope: no metric of this name"
        );
        let sub = t("http_req_duration{status:200, scenario:browse}", "avg<1");
        assert!(sub.check(&registry).is_ok());
        assert_eq!(sub.key(), "http_req_duration{scenario:browse,status:200}");
        assert_eq!(
            t("nope{status:200}", "avg<1").check(&registry).unwrap_err(),
            "thresholds.nope{status:200}: no metric named `nope`"
        );
    }

    #[test]
    fn windows_parse_after_the_expression() {
        let w = t("http_req_duration", "p(95)<300 over 30s");
        assert_eq!(w.window, Some(Duration::from_secs(30)));
        assert_eq!((w.limit, w.source.as_str()), (300.0, "p(95)<300 over 30s"));
        assert_eq!(
            Threshold::parse("x", "avg<3 over soon").unwrap_err(),
            "`soon` in `avg<3 over soon` is not a window: write a duration such as \
             `p(95)<300 over 30s`"
        );
        assert!(Threshold::parse("x", "avg<3 over 0s").is_err());
    }

    struct Run {
        registry: Registry,
        tags: TagSets,
        aggs: Aggregates,
    }

    impl Run {
        fn add(&mut self, metric: MetricId, tags: &[(&str, &str)], at: u64, value: f64) {
            let mut list = TagList::default();
            list.extend(tags.iter().copied());
            let set = self.tags.intern(&mut list);
            self.aggs
                .add(&self.registry, &self.tags, metric, set, at, value);
        }

        fn judge(&mut self, thresholds: &[Threshold], secs: u64) -> Vec<Verdict> {
            let mut judge = Judge::new(thresholds.to_vec(), &self.registry, &mut self.aggs);
            judge.judge(
                &self.registry,
                &self.tags,
                &self.aggs,
                Duration::from_secs(secs),
                secs * 1_000_000,
            )
        }
    }

    fn run() -> Run {
        Run {
            registry: Registry::default(),
            tags: TagSets::default(),
            aggs: Aggregates::default(),
        }
    }

    #[test]
    fn verdicts_judge_each_kind_and_skip_empty_metrics() {
        let mut r = run();
        let duration = Builtin::HttpReqDuration.id();
        for v in [100.0, 200.0, 300.0, 400.0] {
            r.add(duration, &[], 0, v);
        }
        r.add(Builtin::HttpReqFailed.id(), &[], 0, 1.0);
        r.add(Builtin::HttpReqFailed.id(), &[], 0, 0.0);
        r.add(Builtin::HttpReqs.id(), &[], 0, 4.0);
        let gauge = r
            .registry
            .define("queue", MetricKind::Gauge, Contains::Default)
            .unwrap();
        r.add(gauge, &[], 0, 7.0);
        let thresholds = [
            t("http_req_duration", "avg<300"),
            t("http_req_duration", "max<=400"),
            t("http_req_failed", "rate<0.5"),
            t("http_reqs", "count==4"),
            t("http_reqs", "rate>=2"),
            t("queue", "value<7"),
            t("iterations", "count>100"),
        ];
        let verdicts = r.judge(&thresholds, 2);
        let passed: Vec<bool> = verdicts.iter().map(|v| v.passed).collect();
        assert_eq!(passed, [true, true, false, true, true, false, true]);
        assert_eq!(verdicts[0].measured, Some(250.0));
        assert_eq!(verdicts[4].measured, Some(2.0));
        // No iterations were recorded: not judged.
        assert_eq!(verdicts[6].measured, None);
    }

    #[test]
    fn sub_metrics_judge_only_their_samples() {
        let mut r = run();
        let duration = Builtin::HttpReqDuration.id();
        for _ in 0..10 {
            r.add(duration, &[("status", "200"), ("scenario", "a")], 0, 100.0);
            r.add(duration, &[("status", "500"), ("scenario", "a")], 0, 900.0);
            r.add(duration, &[("status", "200"), ("scenario", "b")], 0, 300.0);
        }
        let verdicts = r.judge(
            &[
                t("http_req_duration", "max<500"),
                t("http_req_duration{status:200}", "max<500"),
                t("http_req_duration{status:200,scenario:a}", "avg==100"),
                t("http_req_duration{status:404}", "max<1"),
            ],
            2,
        );
        let passed: Vec<bool> = verdicts.iter().map(|v| v.passed).collect();
        assert_eq!(passed, [false, true, true, true]);
        assert_eq!(verdicts[1].measured, Some(300.0));
        assert_eq!(verdicts[3].measured, None, "no samples: not judged");
    }

    #[test]
    fn a_window_fails_the_run_once_it_crossed() {
        let mut r = run();
        let duration = Builtin::HttpReqDuration.id();
        let windowed = [t("http_req_duration", "avg<500 over 10s")];
        let mut judge = Judge::new(windowed.to_vec(), &r.registry, &mut r.aggs);
        let mut judge_at = |r: &mut Run, secs: u64| {
            judge.judge(
                &r.registry,
                &r.tags,
                &r.aggs,
                Duration::from_secs(secs),
                secs * 1_000_000,
            )
        };
        // A minute at 100 ms, ten seconds at 900 ms, then a minute at
        // 100 ms again: over the whole run the average stays low.
        for second in 0..60 {
            r.add(duration, &[], second * 1_000_000, 100.0);
        }
        assert!(judge_at(&mut r, 60)[0].passed);
        for second in 60..70 {
            r.add(duration, &[], second * 1_000_000, 900.0);
        }
        let crossed = judge_at(&mut r, 70);
        assert!(!crossed[0].passed);
        assert_eq!(crossed[0].measured, Some(900.0));
        for second in 70..130 {
            r.add(duration, &[], second * 1_000_000, 100.0);
        }
        let last = judge_at(&mut r, 130);
        assert!(!last[0].passed, "a window that crossed fails the run");
        assert_eq!(last[0].failed_at, Some(Duration::from_secs(70)));
        let whole = r.judge(&[t("http_req_duration", "avg<500")], 130);
        assert!(whole[0].passed, "the total hides the bad minute");
    }

    #[test]
    fn abort_waits_for_its_delay() {
        let mut th = t("http_req_failed", "rate<0.01");
        th.abort_on_fail = true;
        th.delay_abort_eval = Duration::from_secs(10);
        let failed = Verdict {
            threshold: th,
            measured: Some(1.0),
            passed: false,
            failed_at: None,
        };
        let verdicts = [failed];
        assert!(abort_reason(&verdicts, Duration::from_secs(9)).is_none());
        assert!(abort_reason(&verdicts, Duration::from_secs(10)).is_some());
    }
}
