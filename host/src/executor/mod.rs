//! Executors: when each VU starts an iteration, and when the run stops.
//!
//! An executor drives a set of [`Runner`]s (in a real run, VUs; in tests,
//! plain futures under paused time). Stopping has two steps, as in k6: at
//! the end of the planned time no new iteration starts, and iterations
//! still running get `gracefulStop` to finish before they are interrupted.

mod plan;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

pub use plan::{DEFAULT_GRACEFUL_STOP, DEFAULT_MAX_DURATION, Executor, Plan, PlanError};

use crate::vu::GuestError;
use crate::workers::Workers;

/// What an executor needs of a VU.
pub trait Runner: Send + 'static {
    /// Runs one iteration.
    fn iteration(&mut self) -> impl Future<Output = Result<(), GuestError>> + Send;
    /// Makes the runner usable again after a trap; `false` retires it.
    fn recover(&mut self) -> impl Future<Output = bool> + Send;
    /// Reports a failed iteration.
    fn report(&mut self, error: &GuestError);
}

/// Live counts, read by the progress line and the summary.
#[derive(Debug, Default)]
pub struct Progress {
    pub complete: AtomicU64,
    pub interrupted: AtomicU64,
    pub failed: AtomicU64,
    pub active_vus: AtomicU32,
}

/// How a run is stopped from outside (Ctrl-C, an aborting threshold).
#[derive(Debug, Clone, Default)]
pub struct Stop {
    /// Cancelled to interrupt everything now.
    pub now: CancellationToken,
}

/// Where iterations come from.
#[derive(Debug)]
enum Source {
    /// Until the end of the planned time.
    Unbounded,
    /// A pool all VUs draw from.
    Shared(AtomicU64),
    /// So many per VU.
    PerVu(u64),
}

impl Source {
    fn claim(&self, done_by_this_vu: u64) -> bool {
        match self {
            Source::Unbounded => true,
            Source::Shared(left) => left
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
                .is_ok(),
            Source::PerVu(n) => done_by_this_vu < *n,
        }
    }
}

/// Runs `plan` on `runners` (one per VU) from `start`, and returns the
/// runners that are still usable.
pub async fn run<R: Runner>(
    plan: &Plan,
    runners: Vec<R>,
    start: Instant,
    progress: Arc<Progress>,
    stop: Stop,
    workers: &Workers,
) -> Vec<R> {
    let (source, planned) = match plan.executor {
        Executor::ConstantVus { duration, .. } => (Source::Unbounded, duration),
        Executor::SharedIterations {
            iterations,
            max_duration,
            ..
        } => (Source::Shared(AtomicU64::new(iterations)), max_duration),
        Executor::PerVuIterations {
            iterations,
            max_duration,
            ..
        } => (Source::PerVu(iterations), max_duration),
    };
    let source = Arc::new(source);
    let end_of_plan = start + planned;
    let hard_stop = stop.now.child_token();
    let graceful = plan.graceful_stop;
    let watchdog = {
        let hard_stop = hard_stop.clone();
        tokio::spawn(async move {
            tokio::time::sleep_until(end_of_plan + graceful).await;
            hard_stop.cancel();
        })
    };
    let mut tasks = tokio::task::JoinSet::new();
    for runner in runners {
        let (source, progress, hard_stop) = (source.clone(), progress.clone(), hard_stop.clone());
        tasks.spawn_on(
            vu_loop(runner, source, end_of_plan, hard_stop, progress),
            workers.handle(),
        );
    }
    let mut alive = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        if let Ok(Some(runner)) = joined {
            alive.push(runner);
        }
    }
    watchdog.abort();
    alive
}

/// One VU's loop; returns the runner unless it was interrupted or retired.
async fn vu_loop<R: Runner>(
    mut runner: R,
    source: Arc<Source>,
    end_of_plan: Instant,
    hard_stop: CancellationToken,
    progress: Arc<Progress>,
) -> Option<R> {
    progress.active_vus.fetch_add(1, Ordering::Relaxed);
    let mut done = 0;
    let result = loop {
        if Instant::now() >= end_of_plan || hard_stop.is_cancelled() || !source.claim(done) {
            break Some(runner);
        }
        // An iteration that ends at the very instant of the hard stop is
        // complete, not interrupted.
        let outcome = tokio::select! {
            biased;
            r = runner.iteration() => r,
            () = hard_stop.cancelled() => {
                progress.interrupted.fetch_add(1, Ordering::Relaxed);
                break None;
            }
        };
        done += 1;
        progress.complete.fetch_add(1, Ordering::Relaxed);
        if let Err(e) = outcome {
            progress.failed.fetch_add(1, Ordering::Relaxed);
            runner.report(&e);
            if matches!(e, GuestError::Trapped(_)) && !runner.recover().await {
                break None;
            }
        }
    };
    progress.active_vus.fetch_sub(1, Ordering::Relaxed);
    result
}

#[cfg(test)]
mod tests;
