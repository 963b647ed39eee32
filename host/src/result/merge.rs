//! `barrage merge`: the result files of a test's instances joined into
//! the aggregates of one run, which the summary and thresholds then read
//! exactly as they read a single run's.
//!
//! Counts add; rates add their numerators and denominators; trends add
//! their HdrHistograms bucket by bucket, so a merged percentile is the one
//! a single histogram of every sample would give. Samples are laid on one
//! timeline by each instance's wall-clock start, so windowed thresholds
//! judge the windows of the whole test. Two gauges are sums across
//! instances rather than their latest value: `vus` and `vus_max`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::format::{self, Body, Header};
use crate::executor::{Ratio, segment};
use crate::http::HttpConfig;
use crate::metrics::{Accumulator, Builtin, MetricId, MetricKind, Parts, TagList, TagSetId};
use crate::output::result::{self as out, contains_of, kind_of};
use crate::summary::{Ending, Summary, SummaryOptions};
use crate::thresholds::{Judge, Threshold, Verdict};
use crate::vu::Shared;

/// One instance's result file, read.
struct Part {
    path: PathBuf,
    header: Header,
    records: Vec<Body>,
    /// Why the file ends early: its instance did not finish.
    partial: Option<String>,
    end: Option<format::End>,
}

/// The merged test.
pub struct Merged {
    pub summary: Summary,
    /// Things the user should know: partial files, gaps between segments.
    pub warnings: Vec<String>,
}

/// Merges the result files at `paths`. Fails only when a file cannot be
/// used at all; what can be merged is, with a warning.
pub fn merge(
    paths: &[PathBuf],
    options: &SummaryOptions,
    judge_thresholds: bool,
) -> Result<Merged, String> {
    if paths.is_empty() {
        return Err("no result files to merge".into());
    }
    let parts = paths
        .iter()
        .map(|p| read(p))
        .collect::<Result<Vec<_>, _>>()?;
    let warnings = warnings(&parts);
    let mut joined = Joined::new(&parts);
    let ids = parts
        .iter()
        .enumerate()
        .map(|(i, part)| joined.add(i, part))
        .collect::<Result<Vec<_>, _>>()?;
    let thresholds = if judge_thresholds {
        thresholds(&parts[0].header)?
    } else {
        Vec::new()
    };
    let summary = joined.summarize(&parts, &ids, thresholds, options)?;
    Ok(Merged { summary, warnings })
}

/// What the user should know about the parts before trusting the sum.
fn warnings(parts: &[Part]) -> Vec<String> {
    let mut warnings = Vec::new();
    for p in parts {
        if let Some(why) = &p.partial {
            warnings.push(format!(
                "`{}` is partial ({why}): its instance did not finish; merged what it holds",
                p.path.display()
            ));
        }
    }
    for p in parts {
        // 99 is the instance's own verdict on its share: not a failure of
        // the instance.
        if let Some(end) = &p.end
            && end.exit_code != 0
            && end.exit_code != 99
        {
            warnings.push(format!(
                "`{}`: its instance exited with code {}; see its own output for why",
                p.path.display(),
                end.exit_code
            ));
        }
    }
    warnings.extend(coverage(parts));
    let first = &parts[0];
    for p in &parts[1..] {
        if p.header.scenario != first.header.scenario {
            warnings.push(format!(
                "`{}` ran `{}`, `{}` ran `{}`: are they parts of one test?",
                first.path.display(),
                first.header.scenario,
                p.path.display(),
                p.header.scenario
            ));
        }
        if p.header.thresholds != first.header.thresholds
            || p.header.sequence != first.header.sequence
        {
            warnings.push(format!(
                "`{}` was run with other thresholds or another segment sequence than `{}`; \
                 the first file's thresholds are judged",
                p.path.display(),
                first.path.display()
            ));
        }
    }
    warnings
}

/// The parts being joined into one run: its registry, tag sets and
/// checks, where each part's buckets lie on one timeline (µs from the
/// earliest instance's start), and the run's extent on it.
///
/// Buckets are decoded one at a time, in time order, as they are absorbed:
/// a decoded histogram takes tens of KiB, so holding a long test's all at
/// once could take gigabytes, while their encoded form is compact.
struct Joined {
    shared: Arc<Shared>,
    /// The earliest instance's start, µs since the Unix epoch.
    origin: i64,
    /// Every bucket: (start on the timeline, part, record).
    buckets: Vec<(u64, usize, usize)>,
    run_start_us: u64,
    end_us: u64,
    complete: u64,
    interrupted: u64,
    vus_max: u32,
}

/// One file's ids mapped to the joined run's, and where its clock starts
/// on the joined timeline.
#[derive(Default)]
struct Ids {
    metrics: BTreeMap<u32, MetricId>,
    sets: BTreeMap<u32, TagSetId>,
    checks: BTreeMap<u32, u32>,
    offset: u64,
}

impl Joined {
    fn new(parts: &[Part]) -> Joined {
        Joined {
            shared: Arc::new(Shared::new(Default::default(), HttpConfig::new())),
            origin: parts
                .iter()
                .map(|p| p.header.started_unix_us)
                .min()
                .unwrap_or(0),
            buckets: Vec::new(),
            run_start_us: u64::MAX,
            end_us: 0,
            complete: 0,
            interrupted: 0,
            vus_max: 0,
        }
    }

    /// Takes in part `index`'s definitions, check counts and end, and
    /// notes where its buckets lie; returns its ids.
    fn add(&mut self, index: usize, part: &Part) -> Result<Ids, String> {
        let offset = u64::try_from(part.header.started_unix_us - self.origin).unwrap_or(0);
        let width = part.header.bucket_us.max(1);
        let fail = |e: String| format!("`{}`: {e}", part.path.display());
        let mut ids = Ids {
            offset,
            ..Ids::default()
        };
        let mut last_bucket_end = offset;
        for (r, record) in part.records.iter().enumerate() {
            match record {
                Body::Header(_) => {}
                Body::Metric(m) => {
                    let kind = kind_of(m.kind)
                        .ok_or_else(|| fail(format!("metric `{}` has an unknown kind", m.name)))?;
                    let id = self
                        .shared
                        .registry
                        .define(&m.name, kind, contains_of(m.contains))
                        .map_err(|e| fail(e.to_string()))?;
                    ids.metrics.insert(m.id, id);
                }
                Body::TagSet(t) => {
                    let mut list = TagList::default();
                    list.extend(t.tags.iter().map(|t| (t.name.as_str(), t.value.as_str())));
                    ids.sets
                        .insert(t.id, self.shared.tag_sets.intern(&mut list));
                }
                Body::Check(c) => {
                    let id = self.shared.aggregates().check_id(&c.group, &c.name);
                    ids.checks.insert(c.id, id);
                }
                Body::Checks(counts) => {
                    let mut aggs = self.shared.aggregates();
                    for c in &counts.counts {
                        if let Some(&id) = ids.checks.get(&c.id) {
                            aggs.add_check_counts(id, c.passes, c.fails);
                        }
                    }
                }
                Body::Bucket(b) => {
                    let at = offset + b.index * width;
                    last_bucket_end = last_bucket_end.max(at + width);
                    self.buckets.push((at, index, r));
                }
                Body::End(end) => {
                    self.complete += end.complete;
                    self.interrupted += end.interrupted;
                    self.vus_max += end.vus_max;
                }
            }
        }
        let (start, end) = match &part.end {
            Some(e) => (
                offset + e.run_started_us,
                offset + e.run_started_us + e.elapsed_us,
            ),
            None => (offset, last_bucket_end),
        };
        self.run_start_us = self.run_start_us.min(start);
        self.end_us = self.end_us.max(end);
        Ok(ids)
    }

    /// One bucket entry as an aggregate of the joined run's metric and
    /// tag set, its gauge time moved onto the joined timeline.
    fn entry(
        &self,
        ids: &Ids,
        e: &format::Entry,
    ) -> Result<((TagSetId, MetricId), Accumulator), String> {
        let (Some(&metric), Some(&set)) = (ids.metrics.get(&e.metric), ids.sets.get(&e.set)) else {
            return Err("a bucket names a metric or tag set the file never defined".into());
        };
        let kind = self.shared.registry.def(metric).kind;
        let parts = match out::parts(kind, e.clone()) {
            Parts::Gauge { last, at, min, max } => Parts::Gauge {
                last,
                at: at + ids.offset,
                min,
                max,
            },
            other => other,
        };
        Ok(((set, metric), Accumulator::from_parts(kind, parts)?))
    }

    /// Absorbs the buckets in time order, judging windowed thresholds
    /// between them as a run does every second, then builds the summary.
    fn summarize(
        mut self,
        parts: &[Part],
        ids: &[Ids],
        thresholds: Vec<Threshold>,
        options: &SummaryOptions,
    ) -> Result<Summary, String> {
        let shared = self.shared.clone();
        let run_start_us = self.run_start_us.min(self.end_us);
        let elapsed_at = |now: u64| Duration::from_micros(now.saturating_sub(run_start_us));
        let mut judge = Judge::new(thresholds, &shared.registry, &mut shared.aggregates());
        let watches = judge.watches();
        // `vus` and `vus_max` of each part, to add up rather than merge.
        let mut vus: BTreeMap<(TagSetId, MetricId), Vec<Accumulator>> = BTreeMap::new();
        self.buckets.sort_unstable();
        let mut judged_at = None;
        for &(at, p, r) in &self.buckets {
            if watches && judged_at != Some(at) {
                let aggs = shared.aggregates();
                judge.judge(
                    &shared.registry,
                    &shared.tag_sets,
                    &aggs,
                    elapsed_at(at),
                    at,
                );
                judged_at = Some(at);
            }
            let Body::Bucket(bucket) = &parts[p].records[r] else {
                continue;
            };
            for e in &bucket.entries {
                let fail = |e: String| format!("`{}`: {e}", parts[p].path.display());
                let ((set, metric), acc) = self.entry(&ids[p], e).map_err(fail)?;
                if metric == Builtin::Vus.id() || metric == Builtin::VusMax.id() {
                    let per_part = vus.entry((set, metric)).or_default();
                    per_part.resize_with(parts.len(), || Accumulator::new(MetricKind::Gauge));
                    per_part[p].merge(&acc);
                    continue;
                }
                let mut aggs = shared.aggregates();
                aggs.absorb(&shared.registry, &shared.tag_sets, metric, set, at, &acc);
            }
        }
        for ((set, metric), per_part) in &vus {
            let acc = sum_of_gauges(per_part, self.end_us)?;
            let mut aggs = shared.aggregates();
            aggs.absorb(
                &shared.registry,
                &shared.tag_sets,
                *metric,
                *set,
                self.end_us,
                &acc,
            );
        }
        let elapsed = elapsed_at(self.end_us);
        let verdicts: Vec<Verdict> = judge.judge(
            &shared.registry,
            &shared.tag_sets,
            &shared.aggregates(),
            elapsed,
            self.end_us,
        );
        let ending = Ending {
            elapsed,
            complete: self.complete,
            interrupted: self.interrupted,
            vus_max: self.vus_max,
        };
        let mut summary = Summary::collect(&shared, ending, options, &verdicts);
        summary.thresholds = verdicts;
        Ok(summary)
    }
}

/// Gauges of several instances added up: their last values, minimums and
/// maximums (the latter two an upper bound of the sum's own).
fn sum_of_gauges(gauges: &[Accumulator], at: u64) -> Result<Accumulator, String> {
    let (mut last, mut min, mut max) = (0.0, 0.0, 0.0);
    for g in gauges {
        if let Parts::Gauge {
            last: l,
            min: lo,
            max: hi,
            ..
        } = g.parts()
            && lo <= hi
        {
            (last, min, max) = (last + l, min + lo, max + hi);
        }
    }
    Accumulator::from_parts(MetricKind::Gauge, Parts::Gauge { last, at, min, max })
}

fn read(path: &Path) -> Result<Part, String> {
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot open `{}`: {e}", path.display()))?;
    let read = format::read_records(&mut std::io::BufReader::new(file))
        .map_err(|e| format!("`{}`: {e}", path.display()))?;
    let Some(Body::Header(header)) = read.records.first().cloned() else {
        return Err(format!(
            "`{}` has no header: its instance stopped before the test began",
            path.display()
        ));
    };
    let end = read.records.iter().rev().find_map(|r| match r {
        Body::End(e) => Some(e.clone()),
        _ => None,
    });
    let partial = match (&read.cut, &end) {
        (Some(cut), _) => Some(cut.clone()),
        (None, None) => Some("it has no end record".to_owned()),
        (None, Some(_)) => None,
    };
    Ok(Part {
        path: path.to_owned(),
        header,
        records: read.records,
        partial,
        end,
    })
}

/// The thresholds a header carries, parsed as the run parsed them.
fn thresholds(header: &Header) -> Result<Vec<Threshold>, String> {
    header
        .thresholds
        .iter()
        .map(|t| {
            let mut threshold = Threshold::parse(&t.metric, &t.source)
                .map_err(|e| format!("a threshold in the result files: {e}"))?;
            threshold.abort_on_fail = t.abort_on_fail;
            threshold.delay_abort_eval = Duration::from_millis(t.delay_abort_eval_ms);
            Ok(threshold)
        })
        .collect()
}

/// Warnings when the parts' segments leave part of the test out, or
/// overlap (the same samples counted twice).
fn coverage(parts: &[Part]) -> Vec<String> {
    let mut segments: Vec<((Ratio, Ratio), &Path)> = Vec::new();
    let mut warnings = Vec::new();
    for p in parts {
        match segment::parse_bounds(&p.header.segment) {
            Ok(bounds) => segments.push((bounds, &p.path)),
            Err(e) => warnings.push(format!("`{}`: {e}", p.path.display())),
        }
    }
    segments.sort_by_key(|(b, _)| *b);
    let mut reached = Ratio::ZERO;
    for ((start, end), path) in &segments {
        if *start > reached {
            warnings.push(format!(
                "no file holds the segment {reached}:{start}: the merged results miss that \
                 part of the test"
            ));
        } else if *start < reached {
            warnings.push(format!(
                "`{}` ({start}:{end}) overlaps another file's segment: those samples are \
                 counted twice",
                path.display()
            ));
        }
        reached = reached.max(*end);
    }
    if reached < Ratio::ONE {
        warnings.push(format!(
            "no file holds the segment {reached}:1: the merged results miss that part of the \
             test"
        ));
    }
    warnings
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use super::*;
    use crate::executor::{Plan, Segment};
    use crate::metrics::{MetricKind, MetricValue, Sample, TrendStat};
    use crate::output::Batch;
    use crate::output::Sink as _;
    use crate::output::result::{Config, ResultFile, RunEnd};

    fn r(n: u64, d: u64) -> Ratio {
        Ratio::new(n, d).expect("valid")
    }

    /// Instance `i` of `n`: its samples written to a result file through
    /// the output, as a run writes them.
    fn instance(i: u64, n: u64, values: &[f64], dir: &Path) -> PathBuf {
        let thresholds = [("http_req_duration", "p(95)<500")];
        instance_with(i, n, values, 10_000, &thresholds, dir)
    }

    /// As [`instance`], with samples `step` µs apart and these thresholds.
    fn instance_with(
        i: u64,
        n: u64,
        values: &[f64],
        step: u64,
        thresholds: &[(&str, &str)],
        dir: &Path,
    ) -> PathBuf {
        let sequence: Vec<Ratio> = (0..=n).map(|k| r(k, n)).collect();
        let segment = Segment::new(r(i, n), r(i + 1, n), &sequence).expect("valid");
        let shared = Arc::new(Shared::new(Default::default(), HttpConfig::new()));
        let mut list = TagList::default();
        list.extend([("status", if i.is_multiple_of(2) { "200" } else { "503" })]);
        let set = shared.tag_sets.intern(&mut list);
        let end = Arc::new(OnceLock::new());
        let ctx = crate::output::Context {
            shared: shared.clone(),
            thresholds: thresholds
                .iter()
                .map(|(m, t)| Threshold::parse(m, t).expect("valid"))
                .collect(),
            plan: Plan::new(Vec::new())
                .for_segment(segment)
                .expect("no scenarios"),
            scenario: "test.wasm".into(),
            end: end.clone(),
        };
        let path = dir.join(format!("part-{i}.bres"));
        let config = Config {
            path: path.display().to_string(),
        };
        let mut out = ResultFile::open(&config, &ctx).expect("opens");
        let check = shared.aggregates().check_id("", "fast");
        let samples: Vec<Sample> = values
            .iter()
            .enumerate()
            .flat_map(|(k, &v)| {
                let at = k as u64 * step;
                [
                    Sample::Value {
                        metric: Builtin::HttpReqDuration.id(),
                        tags: set,
                        at,
                        value: v,
                    },
                    Sample::Value {
                        metric: Builtin::HttpReqs.id(),
                        tags: set,
                        at,
                        value: 1.0,
                    },
                    Sample::Check {
                        check,
                        passed: v < 100.0,
                    },
                ]
            })
            .collect();
        // Two batches, with a bucket written between them.
        let (a, b) = samples.split_at(samples.len() / 2);
        for part in [a, b] {
            let batch = Batch {
                vu: 1,
                iter: 0,
                samples: part.to_vec(),
            };
            out.write(&batch).expect("writes");
            out.tick().expect("ticks");
        }
        let _ = end.set(RunEnd {
            elapsed: Duration::from_secs(5),
            complete: values.len() as u64,
            vus_max: 2,
            ..Default::default()
        });
        out.finish().expect("finishes");
        path
    }

    fn values(seed: u64, n: usize) -> Vec<f64> {
        // A spread of latencies from a few µs to seconds, deterministic.
        let mut x = seed;
        (0..n)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let unit = (x >> 11) as f64 / (1u64 << 53) as f64;
                (unit * 14.0).exp() / 1000.0
            })
            .collect()
    }

    #[test]
    fn merged_parts_equal_one_run_of_all_samples() {
        let dir = std::env::temp_dir().join(format!("barrage-merge-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let per: Vec<Vec<f64>> = (0..3)
            .map(|i| values(i + 1, 5_000 + 777 * i as usize))
            .collect();
        let paths: Vec<PathBuf> = (0..3)
            .map(|i| instance(i, 3, &per[i as usize], &dir))
            .collect();
        let stats = vec![
            TrendStat::Min,
            TrendStat::Med,
            TrendStat::Max,
            TrendStat::Count,
            TrendStat::Percentile(90.0),
            TrendStat::Percentile(95.0),
            TrendStat::Percentile(99.9),
        ];
        let options = SummaryOptions {
            trend_stats: stats.clone(),
            ..Default::default()
        };
        let merged = merge(&paths, &options, true).expect("merges");
        assert!(merged.warnings.is_empty(), "{:?}", merged.warnings);

        let mut one = Accumulator::new(MetricKind::Trend);
        for (k, v) in per.iter().flatten().enumerate() {
            one.add(k as u64, *v);
        }
        let MetricValue::Trend(expected) = one.value(&stats) else {
            panic!("a trend")
        };
        let got = merged.summary.metric("http_req_duration").expect("merged");
        let MetricValue::Trend(got) = &got.value else {
            panic!("a trend")
        };
        for stat in stats {
            assert_eq!(got.get(stat), expected.get(stat), "{stat:?}");
        }
        let total: usize = per.iter().map(Vec::len).sum();
        let reqs = merged.summary.metric("http_reqs").expect("merged");
        assert_eq!(
            reqs.value,
            MetricValue::Counter {
                count: total as f64
            }
        );
        let fast = per.iter().flatten().filter(|v| **v < 100.0).count() as u64;
        let checks = &merged.summary.checks;
        assert_eq!(checks.len(), 1);
        assert_eq!(
            (checks[0].passes, checks[0].fails),
            (fast, total as u64 - fast)
        );
        assert_eq!(merged.summary.complete, total as u64);
        assert_eq!(merged.summary.vus_max, 6);
        // p(95) of all the latencies is near 600 ms: the threshold fails on
        // the merged test.
        assert_eq!(merged.summary.thresholds.len(), 1);
        assert!(!merged.summary.thresholds[0].passed);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_cut_file_merges_with_a_warning_and_gaps_are_named() {
        let dir = std::env::temp_dir().join(format!("barrage-cut-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let paths: Vec<PathBuf> = (0..3)
            .map(|i| instance(i, 3, &values(i, 100), &dir))
            .collect();
        let bytes = std::fs::read(&paths[1]).expect("written");
        std::fs::write(&paths[1], &bytes[..bytes.len() - 5]).expect("cut");
        let merged = merge(&paths[..2], &SummaryOptions::default(), true).expect("merges");
        let text = merged.warnings.join("\n");
        assert!(text.contains("part-1.bres` is partial"), "{text}");
        assert!(text.contains("no file holds the segment 2/3:1"), "{text}");
        let twice = merge(
            &[paths[0].clone(), paths[0].clone()],
            &SummaryOptions::default(),
            true,
        )
        .expect("merges");
        assert!(
            twice.warnings.join("\n").contains("counted twice"),
            "{:?}",
            twice.warnings
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn windowed_thresholds_judge_the_windows_of_the_whole_test() {
        let dir = std::env::temp_dir().join(format!("barrage-window-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        // Ten seconds of samples every 100 ms per instance; instance 0 is
        // slow (300 ms) from 4 s to 5 s, instance 1 never.
        let calm = vec![10.0; 100];
        let mut spike = calm.clone();
        for v in &mut spike[40..50] {
            *v = 300.0;
        }
        let thresholds = [("http_req_duration", "p(95)<200 over 2s")];
        let lenient = [("http_req_duration", "p(95)<400 over 2s")];
        let paths = |t: &[(&str, &str)], tag: &str| -> Vec<PathBuf> {
            let dir = dir.join(tag);
            std::fs::create_dir_all(&dir).expect("temp dir");
            vec![
                instance_with(0, 2, &spike, 100_000, t, &dir),
                instance_with(1, 2, &calm, 100_000, t, &dir),
            ]
        };
        // Over the whole test p(95) is 10 ms, but one 2 s window holds
        // 10 slow samples of 40: its p(95) is 300 ms.
        let merged = merge(
            &paths(&thresholds, "strict"),
            &SummaryOptions::default(),
            true,
        )
        .expect("merges");
        let verdict = &merged.summary.thresholds[0];
        assert!(!verdict.passed, "{verdict:?}");
        let at = verdict.failed_at.expect("a window crossed").as_secs_f64();
        assert!((4.0..=7.0).contains(&at), "crossed at {at}");
        let merged = merge(
            &paths(&lenient, "lenient"),
            &SummaryOptions::default(),
            true,
        )
        .expect("merges");
        assert!(
            merged.summary.thresholds[0].passed,
            "{:?}",
            merged.summary.thresholds
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
