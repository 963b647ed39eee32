//! `--out result=FILE`: the run's aggregates in one-second buckets, for
//! `barrage merge` to join with other instances' into one summary.
//!
//! Every second the output appends what the samples of the last second
//! added, per metric and tag set (trends as HdrHistograms), so the file
//! grows with the test's length and its number of series, not with its
//! request count, and a killed instance leaves all but its last second.
//! The layout is in [`crate::result::format`].

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, UNIX_EPOCH};

use super::{Batch, Context, Sink};
use crate::metrics::{Accumulator, Contains, MetricId, MetricKind, Parts, Sample, TagSetId};
use crate::result::format::{self, Body};
use crate::vu::Shared;

/// The width of a bucket, and how often buckets are written.
pub const BUCKET: Duration = Duration::from_secs(1);

/// `--out result=FILE`.
pub type Config = super::file::PathConfig;

/// Parses `FILE` of `--out result=FILE`.
pub fn config(arg: &str) -> Result<Config, String> {
    Config::parse(arg, "result", "part-0.bres")
}

/// How a run ended, for the file's last record; set by the run before
/// its outputs finish.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunEnd {
    pub elapsed: Duration,
    /// When the VUs started, µs of the run's clock.
    pub started_at: u64,
    pub complete: u64,
    pub interrupted: u64,
    pub vus_max: u32,
    pub exit_code: i32,
}

pub struct ResultFile {
    path: String,
    out: BufWriter<File>,
    shared: Arc<Shared>,
    end: Arc<OnceLock<RunEnd>>,
    /// Samples since the last write, by bucket, tag set and metric.
    pending: foldhash::HashMap<(u64, TagSetId, MetricId), Accumulator>,
    /// Checks' passes and failures since the last write.
    checks: HashMap<u32, (u64, u64)>,
    metrics_written: HashSet<MetricId>,
    sets_written: HashSet<TagSetId>,
    checks_written: HashSet<u32>,
}

impl ResultFile {
    pub fn open(config: &Config, ctx: &Context) -> Result<ResultFile, String> {
        let file = File::create(&config.path)
            .map_err(|e| format!("cannot create `{}`: {e}", config.path))?;
        let mut out = BufWriter::new(file);
        let segment = &ctx.plan.segment;
        let sequence: Vec<String> = segment.sequence().iter().map(|r| r.to_string()).collect();
        let started = ctx
            .shared
            .clock
            .wall(0)
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let header = format::Header {
            barrage_version: env!("CARGO_PKG_VERSION").into(),
            scenario: ctx.scenario.clone(),
            segment: format!("{}:{}", segment.start(), segment.end()),
            sequence: sequence.join(","),
            started_unix_us: i64::try_from(started.as_micros()).unwrap_or(i64::MAX),
            bucket_us: BUCKET.as_micros() as u64,
            thresholds: ctx
                .thresholds
                .iter()
                .map(|t| format::ThresholdDef {
                    metric: t.metric.clone(),
                    source: t.source.clone(),
                    abort_on_fail: t.abort_on_fail,
                    delay_abort_eval_ms: t.delay_abort_eval.as_millis() as u64,
                })
                .collect(),
        };
        let written = out
            .write_all(format::MAGIC)
            .and_then(|()| format::write_record(&mut out, Body::Header(header)))
            .and_then(|()| out.flush());
        written.map_err(|e| format!("cannot write `{}`: {e}", config.path))?;
        Ok(ResultFile {
            path: config.path.clone(),
            out,
            shared: ctx.shared.clone(),
            end: ctx.end.clone(),
            pending: foldhash::HashMap::default(),
            checks: HashMap::new(),
            metrics_written: HashSet::new(),
            sets_written: HashSet::new(),
            checks_written: HashSet::new(),
        })
    }

    /// Appends what came in since the last write, and hands it to the
    /// system: a process killed after this loses none of it.
    fn write_pending(&mut self) -> Result<(), String> {
        let mut records = Vec::new();
        let mut buckets: BTreeMap<u64, Vec<format::Entry>> = BTreeMap::new();
        for ((bucket, set, metric), acc) in std::mem::take(&mut self.pending) {
            self.define(set, metric, &mut records);
            buckets
                .entry(bucket)
                .or_default()
                .push(entry(set, metric, acc.parts()));
        }
        for (index, entries) in buckets {
            records.push(Body::Bucket(format::Bucket { index, entries }));
        }
        self.check_counts(&mut records);
        for record in records {
            format::write_record(&mut self.out, record).map_err(|e| self.failed(e))?;
        }
        self.out.flush().map_err(|e| self.failed(e))
    }

    /// The definitions of `metric` and `set`, the first time either is
    /// written.
    fn define(&mut self, set: TagSetId, metric: MetricId, records: &mut Vec<Body>) {
        if self.metrics_written.insert(metric) {
            let def = self.shared.registry.def(metric);
            records.push(Body::Metric(format::MetricDef {
                id: metric.0,
                name: def.name,
                kind: kind_code(def.kind),
                contains: contains_code(def.contains),
            }));
        }
        if self.sets_written.insert(set) {
            let tags = self.shared.tag_sets.get(set);
            let tags = tags
                .iter()
                .map(|(name, value)| format::Tag {
                    name: name.into(),
                    value: value.into(),
                })
                .collect();
            records.push(Body::TagSet(format::TagSetDef { id: set.0, tags }));
        }
    }

    /// The checks' counts since the last write, after the definitions of
    /// checks not written before.
    fn check_counts(&mut self, records: &mut Vec<Body>) {
        if self.checks.is_empty() {
            return;
        }
        let known = self.shared.aggregates().checks().to_vec();
        let mut counts = Vec::new();
        for (id, (passes, fails)) in self.checks.drain() {
            if self.checks_written.insert(id)
                && let Some(c) = known.get(id as usize)
            {
                records.push(Body::Check(format::CheckDef {
                    id,
                    group: c.group.clone(),
                    name: c.name.clone(),
                }));
            }
            counts.push(format::CheckCount { id, passes, fails });
        }
        records.push(Body::Checks(format::CheckCounts { counts }));
    }

    fn failed(&self, e: std::io::Error) -> String {
        format!("cannot write `{}`: {e}", self.path)
    }
}

impl Sink for ResultFile {
    fn write(&mut self, batch: &Batch) -> Result<(), String> {
        let bucket_us = BUCKET.as_micros() as u64;
        for sample in &batch.samples {
            match *sample {
                Sample::Value {
                    metric,
                    tags,
                    at,
                    value,
                } => {
                    let key = (at / bucket_us, tags, metric);
                    self.pending
                        .entry(key)
                        .or_insert_with(|| Accumulator::new(self.shared.registry.def(metric).kind))
                        .add(at, value);
                }
                Sample::Check { check, passed } => {
                    let counts = self.checks.entry(check).or_default();
                    if passed {
                        counts.0 += 1;
                    } else {
                        counts.1 += 1;
                    }
                }
            }
        }
        Ok(())
    }

    fn period(&self) -> Option<Duration> {
        Some(BUCKET)
    }

    fn tick(&mut self) -> Result<(), String> {
        self.write_pending()
    }

    fn finish(&mut self) -> Result<(), String> {
        self.write_pending()?;
        if let Some(end) = self.end.get() {
            let record = Body::End(format::End {
                elapsed_us: end.elapsed.as_micros() as u64,
                run_started_us: end.started_at,
                complete: end.complete,
                interrupted: end.interrupted,
                vus_max: end.vus_max,
                exit_code: end.exit_code,
            });
            format::write_record(&mut self.out, record).map_err(|e| self.failed(e))?;
        }
        self.out.flush().map_err(|e| self.failed(e))?;
        self.out.get_ref().sync_all().map_err(|e| self.failed(e))
    }
}

fn entry(set: TagSetId, metric: MetricId, parts: Parts) -> format::Entry {
    let mut e = format::Entry {
        set: set.0,
        metric: metric.0,
        ..Default::default()
    };
    match parts {
        Parts::Counter { sum } => e.sum = sum,
        Parts::Gauge { last, at, min, max } => {
            (e.last, e.at, e.min, e.max) = (last, at, min, max);
        }
        Parts::Rate { trues, total } => (e.trues, e.total) = (trues, total),
        Parts::Trend {
            count,
            sum,
            min,
            max,
            hist,
        } => (e.count, e.sum, e.min, e.max, e.hist) = (count, sum, min, max, hist),
    }
    e
}

/// The parts of an entry of a metric of `kind`.
pub fn parts(kind: MetricKind, e: format::Entry) -> Parts {
    match kind {
        MetricKind::Counter => Parts::Counter { sum: e.sum },
        MetricKind::Gauge => Parts::Gauge {
            last: e.last,
            at: e.at,
            min: e.min,
            max: e.max,
        },
        MetricKind::Rate => Parts::Rate {
            trues: e.trues,
            total: e.total,
        },
        MetricKind::Trend => Parts::Trend {
            count: e.count,
            sum: e.sum,
            min: e.min,
            max: e.max,
            hist: e.hist,
        },
    }
}

pub fn kind_code(kind: MetricKind) -> u32 {
    match kind {
        MetricKind::Counter => 0,
        MetricKind::Gauge => 1,
        MetricKind::Rate => 2,
        MetricKind::Trend => 3,
    }
}

pub fn kind_of(code: u32) -> Option<MetricKind> {
    Some(match code {
        0 => MetricKind::Counter,
        1 => MetricKind::Gauge,
        2 => MetricKind::Rate,
        3 => MetricKind::Trend,
        _ => return None,
    })
}

pub fn contains_code(contains: Contains) -> u32 {
    match contains {
        Contains::Default => 0,
        Contains::Time => 1,
        Contains::Data => 2,
    }
}

pub fn contains_of(code: u32) -> Contains {
    match code {
        1 => Contains::Time,
        2 => Contains::Data,
        _ => Contains::Default,
    }
}
