//! The end-of-test summary: k6's layout on the terminal, k6's
//! `--summary-export` layout as JSON.

mod export;
mod text;

use std::time::Duration;

use crate::metrics::{Aggregates, CheckCounts, Contains, MetricKind, MetricValue, Registry};

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
}

impl Summary {
    pub fn collect(
        registry: &Registry,
        aggregates: &Aggregates,
        elapsed: Duration,
        complete: u64,
        interrupted: u64,
        vus_max: u32,
    ) -> Summary {
        let metrics = registry
            .all()
            .into_iter()
            .filter_map(|(id, def)| {
                let value = aggregates.value(id)?;
                Some(MetricSummary {
                    name: def.name,
                    kind: def.kind,
                    contains: def.contains,
                    value,
                })
            })
            .collect();
        Summary {
            elapsed,
            metrics,
            checks: aggregates.checks().to_vec(),
            complete,
            interrupted,
            vus_max,
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
