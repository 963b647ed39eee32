//! Executors under paused tokio time: exact counts, no wall-clock waits.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use super::*;
use crate::workers::Workers;

/// What the fake VUs saw, shared by all of them.
#[derive(Default)]
struct Log {
    /// When each iteration started, and on which VU.
    starts: Vec<(Instant, u32)>,
    lags: Vec<Duration>,
    reported: u64,
}

/// A VU whose iterations take a fixed time; every `trap_every`th traps.
struct Fake {
    id: u32,
    took: Duration,
    done: u64,
    trap_every: u64,
    log: Arc<Mutex<Log>>,
}

impl Runner for Fake {
    fn enter(&mut self, _: &Arc<Scenario>) {}

    async fn iteration(&mut self) -> Result<(), GuestError> {
        self.log
            .lock()
            .unwrap()
            .starts
            .push((Instant::now(), self.id));
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
        self.log.lock().unwrap().reported += 1;
    }

    fn schedule_lag(&mut self, lag: Duration) {
        self.log.lock().unwrap().lags.push(lag);
    }
}

/// Makes fakes: VU `id` takes `took[(id - 1) % len]` per iteration.
struct Fakes {
    took: Vec<u64>,
    trap_every: u64,
    /// How long making a VU takes.
    make: Duration,
    log: Arc<Mutex<Log>>,
}

impl Fakes {
    fn new(took: &[u64]) -> Self {
        Fakes {
            took: took.to_vec(),
            trap_every: 0,
            make: Duration::ZERO,
            log: Arc::default(),
        }
    }
}

impl Factory for Fakes {
    type Runner = Fake;

    async fn create(&self, id: u32) -> Result<Fake, String> {
        tokio::time::sleep(self.make).await;
        Ok(Fake {
            id,
            took: Duration::from_millis(self.took[(id as usize - 1) % self.took.len()]),
            done: 0,
            trap_every: self.trap_every,
            log: self.log.clone(),
        })
    }
}

fn scenario(executor: Executor, graceful_ms: u64) -> Scenario {
    Scenario {
        graceful_stop: Duration::from_millis(graceful_ms),
        ..Scenario::new(executor)
    }
}

struct Outcome {
    progress: Vec<Arc<Progress>>,
    /// VUs still usable at the end, with their iteration counts.
    alive: Vec<(Duration, u64)>,
    made: u32,
    took: Duration,
    log: Arc<Mutex<Log>>,
}

impl Outcome {
    fn counts(&self) -> (u64, u64) {
        let sum = |f: fn(&Progress) -> u64| self.progress.iter().map(|p| f(p)).sum();
        (
            sum(|p| Progress::get(&p.complete)),
            sum(|p| Progress::get(&p.interrupted)),
        )
    }

    fn dropped(&self) -> u64 {
        self.progress
            .iter()
            .map(|p| Progress::get(&p.dropped))
            .sum()
    }

    /// Iteration starts per whole second since the start.
    fn starts_per_second(&self, start: Instant, seconds: usize) -> Vec<u64> {
        let mut counts = vec![0; seconds];
        for (at, _) in &self.log.lock().unwrap().starts {
            counts[(*at - start).as_secs() as usize] += 1;
        }
        counts
    }
}

async fn run_plan(plan: Plan, fakes: Fakes, stop: Stop) -> (Outcome, Instant) {
    let log = fakes.log.clone();
    let pool = Pool::new(fakes, Arc::new(Workers::current()));
    pool.fill(plan.initial_vus(), &stop.now).await.unwrap();
    let progress: Vec<_> = plan.scenarios.iter().map(|_| Arc::default()).collect();
    let start = Instant::now();
    run(&plan, &pool, start, &progress, stop, Timer::Tokio).await;
    let took = start.elapsed();
    let alive = pool
        .drain()
        .into_iter()
        .map(|s| (s.runner.took, s.runner.done))
        .collect();
    let made = pool.made();
    let outcome = Outcome {
        progress,
        alive,
        made,
        took,
        log,
    };
    (outcome, start)
}

async fn run_one(s: Scenario, fakes: Fakes) -> Outcome {
    run_plan(Plan::new(vec![s]), fakes, Stop::default()).await.0
}

fn constant(vus: u32, secs: u64) -> Executor {
    Executor::ConstantVus {
        vus,
        duration: Duration::from_secs(secs),
    }
}

#[tokio::test(start_paused = true)]
async fn constant_vus_loop_until_the_duration_ends() {
    let out = run_one(scenario(constant(2, 1), 30_000), Fakes::new(&[100])).await;
    assert_eq!(out.counts(), (20, 0));
    assert_eq!(out.alive.len(), 2);
    assert_eq!(out.took, Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn running_iterations_finish_within_graceful_stop() {
    let out = run_one(scenario(constant(2, 1), 30_000), Fakes::new(&[300])).await;
    // Starts at 0, 300, 600 and 900 ms; the last ends at 1.2 s.
    assert_eq!(out.counts(), (8, 0));
    assert_eq!(out.took, Duration::from_millis(1200));
}

#[tokio::test(start_paused = true)]
async fn iterations_past_graceful_stop_are_interrupted() {
    let out = run_one(scenario(constant(2, 1), 50), Fakes::new(&[300])).await;
    assert_eq!(out.counts(), (6, 2));
    assert!(out.alive.is_empty());
    assert_eq!(out.took, Duration::from_millis(1050));
}

#[tokio::test(start_paused = true)]
async fn shared_iterations_run_exactly_the_pool() {
    let executor = Executor::SharedIterations {
        vus: 3,
        iterations: 10,
        max_duration: Duration::from_secs(600),
    };
    let out = run_one(scenario(executor, 30_000), Fakes::new(&[10, 25, 40])).await;
    assert_eq!(out.counts(), (10, 0));
    assert_eq!(out.alive.iter().map(|(_, done)| done).sum::<u64>(), 10);
    // The fastest VU takes the largest share.
    assert!(
        out.alive
            .iter()
            .any(|&(took, done)| took == Duration::from_millis(10) && done >= 5)
    );
}

#[tokio::test(start_paused = true)]
async fn per_vu_iterations_run_each_vus_share() {
    let executor = Executor::PerVuIterations {
        vus: 3,
        iterations: 4,
        max_duration: Duration::from_secs(600),
    };
    let out = run_one(scenario(executor, 30_000), Fakes::new(&[10, 25, 40])).await;
    assert_eq!(out.counts(), (12, 0));
    assert!(out.alive.iter().all(|&(_, done)| done == 4));
    assert_eq!(out.took, Duration::from_millis(160));
}

#[tokio::test(start_paused = true)]
async fn max_duration_bounds_an_iteration_pool() {
    let executor = Executor::SharedIterations {
        vus: 1,
        iterations: 1000,
        max_duration: Duration::from_secs(1),
    };
    let out = run_one(scenario(executor, 0), Fakes::new(&[100])).await;
    assert_eq!(out.counts(), (10, 0));
}

#[tokio::test(start_paused = true)]
async fn traps_are_counted_and_the_vu_goes_on() {
    let executor = Executor::SharedIterations {
        vus: 1,
        iterations: 9,
        max_duration: Duration::from_secs(600),
    };
    let mut fakes = Fakes::new(&[10]);
    fakes.trap_every = 3;
    let out = run_one(scenario(executor, 0), fakes).await;
    assert_eq!(out.counts(), (9, 0));
    assert_eq!(Progress::get(&out.progress[0].failed), 3);
    assert_eq!(out.log.lock().unwrap().reported, 3);
}

#[tokio::test(start_paused = true)]
async fn a_stop_from_outside_interrupts_at_once() {
    let stop = Stop::default();
    let canceller = stop.now.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(450)).await;
        canceller.cancel();
    });
    let plan = Plan::new(vec![scenario(constant(2, 10), 30_000)]);
    let (out, _) = run_plan(plan, Fakes::new(&[100]), stop).await;
    assert_eq!(out.counts(), (8, 2));
    assert_eq!(out.took, Duration::from_millis(450));
}

/// Samples the running VUs of `progress` at each of `at` (ms).
fn probe(progress: Arc<Progress>, start: Instant, at: &[u64]) -> tokio::task::JoinHandle<Vec<u32>> {
    let at = at.to_vec();
    tokio::spawn(async move {
        let mut seen = Vec::new();
        for ms in at {
            tokio::time::sleep_until(start + Duration::from_millis(ms)).await;
            seen.push(
                progress
                    .active_vus
                    .load(std::sync::atomic::Ordering::Relaxed),
            );
        }
        seen
    })
}

fn stage(ms: u64, target: u64) -> Stage {
    Stage {
        duration: Duration::from_millis(ms),
        target,
    }
}

#[tokio::test(start_paused = true)]
async fn ramping_vus_follow_the_stages() {
    // 0 → 4 VUs over 4 s, hold 2 s, down to 1 over 3 s. Iterations of
    // 100 ms: a retired VU is gone within 100 ms of its step.
    let executor = Executor::RampingVus {
        start_vus: 0,
        stages: vec![stage(4000, 4), stage(2000, 4), stage(3000, 1)],
        graceful_ramp_down: Duration::from_secs(30),
    };
    let plan = Plan::new(vec![scenario(executor, 30_000)]);
    let log = Arc::new(Mutex::new(Log::default()));
    let mut fakes = Fakes::new(&[100]);
    fakes.log = log.clone();
    let pool = Pool::new(fakes, Arc::new(Workers::current()));
    pool.fill(plan.initial_vus(), &Stop::default().now)
        .await
        .unwrap();
    assert_eq!(plan.initial_vus(), 4);
    let progress = vec![Arc::new(Progress::default())];
    let start = Instant::now();
    let seen = probe(
        progress[0].clone(),
        start,
        &[500, 1500, 2500, 3500, 5000, 6500, 7500, 8500, 9500],
    );
    run(
        &plan,
        &pool,
        start,
        &progress,
        Stop::default(),
        Timer::Tokio,
    )
    .await;
    assert_eq!(start.elapsed(), Duration::from_secs(9));
    assert_eq!(seen.await.unwrap(), vec![0, 1, 2, 3, 4, 4, 3, 2, 0]);
}

#[tokio::test(start_paused = true)]
async fn a_ramp_down_interrupts_after_graceful_ramp_down() {
    // 2 VUs with 1 s iterations, down to 0 at once at 0.5 s; they get
    // 200 ms to finish, which is not enough.
    let executor = Executor::RampingVus {
        start_vus: 2,
        stages: vec![stage(500, 2), stage(0, 0), stage(1500, 0)],
        graceful_ramp_down: Duration::from_millis(200),
    };
    let out = run_one(scenario(executor, 30_000), Fakes::new(&[1000])).await;
    assert_eq!(out.counts(), (0, 2));
    assert_eq!(out.took, Duration::from_secs(2));
}

fn arrival(rate: u64, secs: u64, pre: u32, max: u32) -> Executor {
    Executor::ConstantArrivalRate {
        rate,
        time_unit: DEFAULT_TIME_UNIT,
        duration: Duration::from_secs(secs),
        pre_allocated_vus: pre,
        max_vus: max,
    }
}

#[tokio::test(start_paused = true)]
async fn constant_arrival_rate_starts_on_time() {
    let plan = Plan::new(vec![scenario(arrival(200, 5, 5, 5), 30_000)]);
    let (out, start) = run_plan(plan, Fakes::new(&[3]), Stop::default()).await;
    assert_eq!(out.counts(), (1000, 0));
    assert_eq!(out.starts_per_second(start, 5), vec![200; 5]);
    assert_eq!(out.dropped(), 0);
    let log = out.log.lock().unwrap();
    assert_eq!(log.lags.len(), 1000);
    assert!(log.lags.iter().all(|l| l.is_zero()));
    // Iteration i started at exactly i × 5 ms.
    assert!(
        log.starts
            .iter()
            .enumerate()
            .all(|(i, (at, _))| *at - start == Duration::from_millis(5 * i as u64))
    );
}

#[tokio::test(start_paused = true)]
async fn ramping_arrival_rate_follows_start_rate_steps_and_ramps() {
    let executor = Executor::RampingArrivalRate {
        start_rate: 4,
        time_unit: DEFAULT_TIME_UNIT,
        stages: vec![
            stage(2000, 4),
            stage(0, 10),
            stage(1000, 10),
            stage(2000, 0),
        ],
        pre_allocated_vus: 2,
        max_vus: 2,
    };
    let plan = Plan::new(vec![scenario(executor, 30_000)]);
    let (out, start) = run_plan(plan, Fakes::new(&[10]), Stop::default()).await;
    assert_eq!(out.starts_per_second(start, 5), vec![4, 4, 10, 8, 2]);
    assert_eq!(out.counts(), (28, 0));
}

#[tokio::test(start_paused = true)]
async fn iterations_with_no_vu_left_are_dropped() {
    // 10 a second for 2 s, each taking 950 ms, at most 5 VUs: five run,
    // the next five find every VU busy, and so on.
    let plan = Plan::new(vec![scenario(arrival(10, 2, 2, 5), 30_000)]);
    let (out, start) = run_plan(plan, Fakes::new(&[950]), Stop::default()).await;
    assert_eq!(out.counts(), (10, 0));
    assert_eq!(out.dropped(), 10);
    assert_eq!(out.made, 5);
    assert_eq!(out.starts_per_second(start, 2), vec![5, 5]);
}

#[tokio::test(start_paused = true)]
async fn schedule_lag_measures_late_starts() {
    // No VU up front and 30 ms to make one: the first iteration starts
    // 30 ms late, the next ones on time on the same VU.
    let plan = Plan::new(vec![scenario(arrival(2, 2, 0, 1), 30_000)]);
    let mut fakes = Fakes::new(&[100]);
    fakes.make = Duration::from_millis(30);
    let (out, _) = run_plan(plan, fakes, Stop::default()).await;
    let lags = out.log.lock().unwrap().lags.clone();
    assert_eq!(
        lags,
        vec![
            Duration::from_millis(30),
            Duration::ZERO,
            Duration::ZERO,
            Duration::ZERO
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn scenarios_in_sequence_reuse_vus_and_start_on_time() {
    let first = Scenario {
        name: "first".into(),
        ..scenario(constant(3, 1), 0)
    };
    let second = Scenario {
        name: "second".into(),
        start_time: Duration::from_millis(1100),
        ..scenario(constant(2, 1), 0)
    };
    let plan = Plan::new(vec![second, first]);
    assert_eq!(plan.scenarios[0].name, "first");
    let (out, start) = run_plan(plan, Fakes::new(&[250]), Stop::default()).await;
    assert_eq!(out.made, 3);
    assert_eq!(out.starts_per_second(start, 3), vec![12, 8, 0]);
    assert_eq!(out.took, Duration::from_millis(2100));
    let per: Vec<u64> = out
        .progress
        .iter()
        .map(|p| Progress::get(&p.complete))
        .collect();
    assert_eq!(per, vec![12, 8]);
}

#[tokio::test(start_paused = true)]
async fn a_segment_runs_its_share_of_the_arrivals() {
    let third = Segment::new(Ratio::new(1, 3).unwrap(), Ratio::new(2, 3).unwrap(), &[]).unwrap();
    let plan = Plan::new(vec![scenario(arrival(30, 1, 3, 3), 0)])
        .for_segment(third)
        .expect("VUs for the segment");
    let (out, _) = run_plan(plan, Fakes::new(&[1]), Stop::default()).await;
    assert_eq!(out.counts(), (10, 0));
    assert_eq!(out.made, 1);
}
