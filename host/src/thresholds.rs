//! Thresholds: pass/fail criteria on metrics, in k6's syntax.
//!
//! `"thresholds": {"http_req_duration": ["p(95)<500"], "http_req_failed":
//! [{"threshold": "rate<0.01", "abortOnFail": true}]}`. A threshold names
//! one statistic of its metric: `avg`, `min`, `med`, `max` or `p(N)` of a
//! trend, `rate` of a rate, `count` or `rate` (per second) of a counter,
//! `value` of a gauge. They are judged every two seconds while the test
//! runs (for `abortOnFail`) and once at its end; any failure makes the run
//! exit with 99.

use std::fmt;
use std::time::Duration;

use crate::metrics::{Aggregates, MetricKind, MetricValue, Registry, TrendStat};

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
    /// The metric's name as written, e.g. `http_req_duration`.
    pub metric: String,
    /// The expression as written, e.g. `p(95)<500`.
    pub source: String,
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
    /// Parses an expression such as `p(95) < 500` for `metric`.
    pub fn parse(metric: &str, source: &str) -> Result<Threshold, String> {
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
            source: source.to_owned(),
            stat,
            op,
            limit,
            abort_on_fail: false,
            delay_abort_eval: Duration::ZERO,
        })
    }

    /// Checks that the metric exists and has the statistic; custom metrics
    /// exist once the VUs have run `init`.
    pub fn check(&self, registry: &Registry) -> Result<(), String> {
        let Some(id) = registry.id(&self.metric) else {
            let hint = if self.metric.contains('{') {
                " (thresholds on tag sets other than `{expected_response:true}` are not \
                 supported yet)"
            } else {
                ""
            };
            return Err(format!(
                "thresholds.{}: no metric of this name{hint}",
                self.metric
            ));
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
    /// then the threshold is not judged, as in k6.
    pub measured: Option<f64>,
    pub passed: bool,
}

/// Judges `thresholds` against the aggregates so far, `elapsed` into the
/// run (for a counter's rate).
pub fn judge(
    thresholds: &[Threshold],
    registry: &Registry,
    aggregates: &Aggregates,
    elapsed: Duration,
) -> Vec<Verdict> {
    thresholds
        .iter()
        .map(|t| {
            let measured = measure(t, registry, aggregates, elapsed);
            Verdict {
                threshold: t.clone(),
                measured,
                passed: measured.is_none_or(|v| t.op.holds(v, t.limit)),
            }
        })
        .collect()
}

fn measure(
    t: &Threshold,
    registry: &Registry,
    aggregates: &Aggregates,
    elapsed: Duration,
) -> Option<f64> {
    let id = registry.id(&t.metric)?;
    let stats = match t.stat {
        Stat::Trend(s) => vec![s],
        _ => Vec::new(),
    };
    match (t.stat, aggregates.value(id, &stats)?) {
        (Stat::Trend(s), MetricValue::Trend(v)) => v.get(s),
        (Stat::Rate, MetricValue::Rate { trues, total }) => Some(MetricValue::rate(trues, total)),
        (Stat::Rate, MetricValue::Counter { count }) => {
            let secs = elapsed.as_secs_f64();
            Some(if secs > 0.0 { count / secs } else { 0.0 })
        }
        (Stat::Count, MetricValue::Counter { count }) => Some(count),
        (Stat::Value, MetricValue::Gauge { value, .. }) => Some(value),
        _ => None,
    }
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
    use crate::metrics::{Builtin, Contains};

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
        assert!(
            t("http_req_duration{expected_response:true}", "avg<1")
                .check(&registry)
                .is_ok()
        );
        assert!(
            t("http_req_duration{status:200}", "avg<1")
                .check(&registry)
                .unwrap_err()
                .contains("not supported yet")
        );
    }

    #[test]
    fn verdicts_judge_each_kind_and_skip_empty_metrics() {
        let registry = Registry::default();
        let mut agg = Aggregates::default();
        for v in [100.0, 200.0, 300.0, 400.0] {
            agg.add(&registry, Builtin::HttpReqDuration.id(), v);
        }
        agg.add(&registry, Builtin::HttpReqFailed.id(), 1.0);
        agg.add(&registry, Builtin::HttpReqFailed.id(), 0.0);
        agg.add(&registry, Builtin::HttpReqs.id(), 4.0);
        let gauge = registry
            .define("queue", MetricKind::Gauge, Contains::Default)
            .unwrap();
        agg.add(&registry, gauge, 7.0);
        let thresholds = [
            t("http_req_duration", "avg<300"),
            t("http_req_duration", "max<=400"),
            t("http_req_failed", "rate<0.5"),
            t("http_reqs", "count==4"),
            t("http_reqs", "rate>=2"),
            t("queue", "value<7"),
            t("iterations", "count>100"),
        ];
        let verdicts = judge(&thresholds, &registry, &agg, Duration::from_secs(2));
        let passed: Vec<bool> = verdicts.iter().map(|v| v.passed).collect();
        assert_eq!(passed, [true, true, false, true, true, false, true]);
        assert_eq!(verdicts[0].measured, Some(250.0));
        assert_eq!(verdicts[4].measured, Some(2.0));
        // No iterations were recorded: not judged.
        assert_eq!(verdicts[6].measured, None);
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
        };
        let verdicts = [failed];
        assert!(abort_reason(&verdicts, Duration::from_secs(9)).is_none());
        assert!(abort_reason(&verdicts, Duration::from_secs(10)).is_some());
    }
}
