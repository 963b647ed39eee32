//! Closed models: each VU loops, starting its next iteration when the last
//! one ends. `constant-vus`, `shared-iterations` and `per-vu-iterations`
//! keep a fixed set of VUs; `ramping-vus` adds and retires VUs as its
//! stages say.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::pool::{Factory, Pool, Slot};
use super::schedule::vu_steps;
use super::{Context, Executor, Progress, Runner};
use crate::vu::GuestError;

/// Where a VU's iterations come from.
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

/// `constant-vus`, `shared-iterations`, `per-vu-iterations`.
pub(super) async fn run<F: Factory>(ctx: &Context, pool: &Pool<F>, hard_stop: &CancellationToken) {
    let source = Arc::new(match ctx.scenario.executor {
        Executor::SharedIterations { iterations, .. } => Source::Shared(AtomicU64::new(iterations)),
        Executor::PerVuIterations { iterations, .. } => Source::PerVu(iterations),
        _ => Source::Unbounded,
    });
    let mut loops = JoinSet::new();
    for slot in pool.take(ctx.scenario.executor.initial_vus()).await {
        let stop = Stops {
            end: ctx.end_of_plan(),
            retire: CancellationToken::new(),
            hard: hard_stop.clone(),
        };
        start_loop(&mut loops, ctx, slot, source.clone(), stop);
    }
    while let Some(joined) = loops.join_next().await {
        if let Ok(Some(slot)) = joined {
            pool.put([slot]);
        }
    }
}

/// `ramping-vus`: the number of looping VUs follows the stages. A VU
/// retired by a ramp down starts no new iteration and gets
/// `gracefulRampDown` to finish the one it runs.
pub(super) async fn ramping<F: Factory>(
    ctx: &Context,
    pool: &Pool<F>,
    hard_stop: &CancellationToken,
) {
    let Executor::RampingVus {
        start_vus,
        ref stages,
        graceful_ramp_down,
    } = ctx.scenario.executor
    else {
        return;
    };
    let source = Arc::new(Source::Unbounded);
    let mut idle = pool.take(ctx.scenario.executor.initial_vus()).await;
    let mut loops = JoinSet::new();
    let mut timers = JoinSet::new();
    // The running VUs' retire and interrupt tokens, newest last.
    let mut running: Vec<(CancellationToken, CancellationToken)> = Vec::new();
    for (offset, target) in vu_steps(start_vus, stages) {
        tokio::select! {
            () = tokio::time::sleep_until(ctx.start + offset) => {}
            () = hard_stop.cancelled() => break,
        }
        while let Some(joined) = loops.try_join_next() {
            if let Ok(Some(slot)) = joined {
                idle.push(slot);
            }
        }
        while running.len() < target as usize {
            let slot = match idle.pop() {
                Some(s) => s,
                None => match pool.take(1).await.pop() {
                    Some(s) => s,
                    None => break,
                },
            };
            let stop = Stops {
                end: ctx.end_of_plan(),
                retire: CancellationToken::new(),
                hard: hard_stop.child_token(),
            };
            running.push((stop.retire.clone(), stop.hard.clone()));
            start_loop(&mut loops, ctx, slot, source.clone(), stop);
        }
        while running.len() > target as usize {
            let Some((retire, interrupt)) = running.pop() else {
                break;
            };
            retire.cancel();
            timers.spawn(async move {
                tokio::time::sleep(graceful_ramp_down).await;
                interrupt.cancel();
            });
        }
    }
    // With no step left, the VUs run to the end of the planned time.
    tokio::select! {
        () = tokio::time::sleep_until(ctx.end_of_plan()) => {}
        () = hard_stop.cancelled() => {}
    }
    pool.put(idle);
    while let Some(joined) = loops.join_next().await {
        if let Ok(Some(slot)) = joined {
            pool.put([slot]);
        }
    }
    timers.abort_all();
}

/// When one VU's loop stops.
struct Stops {
    /// No iteration starts after this instant.
    end: Instant,
    /// Cancelled to start no more iterations (a ramp down).
    retire: CancellationToken,
    /// Cancelled to interrupt the running iteration.
    hard: CancellationToken,
}

fn start_loop<R: Runner>(
    loops: &mut JoinSet<Option<Slot<R>>>,
    ctx: &Context,
    mut slot: Slot<R>,
    source: Arc<Source>,
    stop: Stops,
) {
    slot.runner.enter(&ctx.scenario);
    let home = slot.home.clone();
    loops.spawn_on(vu_loop(slot, source, stop, ctx.progress.clone()), &home);
}

/// One VU's loop; returns the VU unless it was interrupted or retired.
async fn vu_loop<R: Runner>(
    mut slot: Slot<R>,
    source: Arc<Source>,
    stop: Stops,
    progress: Arc<Progress>,
) -> Option<Slot<R>> {
    progress.active_vus.fetch_add(1, Ordering::Relaxed);
    let mut done = 0;
    let result = loop {
        if Instant::now() >= stop.end
            || stop.retire.is_cancelled()
            || stop.hard.is_cancelled()
            || !source.claim(done)
        {
            break Some(slot);
        }
        let Some(outcome) = one_iteration(&mut slot.runner, &stop.hard, &progress).await else {
            break None;
        };
        done += 1;
        if !outcome {
            break None;
        }
    };
    progress.active_vus.fetch_sub(1, Ordering::Relaxed);
    result
}

/// Runs one iteration and counts it. `None` if it was interrupted;
/// `Some(false)` if the VU trapped and could not be remade.
pub(super) async fn one_iteration<R: Runner>(
    runner: &mut R,
    hard: &CancellationToken,
    progress: &Progress,
) -> Option<bool> {
    // An iteration that ends at the very instant of the hard stop is
    // complete, not interrupted.
    let outcome = tokio::select! {
        biased;
        r = runner.iteration() => r,
        () = hard.cancelled() => {
            progress.interrupted.fetch_add(1, Ordering::Relaxed);
            return None;
        }
    };
    progress.complete.fetch_add(1, Ordering::Relaxed);
    if let Err(e) = outcome {
        progress.failed.fetch_add(1, Ordering::Relaxed);
        runner.report(&e);
        if matches!(e, GuestError::Trapped(_)) {
            return Some(runner.recover().await);
        }
    }
    Some(true)
}
