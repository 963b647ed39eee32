//! Open models: `constant-arrival-rate` and `ramping-arrival-rate`.
//!
//! Iteration `i` is due at `start + schedule.due(i)`, an instant fixed by
//! the options alone. At that instant it starts on an idle VU; if every VU
//! is busy, on a new one while the scenario holds fewer than `maxVUs`;
//! otherwise it is counted in `dropped_iterations`. It never waits for a
//! VU to come free: a waiting iteration would hide a slow target behind a
//! lower rate, which is coordinated omission. Each iteration records how
//! long after its due instant it actually began (`schedule_lag`), so a
//! generator or a target that cannot keep up shows in the results.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::closed::one_iteration;
use super::pool::{Factory, Pool, Slot};
use super::schedule::Schedule;
use super::{Context, Progress, Runner, Scenario, Timer};

/// tokio's timer resolution: it wakes a sleep at the first millisecond
/// tick at or after the deadline.
const TICK: Duration = Duration::from_millis(1);

/// Runs the scenario's schedule; with [`Timer::Precise`], on a thread of
/// its own.
pub(super) async fn dispatch<F: Factory>(
    ctx: &Context,
    pool: &Arc<Pool<F>>,
    hard_stop: &CancellationToken,
) {
    if ctx.timer == Timer::Tokio {
        return run(ctx, pool, hard_stop).await;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    let (done, finished) = tokio::sync::oneshot::channel();
    let (own_ctx, own_pool, own_stop) = (ctx.clone(), pool.clone(), hard_stop.clone());
    let spawned = runtime.map_err(|e| e.to_string()).and_then(|runtime| {
        std::thread::Builder::new()
            .name(format!("arrivals {}", ctx.scenario.name))
            .spawn(move || {
                // The kernel may delay this thread's wake-ups by its timer
                // slack (50 µs by default); ask for the least.
                let _ = rustix::thread::set_current_timer_slack(std::num::NonZeroU64::new(1));
                runtime.block_on(run(&own_ctx, &own_pool, &own_stop));
                let _ = done.send(());
            })
            .map_err(|e| e.to_string())
    });
    match spawned {
        Ok(_) => {
            let _ = finished.await;
        }
        Err(e) => {
            tracing::warn!(
                "no thread of its own for scenario `{}` ({e}): its starts may be up to 1 ms late",
                ctx.scenario.name
            );
            let tokio_only = Context {
                timer: Timer::Tokio,
                ..ctx.clone()
            };
            run(&tokio_only, pool, hard_stop).await;
        }
    }
}

/// Waits until `due`, or returns `false` at the hard stop.
async fn wait_until(due: Instant, timer: Timer, hard_stop: &CancellationToken) -> bool {
    // The coarse part on tokio's timer, which can be cancelled; with the
    // precise timer it ends within a tick before `due`, and this thread,
    // which runs nothing else, sleeps the rest.
    let coarse = match timer {
        Timer::Tokio => due,
        Timer::Precise => due.checked_sub(TICK).unwrap_or(due),
    };
    tokio::select! {
        biased;
        () = hard_stop.cancelled() => return false,
        () = tokio::time::sleep_until(coarse) => {}
    }
    if timer == Timer::Precise {
        let left = due.saturating_duration_since(Instant::now());
        if !left.is_zero() {
            std::thread::sleep(left);
        }
    }
    true
}

async fn run<F: Factory>(ctx: &Context, pool: &Arc<Pool<F>>, hard_stop: &CancellationToken) {
    let Some(schedule) = Schedule::for_executor(&ctx.scenario.executor) else {
        return;
    };
    let max_vus = ctx.scenario.executor.max_vus() as usize;
    let mut idle = pool.take(ctx.scenario.executor.initial_vus()).await;
    for slot in &mut idle {
        slot.runner.enter(&ctx.scenario);
    }
    // Iterations in flight; each gives its VU back when it ends.
    let mut running: JoinSet<Option<Slot<F::Runner>>> = JoinSet::new();
    let mut i = 0u64;
    while let Some(offset) = schedule.due(i) {
        let slot_index = i;
        i += 1;
        if !ctx.segment.owns(slot_index) {
            continue;
        }
        let due = ctx.start + offset;
        if !wait_until(due, ctx.timer, hard_stop).await {
            break;
        }
        while let Some(joined) = running.try_join_next() {
            if let Ok(Some(slot)) = joined {
                idle.push(slot);
            }
        }
        let job = Job {
            due,
            hard: hard_stop.clone(),
            progress: ctx.progress.clone(),
        };
        if let Some(slot) = idle.pop() {
            let home = slot.home.clone();
            running.spawn_on(job.run(slot), &home);
        } else if idle.len() + running.len() < max_vus {
            let home = pool.next_home();
            let (pool, scenario) = (pool.clone(), ctx.scenario.clone());
            running.spawn_on(job.on_new_vu(pool, scenario), &home);
        } else {
            ctx.progress.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
    // The schedule is over: iterations in flight get the graceful stop
    // (the scenario's watchdog interrupts them after it).
    while let Some(joined) = running.join_next().await {
        if let Ok(Some(slot)) = joined {
            idle.push(slot);
        }
    }
    pool.put(idle);
}

/// One due iteration.
struct Job {
    due: Instant,
    hard: CancellationToken,
    progress: Arc<Progress>,
}

impl Job {
    async fn run<R: Runner>(self, mut slot: Slot<R>) -> Option<Slot<R>> {
        slot.runner
            .schedule_lag(Instant::now().saturating_duration_since(self.due));
        self.progress.active_vus.fetch_add(1, Ordering::Relaxed);
        let outcome = one_iteration(&mut slot.runner, &self.hard, &self.progress).await;
        self.progress.active_vus.fetch_sub(1, Ordering::Relaxed);
        match outcome {
            Some(true) => Some(slot),
            _ => None,
        }
    }

    /// Makes a VU on this thread, then runs the iteration on it; the time
    /// it took to make counts as lag.
    async fn on_new_vu<F: Factory>(
        self,
        pool: Arc<Pool<F>>,
        scenario: Arc<Scenario>,
    ) -> Option<Slot<F::Runner>> {
        if self.hard.is_cancelled() {
            return None;
        }
        match pool.make_here().await {
            Ok(mut slot) => {
                slot.runner.enter(&scenario);
                self.run(slot).await
            }
            Err(e) => {
                tracing::warn!("could not make a VU for an arrival-rate iteration: {e}");
                self.progress.dropped.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }
}
