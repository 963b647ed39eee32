//! The end-of-test summary: k6's layout on the terminal, k6's
//! `--summary-export` layout as JSON.

mod export;
pub mod hook;
mod text;

use std::time::Duration;

use crate::metrics::{
    Builtin, CheckCounts, Contains, MetricId, MetricKind, MetricValue, SystemTag, TagFilter,
    TrendStat,
};
use crate::thresholds::Verdict;
use crate::vu::Shared;

pub use export::to_json;
pub use text::render;

/// One metric's final value; a sub-metric's name has its tags,
/// `http_req_duration{status:200}`.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricSummary {
    pub name: String,
    pub kind: MetricKind,
    pub contains: Contains,
    pub value: MetricValue,
}

/// `--summary-mode`: k6's compact summary, or one with a block per
/// scenario and per group as well.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum SummaryMode {
    #[default]
    Compact,
    Full,
}

/// What the summary shows besides every metric's total.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryOptions {
    /// What each trend shows (`--summary-trend-stats`).
    pub trend_stats: Vec<TrendStat>,
    pub mode: SummaryMode,
    /// Tags whose values each get a sub-metric (`--summary-tags`).
    pub tags: Vec<String>,
}

impl Default for SummaryOptions {
    fn default() -> Self {
        SummaryOptions {
            trend_stats: crate::metrics::DEFAULT_TREND_STATS.to_vec(),
            mode: SummaryMode::Compact,
            tags: Vec::new(),
        }
    }
}

/// The results of one scenario or group, in `--summary-mode full`.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// `SCENARIO: browse` or `GROUP: ::login`.
    pub title: String,
    pub metrics: Vec<MetricSummary>,
    pub checks: Vec<CheckCounts>,
}

/// What a run measured, ready to print or export.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Time from the first VU start to the end of the run.
    pub elapsed: Duration,
    /// Every metric with samples, then the sub-metrics asked for.
    pub metrics: Vec<MetricSummary>,
    pub checks: Vec<CheckCounts>,
    pub sections: Vec<Section>,
    pub complete: u64,
    pub interrupted: u64,
    pub vus_max: u32,
    /// What each trend shows (`--summary-trend-stats`).
    pub trend_stats: Vec<TrendStat>,
    /// The thresholds' outcomes at the end of the run.
    pub thresholds: Vec<Verdict>,
}

/// How a run ended, for the summary's last line.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ending {
    /// Time from the first VU start to the end of the run.
    pub elapsed: Duration,
    pub complete: u64,
    pub interrupted: u64,
    pub vus_max: u32,
}

/// Metrics `--summary-tags` does not split: the phases of a request and
/// the VU counts would only repeat `http_req_duration` and `vus`.
const NOT_SPLIT: [Builtin; 8] = [
    Builtin::HttpReqBlocked,
    Builtin::HttpReqConnecting,
    Builtin::HttpReqTlsHandshaking,
    Builtin::HttpReqSending,
    Builtin::HttpReqWaiting,
    Builtin::HttpReqReceiving,
    Builtin::Vus,
    Builtin::VusMax,
];

impl Summary {
    /// Reads the run's aggregates: every metric, the sub-metrics that
    /// thresholds, `--summary-tags` and k6's habit
    /// (`http_req_duration{expected_response:true}`) ask for, and in full
    /// mode one section per scenario and per group.
    pub fn collect(
        shared: &Shared,
        ending: Ending,
        options: &SummaryOptions,
        verdicts: &[Verdict],
    ) -> Summary {
        let reader = Reader {
            shared,
            stats: &options.trend_stats,
        };
        let mut metrics = reader.metrics(&TagFilter::default());
        let known: Vec<String> = metrics.iter().map(|m| m.name.clone()).collect();
        for (id, filter) in reader.sub_metrics(options, verdicts) {
            if let Some(m) = reader.metric(id, &filter)
                && !known.contains(&m.name)
            {
                metrics.push(m);
            }
        }
        metrics.dedup_by(|a, b| a.name == b.name);
        let sections = match options.mode {
            SummaryMode::Compact => Vec::new(),
            SummaryMode::Full => reader.sections(),
        };
        Summary {
            elapsed: ending.elapsed,
            metrics,
            checks: shared.aggregates().checks().to_vec(),
            sections,
            complete: ending.complete,
            interrupted: ending.interrupted,
            vus_max: ending.vus_max,
            trend_stats: options.trend_stats.clone(),
            thresholds: Vec::new(),
        }
    }

    pub fn metric(&self, name: &str) -> Option<&MetricSummary> {
        self.metrics.iter().find(|m| m.name == name)
    }

    /// Per-second rate of a count over the run.
    fn per_second(&self, count: f64) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 { count / secs } else { 0.0 }
    }
}

/// Reads metrics out of a run's aggregates.
struct Reader<'a> {
    shared: &'a Shared,
    stats: &'a [TrendStat],
}

impl Reader<'_> {
    /// The value of `id` over the samples `filter` selects, named as k6
    /// names sub-metrics.
    fn metric(&self, id: MetricId, filter: &TagFilter) -> Option<MetricSummary> {
        let def = self.shared.registry.def(id);
        let value = self.shared.aggregates().value_matching(
            id,
            self.stats,
            filter,
            &self.shared.tag_sets,
        )?;
        Some(MetricSummary {
            name: format!("{}{filter}", def.name),
            kind: def.kind,
            contains: def.contains,
            value,
        })
    }

    /// Every metric with samples `filter` selects.
    fn metrics(&self, filter: &TagFilter) -> Vec<MetricSummary> {
        let shared = self.shared;
        shared
            .registry
            .all()
            .into_iter()
            .filter_map(|(id, _)| {
                let m = self.metric(id, filter)?;
                // A section's metrics keep their plain names.
                Some(MetricSummary {
                    name: shared.registry.def(id).name,
                    ..m
                })
            })
            .collect()
    }

    fn sub_metrics(
        &self,
        options: &SummaryOptions,
        verdicts: &[Verdict],
    ) -> Vec<(MetricId, TagFilter)> {
        let registry = &self.shared.registry;
        let mut subs = Vec::new();
        if self
            .shared
            .tag_config()
            .system
            .has(SystemTag::ExpectedResponse)
        {
            let expected = vec![("expected_response".to_owned(), "true".to_owned())];
            subs.push((Builtin::HttpReqDuration.id(), TagFilter::new(expected)));
        }
        for v in verdicts {
            let t = &v.threshold;
            if let Some(id) = registry.id(&t.name)
                && !t.filter.is_empty()
            {
                subs.push((id, t.filter.clone()));
            }
        }
        if options.tags.is_empty() {
            return subs;
        }
        let aggregates = self.shared.aggregates();
        let sets = self.shared.tag_sets.all();
        for (id, _) in registry.all() {
            if NOT_SPLIT.iter().any(|b| b.id() == id) {
                continue;
            }
            for key in &options.tags {
                let mut values: Vec<&str> = aggregates
                    .sets_of(id)
                    .filter_map(|set| sets.get(set.0 as usize)?.get(key))
                    .collect();
                values.sort_unstable();
                values.dedup();
                for value in values {
                    let filter = TagFilter::new(vec![(key.clone(), value.to_owned())]);
                    subs.push((id, filter));
                }
            }
        }
        subs
    }

    /// One section per scenario, then one per group, in `full` mode.
    fn sections(&self) -> Vec<Section> {
        let mut sections = Vec::new();
        for (key, title) in [("scenario", "SCENARIO"), ("group", "GROUP")] {
            let mut values: Vec<String> = self
                .shared
                .tag_sets
                .all()
                .iter()
                .filter_map(|set| set.get(key).map(str::to_owned))
                .filter(|v| !v.is_empty())
                .collect();
            values.sort();
            values.dedup();
            for value in values {
                let filter = TagFilter::new(vec![(key.to_owned(), value.clone())]);
                let metrics = self.metrics(&filter);
                if metrics.is_empty() {
                    continue;
                }
                sections.push(Section {
                    title: format!("{title}: {value}"),
                    metrics,
                    checks: self.checks(&filter),
                });
            }
        }
        sections
    }

    /// Passes and fails per check among the `checks` samples `filter`
    /// selects, from their `group` and `check` tags.
    fn checks(&self, filter: &TagFilter) -> Vec<CheckCounts> {
        let aggregates = self.shared.aggregates();
        let sets = self.shared.tag_sets.all();
        let mut out: Vec<CheckCounts> = Vec::new();
        for (id, value) in aggregates.values_by_set(Builtin::Checks.id(), &[]) {
            let (Some(set), MetricValue::Rate { trues, total }) = (sets.get(id.0 as usize), value)
            else {
                continue;
            };
            if !filter.matches(set) {
                continue;
            }
            let group = set.get("group").unwrap_or_default();
            let name = set.get("check").unwrap_or_default();
            let at = match out.iter().position(|c| c.group == group && c.name == name) {
                Some(i) => i,
                None => {
                    out.push(CheckCounts {
                        group: group.to_owned(),
                        name: name.to_owned(),
                        ..Default::default()
                    });
                    out.len() - 1
                }
            };
            let entry = &mut out[at];
            entry.passes += trues;
            entry.fails += total - trues;
        }
        out
    }
}
