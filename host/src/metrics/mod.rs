//! The metrics pipeline: definitions, tags, samples and their aggregates.
//!
//! A VU records samples into its own buffer ([`SampleBuffer`]), each
//! pointing at an interned tag set ([`TagSets`]), and hands the whole
//! buffer to the shared [`Aggregates`] once per iteration, so the only
//! lock on the path is taken per iteration, never per sample. Trends are
//! HdrHistograms: their percentiles are exact to three significant digits
//! however long the test runs, and they merge exactly, across tag sets
//! for sub-metrics as across machines.

mod aggregate;
mod registry;
mod sample;
mod stat;
mod system;
mod tags;

pub use aggregate::{
    Accumulator, Aggregates, CheckCounts, Distribution, MetricValue, Parts, TrendStats,
};
pub use registry::{Builtin, Contains, DefineError, MetricDef, MetricId, MetricKind, Registry};
pub use sample::{Clock, Sample, SampleBuffer};
pub use stat::{DEFAULT_TREND_STATS, TrendStat};
pub use system::{SystemTag, SystemTags, number_text};
pub use tags::{
    MAX_TAG_SETS, MAX_URLS, OTHER, TagCache, TagConfig, TagFilter, TagList, TagSet, TagSetId,
    TagSets,
};
