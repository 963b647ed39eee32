//! The end-of-test summary: k6's layout on the terminal, k6's
//! `--summary-export` layout as JSON.

mod export;
mod text;

use std::time::Duration;

use crate::metrics::{
    Aggregates, CheckCounts, Contains, MetricKind, MetricValue, Registry, TrendStat,
};

use crate::thresholds::Verdict;

pub use export::to_json;
pub use text::render;

/// One metric's final value.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricSummary {
    pub name: String,
    pub kind: MetricKind,
    pub contains: Contains,
    pub value: MetricValue,
}

/// What a run measured, ready to print or export.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Time from the first VU start to the end of the run.
    pub elapsed: Duration,
    pub metrics: Vec<MetricSummary>,
    pub checks: Vec<CheckCounts>,
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

impl Summary {
    pub fn collect(
        registry: &Registry,
        aggregates: &Aggregates,
        ending: Ending,
        trend_stats: &[TrendStat],
    ) -> Summary {
        let metrics = registry
            .all()
            .into_iter()
            .filter_map(|(id, def)| {
                let value = aggregates.value(id, trend_stats)?;
                Some(MetricSummary {
                    name: def.name,
                    kind: def.kind,
                    contains: def.contains,
                    value,
                })
            })
            .collect();
        Summary {
            elapsed: ending.elapsed,
            metrics,
            checks: aggregates.checks().to_vec(),
            complete: ending.complete,
            interrupted: ending.interrupted,
            vus_max: ending.vus_max,
            trend_stats: trend_stats.to_vec(),
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
