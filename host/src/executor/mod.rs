//! Executors: when each VU starts an iteration, and when the run stops.
//!
//! A run is a [`Plan`] of scenarios; each starts at its `startTime` and
//! drives VUs taken from one [`Pool`] shared by the whole run, so
//! scenarios that follow one another reuse VUs. The VUs are generic
//! [`Runner`]s: in a real run, WebAssembly instances; in the unit tests,
//! plain futures under paused tokio time, so every schedule is tested
//! exactly.
//!
//! Closed models (`constant-vus`, `ramping-vus`, the iteration-based
//! ones) loop each VU on its own thread (`vu_loop`). Open models (the
//! arrival-rate executors) start each iteration at the instant the
//! [`Schedule`] says, on an idle VU, on a new VU while below `maxVUs`, or
//! count it in `dropped_iterations`; how late each one started is
//! recorded as `schedule_lag` (`arrival.rs`).
//!
//! Stopping has two steps, as in k6: at the end of the planned time no new
//! iteration starts, and iterations still running get `gracefulStop` to
//! finish before they are interrupted.

mod arrival;
mod closed;
mod plan;
mod pool;
mod schedule;
pub mod segment;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

pub use plan::{
    DEFAULT_GRACEFUL_STOP, DEFAULT_MAX_DURATION, DEFAULT_TIME_UNIT, Executor, Plan, PlanError,
    Scenario, Stage,
};
pub use pool::{Factory, Pool};
pub use schedule::{Schedule, vu_steps};
pub use segment::{Ratio, Segment};

use crate::vu::GuestError;

/// What an executor needs of a VU.
pub trait Runner: Send + 'static {
    /// Joins `scenario`: its iterations run `scenario.exec` with its
    /// variables and tags.
    fn enter(&mut self, scenario: &Arc<Scenario>);
    /// Runs one iteration.
    fn iteration(&mut self) -> impl Future<Output = Result<(), GuestError>> + Send;
    /// Makes the runner usable again after a trap; `false` retires it.
    fn recover(&mut self) -> impl Future<Output = bool> + Send;
    /// Reports a failed iteration.
    fn report(&mut self, error: &GuestError);
    /// Records how late an arrival-rate iteration started.
    fn schedule_lag(&mut self, lag: Duration);
}

/// Live counts of one scenario, read by the progress line and the summary.
#[derive(Debug, Default)]
pub struct Progress {
    pub complete: AtomicU64,
    pub interrupted: AtomicU64,
    pub failed: AtomicU64,
    /// Arrival-rate iterations that found no VU to run on.
    pub dropped: AtomicU64,
    pub active_vus: AtomicU32,
}

impl Progress {
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// How a run is stopped from outside (Ctrl-C, an aborting threshold).
#[derive(Debug, Clone, Default)]
pub struct Stop {
    /// Cancelled to interrupt everything now.
    pub now: CancellationToken,
}

/// How an arrival-rate scenario waits for the instant an iteration is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timer {
    /// tokio's timer alone. It has a resolution of one millisecond and
    /// rounds every deadline up, so starts are up to 1 ms late; under a
    /// paused clock (the tests), it is exact.
    Tokio,
    /// Each arrival-rate scenario dispatches from a thread of its own,
    /// which finishes every wait with a precise sleep of the OS: starts
    /// are late by the OS's timer slack (tens of microseconds), not by a
    /// millisecond tick.
    Precise,
}

/// Runs every scenario of `plan` from `start`, each with its own
/// [`Progress`] (in the plan's order), on VUs from `pool`.
pub async fn run<F: Factory>(
    plan: &Plan,
    pool: &Arc<Pool<F>>,
    start: Instant,
    progress: &[Arc<Progress>],
    stop: Stop,
    timer: Timer,
) {
    let mut scenarios = JoinSet::new();
    for (scenario, progress) in plan.scenarios.iter().zip(progress) {
        let ctx = Context {
            scenario: Arc::new(scenario.clone()),
            start: start + scenario.start_time,
            progress: progress.clone(),
            segment: plan.segment.clone(),
            timer,
        };
        scenarios.spawn(run_scenario(ctx, pool.clone(), stop.now.child_token()));
    }
    while scenarios.join_next().await.is_some() {}
}

/// What one scenario's executor works with.
#[derive(Clone)]
struct Context {
    scenario: Arc<Scenario>,
    /// The scenario's own start.
    start: Instant,
    progress: Arc<Progress>,
    segment: Segment,
    timer: Timer,
}

impl Context {
    /// The end of the planned time: no iteration starts after it.
    fn end_of_plan(&self) -> Instant {
        self.start + self.scenario.executor.duration()
    }
}

async fn run_scenario<F: Factory>(ctx: Context, pool: Arc<Pool<F>>, hard_stop: CancellationToken) {
    tokio::select! {
        () = tokio::time::sleep_until(ctx.start) => {}
        () = hard_stop.cancelled() => return,
    }
    // Past the planned time and the graceful stop, whatever still runs is
    // interrupted.
    let watchdog = {
        let hard_stop = hard_stop.clone();
        let at = ctx.end_of_plan() + ctx.scenario.graceful_stop;
        tokio::spawn(async move {
            tokio::time::sleep_until(at).await;
            hard_stop.cancel();
        })
    };
    tracing::debug!(
        scenario = %ctx.scenario.name,
        executor = ctx.scenario.executor.name(),
        "scenario started"
    );
    match &ctx.scenario.executor {
        Executor::ConstantArrivalRate { .. } | Executor::RampingArrivalRate { .. } => {
            arrival::dispatch(&ctx, &pool, &hard_stop).await;
        }
        Executor::RampingVus { .. } => closed::ramping(&ctx, &pool, &hard_stop).await,
        _ => closed::run(&ctx, &pool, &hard_stop).await,
    }
    watchdog.abort();
}

#[cfg(test)]
mod tests;
