//! Running aggregates of every metric: what the summary, the progress line
//! and (later) thresholds read.

use std::collections::HashMap;

use hdrhistogram::Histogram;

use super::{MetricId, MetricKind, Registry, Sample, TrendStat};

/// Trend values are kept in thousandths of their unit (microseconds for
/// times), so three significant digits hold for values down to 0.1 ms.
const TREND_SCALE: f64 = 1000.0;

#[derive(Debug, Clone)]
enum Agg {
    Counter { sum: f64 },
    Gauge { last: f64, min: f64, max: f64 },
    Rate { trues: u64, total: u64 },
    Trend(Trend),
}

#[derive(Debug, Clone)]
struct Trend {
    hist: Histogram<u64>,
    count: u64,
    sum: f64,
    min: f64,
    max: f64,
}

impl Trend {
    fn new() -> Self {
        // `new(3)` auto-resizes, so any value fits; construction cannot fail
        // for a significant-figure count in 0..=5.
        let hist = Histogram::new(3).unwrap_or_else(|_| unreachable!("3 significant figures"));
        Trend {
            hist,
            count: 0,
            sum: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }

    fn add(&mut self, value: f64) {
        if !value.is_finite() {
            return;
        }
        // Negative values keep an exact min, max and avg but count as zero
        // in the percentiles.
        let scaled = (value.max(0.0) * TREND_SCALE).round() as u64;
        // `record` grows the auto-resizing histogram; only a value beyond
        // its largest possible range is clamped.
        if self.hist.record(scaled).is_err() {
            self.hist.saturating_record(scaled);
        }
        self.count += 1;
        self.sum += value;
        self.min = self.min.min(value);
        self.max = self.max.max(value);
    }

    fn percentile(&self, p: f64) -> f64 {
        if self.count == 0 {
            return 0.0;
        }
        let v = self.hist.value_at_quantile(p / 100.0) as f64 / TREND_SCALE;
        // The histogram's bucket edges may lie just outside the exact range.
        v.clamp(self.min, self.max)
    }

    fn stat(&self, stat: TrendStat) -> f64 {
        if self.count == 0 {
            return 0.0;
        }
        match stat {
            TrendStat::Avg => self.sum / self.count as f64,
            TrendStat::Min => self.min,
            TrendStat::Max => self.max,
            TrendStat::Med => self.percentile(50.0),
            TrendStat::Count => self.count as f64,
            TrendStat::Percentile(p) => self.percentile(p),
        }
    }

    fn stats(&self, shown: &[TrendStat]) -> TrendStats {
        TrendStats {
            count: self.count,
            values: shown.iter().map(|&s| (s, self.stat(s))).collect(),
        }
    }
}

/// The statistics of a trend that a summary shows, in the trend's own
/// unit, in the order they were asked for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrendStats {
    pub count: u64,
    pub values: Vec<(TrendStat, f64)>,
}

impl TrendStats {
    pub fn get(&self, stat: TrendStat) -> Option<f64> {
        self.values
            .iter()
            .find(|(s, _)| *s == stat)
            .map(|(_, v)| *v)
    }
}

/// A metric's aggregate, as the summary shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum MetricValue {
    Counter { count: f64 },
    Gauge { value: f64, min: f64, max: f64 },
    Rate { trues: u64, total: u64 },
    Trend(TrendStats),
}

impl MetricValue {
    /// The share of true samples of a rate.
    pub fn rate(trues: u64, total: u64) -> f64 {
        if total == 0 {
            0.0
        } else {
            trues as f64 / total as f64
        }
    }
}

/// Passes and fails of one check, by its group path and name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckCounts {
    pub group: String,
    pub name: String,
    pub passes: u64,
    pub fails: u64,
}

/// The aggregates of one run, indexed by metric id.
#[derive(Debug, Default)]
pub struct Aggregates {
    metrics: Vec<Option<Agg>>,
    checks: Vec<CheckCounts>,
    check_ids: HashMap<(String, String), u32>,
}

impl Aggregates {
    /// The id of the check `name` in `group`, made on first use. VUs ask
    /// once per distinct check and keep the answer.
    pub fn check_id(&mut self, group: &str, name: &str) -> u32 {
        let key = (group.to_owned(), name.to_owned());
        if let Some(&id) = self.check_ids.get(&key) {
            return id;
        }
        let id = self.checks.len() as u32;
        self.checks.push(CheckCounts {
            group: key.0.clone(),
            name: key.1.clone(),
            ..Default::default()
        });
        self.check_ids.insert(key, id);
        id
    }

    pub fn apply(&mut self, registry: &Registry, samples: &[Sample]) {
        for sample in samples {
            match *sample {
                Sample::Value { metric, value } => self.add(registry, metric, value),
                Sample::Check { check, passed } => {
                    if let Some(c) = self.checks.get_mut(check as usize) {
                        if passed { c.passes += 1 } else { c.fails += 1 }
                    }
                }
            }
        }
    }

    pub fn add(&mut self, registry: &Registry, metric: MetricId, value: f64) {
        let index = metric.0 as usize;
        if self.metrics.len() <= index {
            self.metrics.resize(index + 1, None);
        }
        let agg = self.metrics[index].get_or_insert_with(|| match registry.def(metric).kind {
            MetricKind::Counter => Agg::Counter { sum: 0.0 },
            MetricKind::Gauge => Agg::Gauge {
                last: value,
                min: value,
                max: value,
            },
            MetricKind::Rate => Agg::Rate { trues: 0, total: 0 },
            MetricKind::Trend => Agg::Trend(Trend::new()),
        });
        match agg {
            Agg::Counter { sum } => *sum += value,
            Agg::Gauge { last, min, max } => {
                *last = value;
                *min = min.min(value);
                *max = max.max(value);
            }
            Agg::Rate { trues, total } => {
                *trues += u64::from(value != 0.0);
                *total += 1;
            }
            Agg::Trend(trend) => trend.add(value),
        }
    }

    /// The value of a metric that has samples; a trend shows `stats`.
    pub fn value(&self, metric: MetricId, stats: &[TrendStat]) -> Option<MetricValue> {
        Some(match self.metrics.get(metric.0 as usize)?.as_ref()? {
            Agg::Counter { sum } => MetricValue::Counter { count: *sum },
            Agg::Gauge { last, min, max } => MetricValue::Gauge {
                value: *last,
                min: *min,
                max: *max,
            },
            Agg::Rate { trues, total } => MetricValue::Rate {
                trues: *trues,
                total: *total,
            },
            Agg::Trend(t) => MetricValue::Trend(t.stats(stats)),
        })
    }

    pub fn checks(&self) -> &[CheckCounts] {
        &self.checks
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Builtin;

    #[test]
    fn trend_percentiles_are_exact_to_three_digits() {
        let registry = Registry::default();
        let mut aggs = Aggregates::default();
        let id = Builtin::HttpReqDuration.id();
        for ms in 1..=1000 {
            aggs.add(&registry, id, f64::from(ms));
        }
        let asked = [
            TrendStat::Count,
            TrendStat::Min,
            TrendStat::Max,
            TrendStat::Avg,
            TrendStat::Med,
            TrendStat::Percentile(95.0),
            TrendStat::Percentile(99.9),
        ];
        let Some(MetricValue::Trend(stats)) = aggs.value(id, &asked) else {
            panic!("not a trend")
        };
        assert_eq!(stats.count, 1000);
        let got: Vec<f64> = stats.values.iter().map(|(_, v)| *v).collect();
        let expected = [1000.0, 1.0, 1000.0, 500.5, 500.0, 950.0, 999.0];
        // Within one sample's rank of the exact answer.
        for ((got, want), stat) in got.iter().zip(expected).zip(asked) {
            assert!((got - want).abs() <= 1.0, "{stat}: {got} != {want}");
        }
        assert_eq!(stats.get(TrendStat::Min), Some(1.0));
        assert_eq!(stats.get(TrendStat::Percentile(90.0)), None);
    }

    #[test]
    fn counters_rates_gauges_and_checks() {
        let registry = Registry::default();
        let mut aggs = Aggregates::default();
        let check = aggs.check_id("", "ok");
        assert_eq!(aggs.check_id("", "ok"), check);
        let samples = [
            Sample::Value {
                metric: Builtin::HttpReqs.id(),
                value: 1.0,
            },
            Sample::Value {
                metric: Builtin::HttpReqs.id(),
                value: 1.0,
            },
            Sample::Value {
                metric: Builtin::HttpReqFailed.id(),
                value: 1.0,
            },
            Sample::Value {
                metric: Builtin::HttpReqFailed.id(),
                value: 0.0,
            },
            Sample::Value {
                metric: Builtin::Vus.id(),
                value: 5.0,
            },
            Sample::Value {
                metric: Builtin::Vus.id(),
                value: 2.0,
            },
            Sample::Check {
                check,
                passed: true,
            },
            Sample::Check {
                check,
                passed: false,
            },
        ];
        aggs.apply(&registry, &samples);
        assert_eq!(
            aggs.value(Builtin::HttpReqs.id(), &[]),
            Some(MetricValue::Counter { count: 2.0 })
        );
        assert_eq!(
            aggs.value(Builtin::HttpReqFailed.id(), &[]),
            Some(MetricValue::Rate { trues: 1, total: 2 })
        );
        assert_eq!(
            aggs.value(Builtin::Vus.id(), &[]),
            Some(MetricValue::Gauge {
                value: 2.0,
                min: 2.0,
                max: 5.0
            })
        );
        assert_eq!((aggs.checks()[0].passes, aggs.checks()[0].fails), (1, 1));
        assert_eq!(aggs.value(Builtin::Iterations.id(), &[]), None);
    }
}
