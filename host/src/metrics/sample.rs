//! Samples as a VU records them, before aggregation.

use std::time::{Duration, Instant, SystemTime};

use super::{Builtin, MetricId, TagSetId};

/// One measurement: a value of a metric, its tag set, and when it was
/// taken in microseconds of the run's [`Clock`]. Checks carry the index of
/// their (group, name) pair so that the summary can count passes and
/// fails per check whatever the tags.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sample {
    Value {
        metric: MetricId,
        tags: TagSetId,
        at: u64,
        value: f64,
    },
    Check {
        check: u32,
        passed: bool,
    },
}

/// The run's time line: a monotonic start, and the wall-clock time it
/// stands for, so that samples carry a cheap offset and outputs can still
/// write real timestamps.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    start: Instant,
    wall: SystemTime,
}

impl Default for Clock {
    fn default() -> Self {
        Clock {
            start: Instant::now(),
            wall: SystemTime::now(),
        }
    }
}

impl Clock {
    /// Microseconds since the clock started.
    pub fn now(&self) -> u64 {
        self.at(Instant::now())
    }

    pub fn at(&self, instant: Instant) -> u64 {
        instant.saturating_duration_since(self.start).as_micros() as u64
    }

    /// The wall-clock time of an offset.
    pub fn wall(&self, at: u64) -> SystemTime {
        self.wall + Duration::from_micros(at)
    }
}

/// A VU's samples since its last flush. The VU owns it outright, so adding
/// a sample is a push onto a vector.
#[derive(Debug, Default)]
pub struct SampleBuffer {
    samples: Vec<Sample>,
}

impl SampleBuffer {
    /// Beyond this many samples a VU flushes before its iteration ends,
    /// so a long iteration does not hold an unbounded buffer.
    pub const FLUSH_AT: usize = 4096;

    pub fn add(&mut self, metric: impl Into<MetricId>, tags: TagSetId, at: u64, value: f64) {
        self.samples.push(Sample::Value {
            metric: metric.into(),
            tags,
            at,
            value,
        });
    }

    /// A check's outcome: its own count, and a `checks` sample.
    pub fn check(&mut self, check: u32, passed: bool, tags: TagSetId, at: u64) {
        self.samples.push(Sample::Check { check, passed });
        self.add(Builtin::Checks, tags, at, f64::from(u8::from(passed)));
    }

    /// Appends another buffer's samples.
    pub fn extend(&mut self, other: &SampleBuffer) {
        self.samples.extend_from_slice(&other.samples);
    }

    pub fn is_full(&self) -> bool {
        self.samples.len() >= Self::FLUSH_AT
    }

    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    pub fn samples(&self) -> &[Sample] {
        &self.samples
    }

    /// Empties the buffer, keeping its allocation for the next iteration.
    pub fn clear(&mut self) {
        self.samples.clear();
    }
}
