//! Running aggregates of every metric, per tag set: what the summary,
//! the progress line and thresholds read.
//!
//! Each sample lands in the aggregate of its (tag set, metric) pair, so a
//! sample costs one update whatever filters are asked later. A metric's
//! total, or a sub-metric such as `http_req_duration{status:200}`, is the
//! merge of the sets it covers: exact, since trends are HdrHistograms.
//! Windowed thresholds also get their samples in time buckets.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Deserializer, Serializer as _, V2DeflateSerializer};

use super::{MetricId, MetricKind, Registry, Sample, TagFilter, TagSetId, TagSets, TrendStat};

/// Trend values are kept in thousandths of their unit (microseconds for
/// times), so three significant digits hold for values down to 0.1 ms.
const TREND_SCALE: f64 = 1000.0;

#[derive(Debug, Clone)]
enum Agg {
    Counter {
        sum: f64,
    },
    Gauge {
        last: f64,
        at: u64,
        min: f64,
        max: f64,
    },
    Rate {
        trues: u64,
        total: u64,
    },
    /// Boxed: most tag sets hold no trend, and a slot stays small.
    Trend(Box<Trend>),
}

impl Agg {
    fn new(kind: MetricKind) -> Agg {
        match kind {
            MetricKind::Counter => Agg::Counter { sum: 0.0 },
            MetricKind::Gauge => Agg::Gauge {
                last: 0.0,
                at: 0,
                min: f64::INFINITY,
                max: f64::NEG_INFINITY,
            },
            MetricKind::Rate => Agg::Rate { trues: 0, total: 0 },
            MetricKind::Trend => Agg::Trend(Box::new(Trend::new())),
        }
    }

    fn add(&mut self, at: u64, value: f64) {
        match self {
            Agg::Counter { sum } => *sum += value,
            Agg::Gauge {
                last,
                at: last_at,
                min,
                max,
            } => {
                if at >= *last_at {
                    *last = value;
                    *last_at = at;
                }
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

    /// Adds `other`'s samples, as if they had been added here.
    fn merge(&mut self, other: &Agg) {
        match (self, other) {
            (Agg::Counter { sum }, Agg::Counter { sum: o }) => *sum += o,
            (
                Agg::Gauge { last, at, min, max },
                Agg::Gauge {
                    last: o_last,
                    at: o_at,
                    min: o_min,
                    max: o_max,
                },
            ) => {
                if o_at >= at {
                    *last = *o_last;
                    *at = *o_at;
                }
                *min = min.min(*o_min);
                *max = max.max(*o_max);
            }
            (Agg::Rate { trues, total }, Agg::Rate { trues: t, total: n }) => {
                *trues += t;
                *total += n;
            }
            (Agg::Trend(a), Agg::Trend(b)) => a.merge(b),
            // One metric has one kind, so its aggregates always match.
            _ => debug_assert!(false, "merging aggregates of different kinds"),
        }
    }

    fn value(&self, stats: &[TrendStat]) -> MetricValue {
        match self {
            Agg::Counter { sum } => MetricValue::Counter { count: *sum },
            Agg::Gauge { last, min, max, .. } => MetricValue::Gauge {
                value: *last,
                min: *min,
                max: *max,
            },
            Agg::Rate { trues, total } => MetricValue::Rate {
                trues: *trues,
                total: *total,
            },
            Agg::Trend(t) => MetricValue::Trend(t.stats(stats)),
        }
    }
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

    fn merge(&mut self, other: &Trend) {
        if other.count == 0 {
            return;
        }
        // Both auto-resize, so the add can only fail on counts overflowing
        // u64; then the few samples lost do not matter.
        let _ = self.hist.add(&other.hist);
        self.count += other.count;
        self.sum += other.sum;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
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

/// One series' running aggregate, for outputs that keep their own (the
/// remote-write output keeps one per metric and tag set).
#[derive(Debug, Clone)]
pub struct Accumulator(Agg);

impl Accumulator {
    pub fn new(kind: MetricKind) -> Self {
        Accumulator(Agg::new(kind))
    }

    pub fn add(&mut self, at: u64, value: f64) {
        self.0.add(at, value);
    }

    pub fn value(&self, stats: &[TrendStat]) -> MetricValue {
        self.0.value(stats)
    }

    /// Adds `other`'s samples, as if they had been added here.
    pub fn merge(&mut self, other: &Accumulator) {
        self.0.merge(&other.0);
    }

    /// The aggregate's state, as a result file keeps it.
    pub fn parts(&self) -> Parts {
        match &self.0 {
            Agg::Counter { sum } => Parts::Counter { sum: *sum },
            Agg::Gauge { last, at, min, max } => Parts::Gauge {
                last: *last,
                at: *at,
                min: *min,
                max: *max,
            },
            Agg::Rate { trues, total } => Parts::Rate {
                trues: *trues,
                total: *total,
            },
            Agg::Trend(t) => {
                let mut hist = Vec::new();
                // Serializing into memory fails only for a histogram too
                // large to describe, which an auto-resizing one is not.
                let _ = V2DeflateSerializer::new().serialize(&t.hist, &mut hist);
                Parts::Trend {
                    count: t.count,
                    sum: t.sum,
                    min: t.min,
                    max: t.max,
                    hist,
                }
            }
        }
    }

    /// The aggregate `parts` describe, if they are of `kind` and whole.
    pub fn from_parts(kind: MetricKind, parts: Parts) -> Result<Accumulator, String> {
        let agg = match (kind, parts) {
            (MetricKind::Counter, Parts::Counter { sum }) => Agg::Counter { sum },
            (MetricKind::Gauge, Parts::Gauge { last, at, min, max }) => {
                Agg::Gauge { last, at, min, max }
            }
            (MetricKind::Rate, Parts::Rate { trues, total }) => Agg::Rate { trues, total },
            (
                MetricKind::Trend,
                Parts::Trend {
                    count,
                    sum,
                    min,
                    max,
                    hist,
                },
            ) => {
                let mut hist: Histogram<u64> = Deserializer::new()
                    .deserialize(&mut &hist[..])
                    .map_err(|e| format!("a histogram does not decode: {e:?}"))?;
                // Merged into, it must grow as the run's own histograms do.
                hist.auto(true);
                if hist.len() != count {
                    return Err(format!(
                        "a histogram holds {} values where its count says {count}",
                        hist.len()
                    ));
                }
                Agg::Trend(Box::new(Trend {
                    hist,
                    count,
                    sum,
                    min,
                    max,
                }))
            }
            (kind, _) => {
                return Err(format!(
                    "a {} metric holds another kind's values",
                    kind.name()
                ));
            }
        };
        Ok(Accumulator(agg))
    }

    /// A trend's distribution; `None` for other kinds.
    pub fn distribution(&self) -> Option<Distribution> {
        let Agg::Trend(t) = &self.0 else { return None };
        let values = t
            .hist
            .iter_recorded()
            .map(|v| {
                let low = t.hist.lowest_equivalent(v.value_iterated_to());
                (low as f64 / TREND_SCALE, v.count_at_value())
            })
            .collect();
        Some(Distribution {
            count: t.count,
            sum: t.sum,
            values,
        })
    }
}

/// An aggregate's state, field by field: what a result file stores.
#[derive(Debug, Clone, PartialEq)]
pub enum Parts {
    Counter {
        sum: f64,
    },
    Gauge {
        last: f64,
        at: u64,
        min: f64,
        max: f64,
    },
    Rate {
        trues: u64,
        total: u64,
    },
    /// `hist` is the HdrHistogram in its V2 compressed encoding.
    Trend {
        count: u64,
        sum: f64,
        min: f64,
        max: f64,
        hist: Vec<u8>,
    },
}

/// A trend's samples: how many, their sum, and each recorded value (in
/// the trend's unit, the lowest of its three significant digits' range)
/// with its count, in increasing order.
#[derive(Debug, Clone, PartialEq)]
pub struct Distribution {
    pub count: u64,
    pub sum: f64,
    pub values: Vec<(f64, u64)>,
}

/// The aggregates of one run.
#[derive(Debug, Default)]
pub struct Aggregates {
    /// Indexed by tag set, then by metric.
    sets: Vec<Vec<Option<Agg>>>,
    checks: Vec<CheckCounts>,
    check_ids: HashMap<(String, String), u32>,
    windows: Vec<Window>,
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

    pub fn apply(&mut self, registry: &Registry, tags: &TagSets, samples: &[Sample]) {
        for sample in samples {
            match *sample {
                Sample::Value {
                    metric,
                    tags: set,
                    at,
                    value,
                } => self.add(registry, tags, metric, set, at, value),
                Sample::Check { check, passed } => {
                    if let Some(c) = self.checks.get_mut(check as usize) {
                        if passed { c.passes += 1 } else { c.fails += 1 }
                    }
                }
            }
        }
    }

    pub fn add(
        &mut self,
        registry: &Registry,
        tags: &TagSets,
        metric: MetricId,
        set: TagSetId,
        at: u64,
        value: f64,
    ) {
        self.slot(registry, metric, set).add(at, value);
        for w in self.windows.iter_mut().filter(|w| w.metric == metric) {
            if let Some(agg) = w.bucket(registry, tags, set, at) {
                agg.add(at, value);
            }
        }
    }

    /// The aggregate of `metric` in `set`, made empty on first use.
    fn slot(&mut self, registry: &Registry, metric: MetricId, set: TagSetId) -> &mut Agg {
        let (s, m) = (set.0 as usize, metric.0 as usize);
        if self.sets.len() <= s {
            self.sets.resize_with(s + 1, Vec::new);
        }
        let slots = &mut self.sets[s];
        if slots.len() <= m {
            slots.resize(m + 1, None);
        }
        slots[m].get_or_insert_with(|| Agg::new(registry.def(metric).kind))
    }

    /// Adds samples already aggregated, taken at `at` (a result file's
    /// bucket), as if each had been added here.
    pub fn absorb(
        &mut self,
        registry: &Registry,
        tags: &TagSets,
        metric: MetricId,
        set: TagSetId,
        at: u64,
        samples: &Accumulator,
    ) {
        self.slot(registry, metric, set).merge(&samples.0);
        for w in self.windows.iter_mut().filter(|w| w.metric == metric) {
            if let Some(agg) = w.bucket(registry, tags, set, at) {
                agg.merge(&samples.0);
            }
        }
    }

    /// Adds passes and failures of check `id` counted elsewhere.
    pub fn add_check_counts(&mut self, id: u32, passes: u64, fails: u64) {
        if let Some(c) = self.checks.get_mut(id as usize) {
            c.passes += passes;
            c.fails += fails;
        }
    }

    /// A metric's value over all its samples; `None` if it has none. A
    /// trend shows `stats`.
    pub fn value(&self, metric: MetricId, stats: &[TrendStat]) -> Option<MetricValue> {
        self.value_where(metric, stats, |_| true)
    }

    /// A metric's value over the samples of the tag sets `pick` accepts.
    pub fn value_where(
        &self,
        metric: MetricId,
        stats: &[TrendStat],
        mut pick: impl FnMut(TagSetId) -> bool,
    ) -> Option<MetricValue> {
        let mut merged: Option<Agg> = None;
        for (set, agg) in self.of(metric) {
            if !pick(set) {
                continue;
            }
            match &mut merged {
                Some(m) => m.merge(agg),
                None => merged = Some(agg.clone()),
            }
        }
        merged.map(|m| m.value(stats))
    }

    /// The value of `metric` over the tag sets `filter` matches.
    pub fn value_matching(
        &self,
        metric: MetricId,
        stats: &[TrendStat],
        filter: &TagFilter,
        tags: &TagSets,
    ) -> Option<MetricValue> {
        if filter.is_empty() {
            return self.value(metric, stats);
        }
        self.value_where(metric, stats, |set| filter.matches(&tags.get(set)))
    }

    /// The tag sets that hold samples of `metric`.
    pub fn sets_of(&self, metric: MetricId) -> impl Iterator<Item = TagSetId> + '_ {
        self.of(metric).map(|(set, _)| set)
    }

    /// `metric`'s value in each tag set that holds samples of it.
    pub fn values_by_set<'a>(
        &'a self,
        metric: MetricId,
        stats: &'a [TrendStat],
    ) -> impl Iterator<Item = (TagSetId, MetricValue)> + 'a {
        self.of(metric).map(|(set, agg)| (set, agg.value(stats)))
    }

    fn of(&self, metric: MetricId) -> impl Iterator<Item = (TagSetId, &Agg)> {
        self.sets.iter().enumerate().filter_map(move |(s, slots)| {
            let agg = slots.get(metric.0 as usize)?.as_ref()?;
            Some((TagSetId(s as u32), agg))
        })
    }

    pub fn checks(&self) -> &[CheckCounts] {
        &self.checks
    }

    /// Starts keeping the samples of `metric` that match `filter` in time
    /// buckets, to judge them over the last `width`; returns the window's
    /// index for [`Aggregates::window_value`].
    pub fn watch_window(&mut self, metric: MetricId, filter: TagFilter, width: Duration) -> usize {
        let width = width.as_micros().max(1) as u64;
        // About thirty buckets a window, none shorter than a second.
        let slot = (width / 30).max(1_000_000);
        self.windows.push(Window {
            metric,
            filter,
            width,
            slot,
            matches: Vec::new(),
            buckets: VecDeque::new(),
        });
        self.windows.len() - 1
    }

    /// A window's value over the samples taken in the `width` before
    /// `now` (microseconds of the run's clock), to the bucket.
    pub fn window_value(
        &self,
        window: usize,
        now: u64,
        stats: &[TrendStat],
    ) -> Option<MetricValue> {
        let w = self.windows.get(window)?;
        let first = now.saturating_sub(w.width) / w.slot;
        let mut merged: Option<Agg> = None;
        for (_, agg) in w.buckets.iter().filter(|(slot, _)| *slot >= first) {
            match &mut merged {
                Some(m) => m.merge(agg),
                None => merged = Some(agg.clone()),
            }
        }
        merged.map(|m| m.value(stats))
    }
}

/// The recent samples of one sub-metric, in buckets of `slot` µs.
#[derive(Debug)]
struct Window {
    metric: MetricId,
    filter: TagFilter,
    width: u64,
    slot: u64,
    /// Per tag set: unknown yet, matches, or not.
    matches: Vec<Option<bool>>,
    /// (slot index, aggregate), oldest first.
    buckets: VecDeque<(u64, Agg)>,
}

impl Window {
    /// The bucket that samples of `set` taken at `at` go to; `None` when
    /// the window does not watch that tag set.
    fn bucket(
        &mut self,
        registry: &Registry,
        tags: &TagSets,
        set: TagSetId,
        at: u64,
    ) -> Option<&mut Agg> {
        let s = set.0 as usize;
        if self.matches.len() <= s {
            self.matches.resize(s + 1, None);
        }
        let matches = *self.matches[s].get_or_insert_with(|| self.filter.matches(&tags.get(set)));
        if !matches {
            return None;
        }
        let slot = at / self.slot;
        // Keep one window and a bucket of slack behind the newest sample.
        let newest = self.buckets.back().map_or(0, |(s, _)| *s).max(slot);
        let keep_from = newest.saturating_sub(self.width / self.slot + 1);
        while self.buckets.front().is_some_and(|(s, _)| *s < keep_from) {
            self.buckets.pop_front();
        }
        if slot < keep_from {
            // Too old for any window still to be judged.
            return None;
        }
        // Samples come in nearly in order: look from the newest bucket.
        let pos = self.buckets.iter().rposition(|(s, _)| *s <= slot);
        let index = match pos {
            Some(i) if self.buckets[i].0 == slot => i,
            _ => {
                let index = pos.map_or(0, |i| i + 1);
                let kind = registry.def(self.metric).kind;
                self.buckets.insert(index, (slot, Agg::new(kind)));
                index
            }
        };
        Some(&mut self.buckets[index].1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{Builtin, TagList};

    /// A run's registry and tag sets, and a shorthand to intern tags.
    struct Run {
        registry: Registry,
        tags: TagSets,
        aggs: Aggregates,
    }

    impl Run {
        fn new() -> Self {
            Run {
                registry: Registry::default(),
                tags: TagSets::default(),
                aggs: Aggregates::default(),
            }
        }

        fn set(&self, tags: &[(&str, &str)]) -> TagSetId {
            let mut list = TagList::default();
            list.extend(tags.iter().copied());
            self.tags.intern(&mut list)
        }

        fn add(&mut self, metric: Builtin, set: TagSetId, at: u64, value: f64) {
            self.aggs
                .add(&self.registry, &self.tags, metric.id(), set, at, value);
        }
    }

    fn trend(value: Option<MetricValue>) -> TrendStats {
        match value {
            Some(MetricValue::Trend(t)) => t,
            other => panic!("not a trend: {other:?}"),
        }
    }

    #[test]
    fn trend_percentiles_are_exact_to_three_digits() {
        let mut run = Run::new();
        for ms in 1..=1000 {
            run.add(Builtin::HttpReqDuration, TagSetId::EMPTY, 0, f64::from(ms));
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
        let stats = trend(run.aggs.value(Builtin::HttpReqDuration.id(), &asked));
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
    fn a_metric_is_the_exact_merge_of_its_tag_sets() {
        let mut run = Run::new();
        let ok = run.set(&[("status", "200"), ("name", "a")]);
        let slow = run.set(&[("status", "200"), ("name", "b")]);
        let failed = run.set(&[("status", "500"), ("name", "a")]);
        let mut single = Run::new();
        for i in 0..3000u32 {
            let (set, ms) = match i % 3 {
                0 => (ok, f64::from(i % 97)),
                1 => (slow, 100.0 + f64::from(i % 389)),
                _ => (failed, 2.0 * f64::from(i % 53)),
            };
            run.add(Builtin::HttpReqDuration, set, 0, ms);
            single.add(Builtin::HttpReqDuration, TagSetId::EMPTY, 0, ms);
        }
        let stats = [TrendStat::Percentile(95.0), TrendStat::Med, TrendStat::Avg];
        let id = Builtin::HttpReqDuration.id();
        assert_eq!(
            run.aggs.value(id, &stats),
            single.aggs.value(id, &stats),
            "the merge equals one histogram of every sample"
        );
        let (_, status_200) = TagFilter::split("x{status:200}").unwrap();
        let sub = trend(run.aggs.value_matching(id, &stats, &status_200, &run.tags));
        assert_eq!(sub.count, 2000);
        let (_, name_a) = TagFilter::split("x{name:a}").unwrap();
        let a = trend(
            run.aggs
                .value_matching(id, &[TrendStat::Max], &name_a, &run.tags),
        );
        assert_eq!((a.count, a.get(TrendStat::Max)), (2000, Some(104.0)));
        assert_eq!(run.aggs.sets_of(id).collect::<Vec<_>>(), [ok, slow, failed]);
    }

    #[test]
    fn counters_rates_gauges_and_checks() {
        let mut run = Run::new();
        let a = run.set(&[("name", "a")]);
        let b = run.set(&[("name", "b")]);
        let check = run.aggs.check_id("", "ok");
        assert_eq!(run.aggs.check_id("", "ok"), check);
        let value = |metric: Builtin, tags, at, value| Sample::Value {
            metric: metric.id(),
            tags,
            at,
            value,
        };
        let samples = [
            value(Builtin::HttpReqs, a, 0, 1.0),
            value(Builtin::HttpReqs, b, 0, 1.0),
            value(Builtin::HttpReqFailed, a, 0, 1.0),
            value(Builtin::HttpReqFailed, b, 0, 0.0),
            // The gauge's value is the latest sample's, whatever the order
            // the sets arrive in.
            value(Builtin::Vus, b, 20, 2.0),
            value(Builtin::Vus, a, 10, 5.0),
            Sample::Check {
                check,
                passed: true,
            },
            Sample::Check {
                check,
                passed: false,
            },
        ];
        run.aggs.apply(&run.registry, &run.tags, &samples);
        assert_eq!(
            run.aggs.value(Builtin::HttpReqs.id(), &[]),
            Some(MetricValue::Counter { count: 2.0 })
        );
        assert_eq!(
            run.aggs.value(Builtin::HttpReqFailed.id(), &[]),
            Some(MetricValue::Rate { trues: 1, total: 2 })
        );
        assert_eq!(
            run.aggs.value(Builtin::Vus.id(), &[]),
            Some(MetricValue::Gauge {
                value: 2.0,
                min: 2.0,
                max: 5.0
            })
        );
        let c = &run.aggs.checks()[0];
        assert_eq!((c.passes, c.fails), (1, 1));
        assert_eq!(run.aggs.value(Builtin::Iterations.id(), &[]), None);
    }

    /// `cargo test --release -p barrage --lib aggregation_memory -- --ignored
    /// --nocapture`: resident memory while 10 million request samples
    /// (durations from 0.1 ms to 10 s, over 50 tag sets) are aggregated.
    #[test]
    #[ignore = "a measurement, not a check"]
    fn aggregation_memory_after_ten_million_samples() {
        let mut run = Run::new();
        let sets: Vec<TagSetId> = (0..50)
            .map(|i| {
                let name = format!("/api/{}", i % 10);
                let status = ["200", "404", "500", "201", "302"][i / 10];
                run.set(&[("name", &name), ("status", status), ("method", "GET")])
            })
            .collect();
        let before = crate::measure::rss_kib();
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for i in 1..=10_000_000u64 {
            // xorshift: spread values over six decades without a crate.
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let ms = 0.1 * 10f64.powf((x % 10_000) as f64 / 2500.0);
            let set = sets[(x % 50) as usize];
            run.add(Builtin::HttpReqDuration, set, i, ms);
            if [1_000_000, 5_000_000, 10_000_000].contains(&i) {
                let kib = crate::measure::rss_kib().saturating_sub(before);
                println!(
                    "after {i:>10} samples: aggregation holds {kib} KiB more than at the start"
                );
            }
        }
        let stats = trend(
            run.aggs
                .value(Builtin::HttpReqDuration.id(), &[TrendStat::Count]),
        );
        assert_eq!(stats.count, 10_000_000);
    }

    #[test]
    fn a_window_holds_only_recent_matching_samples() {
        const S: u64 = 1_000_000;
        let mut run = Run::new();
        let id = Builtin::HttpReqDuration.id();
        let (_, filter) = TagFilter::split("x{name:a}").unwrap();
        let w = run.aggs.watch_window(id, filter, Duration::from_secs(10));
        let a = run.set(&[("name", "a")]);
        let b = run.set(&[("name", "b")]);
        // 100 ms for a minute, then 900 ms for ten seconds; b is ignored.
        for second in 0..70 {
            let ms = if second < 60 { 100.0 } else { 900.0 };
            run.add(Builtin::HttpReqDuration, a, second * S, ms);
            run.add(Builtin::HttpReqDuration, b, second * S, 5000.0);
        }
        // A late sample from before the window is not counted in it.
        run.add(Builtin::HttpReqDuration, a, 30 * S, 1.0);
        let stats = [TrendStat::Min, TrendStat::Avg];
        let last = trend(run.aggs.window_value(w, 70 * S, &stats));
        assert_eq!(last.count, 10);
        assert_eq!(last.get(TrendStat::Min), Some(900.0));
        // Half the window later, half of it is the old level.
        let later = trend(run.aggs.window_value(w, 65 * S, &stats));
        assert_eq!(later.get(TrendStat::Min), Some(100.0));
        assert!(
            run.aggs.windows[w].buckets.len() <= 12,
            "old buckets are dropped"
        );
    }
}
