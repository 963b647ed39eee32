//! Outputs (`-o/--out`): every sample as it is taken, to files and
//! services, off the VU path.
//!
//! A VU appends each flushed sample buffer to every output's mailbox, an
//! unbounded list behind a lock held only to append or to take it all,
//! so pushing never waits on an output. Each output's thread takes the
//! whole mailbox every [`POLL`] and writes it at its own pace: a busy
//! test costs an output ten wake-ups a second, not one per VU flush. An
//! output that falls behind says so, and keeps every sample. When the run
//! ends, what is still queued is written before the summary prints, so an
//! aborted or interrupted run leaves complete outputs too.

mod csv;
pub(crate) mod file;
mod json;
mod prometheus;
pub mod result;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::metrics::{MetricId, Sample, TagSetId};
use crate::thresholds::Threshold;
use crate::vu::Shared;

/// How often an output's thread takes what was pushed.
const POLL: Duration = Duration::from_millis(100);
/// A queue this many samples deep is reported as falling behind.
const BEHIND: u64 = 1_000_000;
/// How often a lagging output is reported.
const BEHIND_EVERY: Duration = Duration::from_secs(10);

/// Samples from one VU flush. `vu` and `iter` are the VU's number and
/// iteration when the samples were taken, written as k6's metadata when
/// those system tags are on; 0 for what the run itself records.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    pub vu: u32,
    pub iter: u64,
    pub samples: Vec<Sample>,
}

impl Batch {
    /// The batch's values: (metric, tag set, time, value); checks' own
    /// counts are not samples an output writes.
    pub fn values(&self) -> impl Iterator<Item = (MetricId, TagSetId, u64, f64)> + '_ {
        self.samples.iter().filter_map(|s| match *s {
            Sample::Value {
                metric,
                tags,
                at,
                value,
            } => Some((metric, tags, at, value)),
            Sample::Check { .. } => None,
        })
    }
}

/// One `--out` argument, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Spec {
    Json(json::Config),
    Csv(csv::Config),
    PrometheusRw(prometheus::Config),
    Result(result::Config),
}

impl Spec {
    /// Parses `json=FILE`, `csv=FILE` (or `csv=fileName=FILE,timeFormat=..`)
    /// and `prometheus-rw=URL`; `get` reads the environment for the
    /// settings k6 takes from there.
    pub fn parse(text: &str, get: &dyn Fn(&str) -> Option<String>) -> Result<Spec, String> {
        let (kind, arg) = text.split_once('=').unwrap_or((text, ""));
        match kind {
            "json" => json::config(arg).map(Spec::Json),
            "csv" => csv::Config::parse(arg).map(Spec::Csv),
            "result" => result::config(arg).map(Spec::Result),
            "prometheus-rw" | "experimental-prometheus-rw" => {
                prometheus::Config::parse(arg, get).map(Spec::PrometheusRw)
            }
            _ => Err(format!(
                "unknown output `{kind}` in `--out {text}` (known: json=FILE, csv=FILE, \
                 prometheus-rw=URL, result=FILE)"
            )),
        }
    }
}

/// What the outputs of a run are given to describe samples.
pub struct Context {
    pub shared: Arc<Shared>,
    pub thresholds: Vec<Threshold>,
    /// The plan this instance runs, with its execution segment.
    pub plan: crate::executor::Plan,
    /// The scenario's name, as the summary shows it.
    pub scenario: String,
    /// How the run ended, set before the outputs finish.
    pub end: Arc<std::sync::OnceLock<result::RunEnd>>,
}

/// What an output does with samples.
pub(crate) trait Sink: Send {
    /// Writes one batch.
    fn write(&mut self, batch: &Batch) -> Result<(), String>;
    /// How often `tick` must run, for outputs that push on a period.
    fn period(&self) -> Option<Duration> {
        None
    }
    fn tick(&mut self) -> Result<(), String> {
        Ok(())
    }
    /// Writes whatever is left; called once, after the last batch.
    fn finish(&mut self) -> Result<(), String>;
}

/// One output's end of the pipe.
struct Queue {
    name: String,
    mailbox: Arc<Mailbox>,
    /// Samples pushed and not yet written.
    pending: Arc<AtomicU64>,
    /// When falling behind was last reported, in ms since `started`.
    warned_at: AtomicU64,
}

/// Batches waiting for one output, and whether more may come.
#[derive(Default)]
struct Mailbox {
    state: Mutex<(Vec<Arc<Batch>>, bool)>,
    closed: Condvar,
}

impl Mailbox {
    fn put(&self, batch: Arc<Batch>) {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .0
            .push(batch);
    }

    fn close(&self) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).1 = true;
        self.closed.notify_all();
    }

    /// Waits up to `wait` (less if the mailbox closes), then takes
    /// everything in it; `true` with the last of it.
    fn take(&self, wait: Duration) -> (Vec<Arc<Batch>>, bool) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if !state.1 {
            state = self
                .closed
                .wait_timeout(state, wait)
                .map_or_else(|e| e.into_inner().0, |(s, _)| s);
        }
        (std::mem::take(&mut state.0), state.1)
    }
}

/// The run's outputs.
pub struct Outputs {
    queues: RwLock<Vec<Queue>>,
    threads: Mutex<Vec<(String, JoinHandle<Vec<String>>)>>,
    started: Instant,
}

impl std::fmt::Debug for Outputs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outputs").finish_non_exhaustive()
    }
}

impl Outputs {
    /// Opens every output (a file that cannot be created fails here,
    /// before the test starts) and starts its thread.
    pub fn start(specs: &[Spec], ctx: &Context) -> Result<Outputs, String> {
        let mut sinks = Vec::new();
        for spec in specs {
            let (name, sink): (String, Box<dyn Sink>) = match spec {
                Spec::Json(c) => (
                    format!("json ({})", c.path),
                    Box::new(json::Json::open(c, ctx)?),
                ),
                Spec::Csv(c) => (
                    format!("csv ({})", c.path),
                    Box::new(csv::Csv::open(c, ctx)?),
                ),
                Spec::PrometheusRw(c) => (
                    format!("prometheus-rw ({})", c.url),
                    Box::new(prometheus::RemoteWrite::new(c, ctx)?),
                ),
                Spec::Result(c) => (
                    format!("result ({})", c.path),
                    Box::new(result::ResultFile::open(c, ctx)?),
                ),
            };
            sinks.push((name, sink));
        }
        Outputs::with_sinks(sinks)
    }

    fn with_sinks(sinks: Vec<(String, Box<dyn Sink>)>) -> Result<Outputs, String> {
        let mut queues = Vec::new();
        let mut threads = Vec::new();
        for (name, sink) in sinks {
            let mailbox = Arc::new(Mailbox::default());
            let pending = Arc::new(AtomicU64::new(0));
            let thread = std::thread::Builder::new()
                .name("barrage-output".into())
                .spawn({
                    let (mailbox, pending) = (mailbox.clone(), pending.clone());
                    move || drain(sink, &mailbox, &pending)
                })
                .map_err(|e| format!("cannot start the {name} output: {e}"))?;
            tracing::debug!(output = %name, "output started");
            threads.push((name.clone(), thread));
            queues.push(Queue {
                name,
                mailbox,
                pending,
                warned_at: AtomicU64::new(0),
            });
        }
        Ok(Outputs {
            queues: RwLock::new(queues),
            threads: Mutex::new(threads),
            started: Instant::now(),
        })
    }

    /// Queues a batch for every output; never waits.
    pub fn push(&self, batch: Batch) {
        let queues = self.queues.read().unwrap_or_else(|e| e.into_inner());
        if queues.is_empty() || batch.samples.is_empty() {
            return;
        }
        let n = batch.samples.len() as u64;
        let batch = Arc::new(batch);
        for q in queues.iter() {
            let pending = q.pending.fetch_add(n, Ordering::Relaxed) + n;
            q.mailbox.put(batch.clone());
            if pending > BEHIND {
                self.report_lag(q, pending);
            }
        }
    }

    /// Says that an output is falling behind, at most every
    /// [`BEHIND_EVERY`].
    fn report_lag(&self, q: &Queue, pending: u64) {
        let now = self.started.elapsed().as_millis() as u64;
        let last = q.warned_at.load(Ordering::Relaxed);
        let every = BEHIND_EVERY.as_millis() as u64;
        if (last == 0 || now >= last + every)
            && q.warned_at
                .compare_exchange(last, now.max(1), Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            tracing::warn!(
                "the {} output is falling behind: {pending} samples are waiting to be written \
                 (they are kept, in memory)",
                q.name
            );
        }
    }

    /// Closes the queues and waits for every output to write what is
    /// left; returns what went wrong, one message per problem.
    pub fn finish(&self) -> Vec<String> {
        let queues = std::mem::take(&mut *self.queues.write().unwrap_or_else(|e| e.into_inner()));
        for q in &queues {
            q.mailbox.close();
        }
        let threads = std::mem::take(&mut *self.threads.lock().unwrap_or_else(|e| e.into_inner()));
        let mut errors = Vec::new();
        for (name, thread) in threads {
            match thread.join() {
                Ok(problems) => errors.extend(
                    problems
                        .into_iter()
                        .map(|p| format!("the {name} output: {p}")),
                ),
                Err(_) => errors.push(format!("the {name} output stopped unexpectedly")),
            }
        }
        errors
    }
}

/// An output's thread: writes what was pushed every [`POLL`], ticks on
/// its period, and finishes once the mailbox is closed and empty. A
/// failing write is reported once and the output stops writing, but
/// keeps emptying its mailbox.
fn drain(mut sink: Box<dyn Sink>, mailbox: &Mailbox, pending: &AtomicU64) -> Vec<String> {
    let mut problems = Vec::new();
    let mut broken = false;
    let period = sink.period();
    let mut next_tick = period.map(|p| Instant::now() + p);
    loop {
        let wait = next_tick.map_or(POLL, |t| {
            t.saturating_duration_since(Instant::now()).min(POLL)
        });
        let (batches, closed) = mailbox.take(wait);
        for batch in batches {
            if !broken && let Err(e) = sink.write(&batch) {
                problems.push(e);
                broken = true;
            }
            pending.fetch_sub(batch.samples.len() as u64, Ordering::Relaxed);
        }
        if closed {
            break;
        }
        if let (Some(t), Some(p)) = (next_tick, period)
            && Instant::now() >= t
        {
            next_tick = Some(t + p);
            if let Err(e) = sink.tick() {
                tracing::error!("{e}");
            }
        }
    }
    if !broken && let Err(e) = sink.finish() {
        problems.push(e);
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Builtin;

    /// A sink that holds every write until the test opens it, then
    /// counts the samples it got.
    struct Gate {
        open: Arc<(Mutex<bool>, std::sync::Condvar)>,
        seen: Arc<AtomicU64>,
    }

    impl Sink for Gate {
        fn write(&mut self, batch: &Batch) -> Result<(), String> {
            let (lock, cvar) = &*self.open;
            let mut open = lock.lock().unwrap();
            while !*open {
                open = cvar.wait(open).unwrap();
            }
            self.seen
                .fetch_add(batch.samples.len() as u64, Ordering::Relaxed);
            Ok(())
        }

        fn finish(&mut self) -> Result<(), String> {
            Ok(())
        }
    }

    #[test]
    fn a_stalled_output_is_reported_and_loses_nothing() {
        let open = Arc::new((Mutex::new(false), std::sync::Condvar::new()));
        let seen = Arc::new(AtomicU64::new(0));
        let gate = Gate {
            open: open.clone(),
            seen: seen.clone(),
        };
        let outputs = Outputs::with_sinks(vec![("gate".into(), Box::new(gate))]).unwrap();
        let sample = Sample::Value {
            metric: Builtin::HttpReqs.id(),
            tags: TagSetId::EMPTY,
            at: 0,
            value: 1.0,
        };
        let started = Instant::now();
        for _ in 0..3 {
            outputs.push(Batch {
                samples: vec![sample; BEHIND as usize / 2 + 1],
                ..Default::default()
            });
        }
        assert!(started.elapsed() < Duration::from_secs(5), "pushing waited");
        let warned = outputs.queues.read().unwrap()[0]
            .warned_at
            .load(Ordering::Relaxed);
        assert!(warned > 0, "the lag was not reported");
        *open.0.lock().unwrap() = true;
        open.1.notify_all();
        assert!(outputs.finish().is_empty());
        assert_eq!(seen.load(Ordering::Relaxed), 3 * (BEHIND / 2 + 1));
    }

    fn parse(text: &str) -> Result<Spec, String> {
        Spec::parse(text, &|_| None)
    }

    #[test]
    fn specs_parse_by_kind() {
        assert!(matches!(parse("json=out.json"), Ok(Spec::Json(_))));
        assert!(matches!(parse("csv=out.csv.gz"), Ok(Spec::Csv(_))));
        assert!(matches!(
            parse("prometheus-rw=http://127.0.0.1:9090/api/v1/write"),
            Ok(Spec::PrometheusRw(_))
        ));
        assert_eq!(
            parse("influxdb=http://x").unwrap_err(),
            "unknown output `influxdb` in `--out influxdb=http://x` (known: json=FILE, \
             csv=FILE, prometheus-rw=URL, result=FILE)"
        );
    }
}
