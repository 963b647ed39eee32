//! Samples as a VU records them, before aggregation.

use super::{Builtin, MetricId};

/// One measurement. Checks carry the index of their (group, name) pair so
/// that the summary can count passes and fails per check.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sample {
    Value { metric: MetricId, value: f64 },
    Check { check: u32, passed: bool },
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

    pub fn add(&mut self, metric: Builtin, value: f64) {
        self.samples.push(Sample::Value {
            metric: metric.id(),
            value,
        });
    }

    pub fn add_id(&mut self, metric: MetricId, value: f64) {
        self.samples.push(Sample::Value { metric, value });
    }

    pub fn check(&mut self, check: u32, passed: bool) {
        self.samples.push(Sample::Check { check, passed });
        self.add(Builtin::Checks, f64::from(u8::from(passed)));
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
