//! Executors under paused tokio time: exact counts, no wall-clock waits.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::time::Instant;

use super::*;

/// A VU whose iterations take a fixed time; every `trap_every`th traps.
struct Fake {
    took: Duration,
    done: u64,
    trap_every: u64,
    reported: u64,
}

impl Fake {
    fn new(ms: u64) -> Self {
        Fake {
            took: Duration::from_millis(ms),
            done: 0,
            trap_every: 0,
            reported: 0,
        }
    }
}

impl Runner for Fake {
    async fn iteration(&mut self) -> Result<(), GuestError> {
        tokio::time::sleep(self.took).await;
        self.done += 1;
        if self.trap_every > 0 && self.done.is_multiple_of(self.trap_every) {
            return Err(GuestError::Trapped("planned".into()));
        }
        Ok(())
    }

    async fn recover(&mut self) -> bool {
        true
    }

    fn report(&mut self, _: &GuestError) {
        self.reported += 1;
    }
}

fn plan(executor: Executor, graceful_ms: u64) -> Plan {
    Plan {
        scenario: "default".into(),
        executor,
        graceful_stop: Duration::from_millis(graceful_ms),
        exec: "default".into(),
    }
}

async fn run_fakes(plan: &Plan, fakes: Vec<Fake>) -> (Arc<Progress>, Vec<Fake>, Duration) {
    let progress = Arc::new(Progress::default());
    let start = Instant::now();
    let alive = run(
        plan,
        fakes,
        start,
        progress.clone(),
        Stop::default(),
        &Workers::current(),
    )
    .await;
    (progress, alive, start.elapsed())
}

fn counts(p: &Progress) -> (u64, u64) {
    (
        p.complete.load(Ordering::Relaxed),
        p.interrupted.load(Ordering::Relaxed),
    )
}

#[tokio::test(start_paused = true)]
async fn constant_vus_loop_until_the_duration_ends() {
    let p = plan(
        Executor::ConstantVus {
            vus: 2,
            duration: Duration::from_secs(1),
        },
        30_000,
    );
    let (progress, alive, took) = run_fakes(&p, vec![Fake::new(100), Fake::new(100)]).await;
    assert_eq!(counts(&progress), (20, 0));
    assert_eq!(alive.len(), 2);
    assert_eq!(took, Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn running_iterations_finish_within_graceful_stop() {
    let p = plan(
        Executor::ConstantVus {
            vus: 2,
            duration: Duration::from_secs(1),
        },
        30_000,
    );
    let (progress, _, took) = run_fakes(&p, vec![Fake::new(300), Fake::new(300)]).await;
    // Starts at 0, 300, 600 and 900 ms; the last ends at 1.2 s.
    assert_eq!(counts(&progress), (8, 0));
    assert_eq!(took, Duration::from_millis(1200));
}

#[tokio::test(start_paused = true)]
async fn iterations_past_graceful_stop_are_interrupted() {
    let p = plan(
        Executor::ConstantVus {
            vus: 2,
            duration: Duration::from_secs(1),
        },
        50,
    );
    let (progress, alive, took) = run_fakes(&p, vec![Fake::new(300), Fake::new(300)]).await;
    assert_eq!(counts(&progress), (6, 2));
    assert!(alive.is_empty());
    assert_eq!(took, Duration::from_millis(1050));
}

#[tokio::test(start_paused = true)]
async fn shared_iterations_run_exactly_the_pool() {
    let executor = Executor::SharedIterations {
        vus: 3,
        iterations: 10,
        max_duration: Duration::from_secs(600),
    };
    let fakes = vec![Fake::new(10), Fake::new(25), Fake::new(40)];
    let (progress, alive, _) = run_fakes(&plan(executor, 30_000), fakes).await;
    assert_eq!(counts(&progress), (10, 0));
    assert_eq!(alive.iter().map(|f| f.done).sum::<u64>(), 10);
    // The fastest VU takes the largest share.
    assert!(
        alive
            .iter()
            .any(|f| f.took == Duration::from_millis(10) && f.done >= 5)
    );
}

#[tokio::test(start_paused = true)]
async fn per_vu_iterations_run_each_vus_share() {
    let executor = Executor::PerVuIterations {
        vus: 3,
        iterations: 4,
        max_duration: Duration::from_secs(600),
    };
    let fakes = vec![Fake::new(10), Fake::new(25), Fake::new(40)];
    let (progress, alive, took) = run_fakes(&plan(executor, 30_000), fakes).await;
    assert_eq!(counts(&progress), (12, 0));
    assert!(alive.iter().all(|f| f.done == 4));
    assert_eq!(took, Duration::from_millis(160));
}

#[tokio::test(start_paused = true)]
async fn max_duration_bounds_an_iteration_pool() {
    let executor = Executor::SharedIterations {
        vus: 1,
        iterations: 1000,
        max_duration: Duration::from_secs(1),
    };
    let (progress, _, _) = run_fakes(&plan(executor, 0), vec![Fake::new(100)]).await;
    assert_eq!(counts(&progress), (10, 0));
}

#[tokio::test(start_paused = true)]
async fn traps_are_counted_and_the_vu_goes_on() {
    let executor = Executor::SharedIterations {
        vus: 1,
        iterations: 9,
        max_duration: Duration::from_secs(600),
    };
    let mut fake = Fake::new(10);
    fake.trap_every = 3;
    let (progress, alive, _) = run_fakes(&plan(executor, 30_000), vec![fake]).await;
    assert_eq!(counts(&progress), (9, 0));
    assert_eq!(progress.failed.load(Ordering::Relaxed), 3);
    assert_eq!(alive[0].reported, 3);
}

#[tokio::test(start_paused = true)]
async fn an_outside_stop_interrupts_at_once() {
    let p = plan(
        Executor::ConstantVus {
            vus: 2,
            duration: Duration::from_secs(10),
        },
        30_000,
    );
    let progress = Arc::new(Progress::default());
    let stop = Stop::default();
    let canceller = stop.now.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(450)).await;
        canceller.cancel();
    });
    let start = Instant::now();
    run(
        &p,
        vec![Fake::new(100), Fake::new(100)],
        start,
        progress.clone(),
        stop,
        &Workers::current(),
    )
    .await;
    assert_eq!(counts(&progress), (8, 2));
    assert_eq!(start.elapsed(), Duration::from_millis(450));
}
