//! The metrics pipeline: definitions, samples and their aggregates.
//!
//! A VU records samples into its own buffer ([`SampleBuffer`]) and hands
//! the whole buffer to the shared [`Aggregates`] once per iteration, so the
//! only lock on the path is taken per iteration, never per sample. Trends
//! are HdrHistograms: their percentiles are exact to three significant
//! digits however long the test runs, and they merge exactly.

mod aggregate;
mod registry;
mod sample;
mod stat;

pub use aggregate::{Aggregates, CheckCounts, MetricValue, TrendStats};
pub use registry::{Builtin, Contains, DefineError, MetricDef, MetricId, MetricKind, Registry};
pub use sample::{Sample, SampleBuffer};
pub use stat::{DEFAULT_TREND_STATS, TrendStat};
