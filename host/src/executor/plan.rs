//! The resolved plan of a run: its scenarios, each with an executor, how
//! many VUs, for how long, and when it starts.

use std::collections::BTreeMap;
use std::time::Duration;

use super::segment::Segment;

/// k6's default `gracefulStop`, and `gracefulRampDown` of `ramping-vus`.
pub const DEFAULT_GRACEFUL_STOP: Duration = Duration::from_secs(30);
/// k6's default `maxDuration` for iteration-based executors.
pub const DEFAULT_MAX_DURATION: Duration = Duration::from_secs(600);
/// k6's default `timeUnit` of the arrival-rate executors.
pub const DEFAULT_TIME_UNIT: Duration = Duration::from_secs(1);

/// One stage of a ramp: reach `target` (VUs, or iterations per time unit)
/// linearly over `duration`. A zero duration is an instant step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stage {
    pub duration: Duration,
    pub target: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Executor {
    /// `vus` VUs loop for `duration`.
    ConstantVus { vus: u32, duration: Duration },
    /// VUs loop while their number follows `stages` from `start_vus`.
    RampingVus {
        start_vus: u32,
        stages: Vec<Stage>,
        graceful_ramp_down: Duration,
    },
    /// `vus` VUs share a pool of `iterations`.
    SharedIterations {
        vus: u32,
        iterations: u64,
        max_duration: Duration,
    },
    /// Each of `vus` VUs runs `iterations`.
    PerVuIterations {
        vus: u32,
        iterations: u64,
        max_duration: Duration,
    },
    /// `rate` iterations start every `time_unit`, whatever the target does.
    ConstantArrivalRate {
        rate: u64,
        time_unit: Duration,
        duration: Duration,
        pre_allocated_vus: u32,
        max_vus: u32,
    },
    /// The arrival rate follows `stages` from `start_rate`.
    RampingArrivalRate {
        start_rate: u64,
        time_unit: Duration,
        stages: Vec<Stage>,
        pre_allocated_vus: u32,
        max_vus: u32,
    },
}

impl Executor {
    pub fn name(&self) -> &'static str {
        match self {
            Executor::ConstantVus { .. } => "constant-vus",
            Executor::RampingVus { .. } => "ramping-vus",
            Executor::SharedIterations { .. } => "shared-iterations",
            Executor::PerVuIterations { .. } => "per-vu-iterations",
            Executor::ConstantArrivalRate { .. } => "constant-arrival-rate",
            Executor::RampingArrivalRate { .. } => "ramping-arrival-rate",
        }
    }

    /// The VUs made ready before the executor starts.
    pub fn initial_vus(&self) -> u32 {
        match self {
            Executor::ConstantVus { vus, .. }
            | Executor::SharedIterations { vus, .. }
            | Executor::PerVuIterations { vus, .. } => *vus,
            Executor::RampingVus {
                start_vus, stages, ..
            } => stages
                .iter()
                .map(|s| u32::try_from(s.target).unwrap_or(u32::MAX))
                .fold(*start_vus, u32::max),
            Executor::ConstantArrivalRate {
                pre_allocated_vus, ..
            }
            | Executor::RampingArrivalRate {
                pre_allocated_vus, ..
            } => *pre_allocated_vus,
        }
    }

    /// The VUs running the moment the executor starts.
    pub fn start_vus(&self) -> u32 {
        match self {
            Executor::RampingVus { start_vus, .. } => *start_vus,
            Executor::ConstantArrivalRate { .. } | Executor::RampingArrivalRate { .. } => 0,
            _ => self.initial_vus(),
        }
    }

    /// The most VUs the executor may use at once.
    pub fn max_vus(&self) -> u32 {
        match self {
            Executor::ConstantArrivalRate { max_vus, .. }
            | Executor::RampingArrivalRate { max_vus, .. } => (*max_vus).max(self.initial_vus()),
            _ => self.initial_vus(),
        }
    }

    /// The planned time, before the graceful stop: iteration-based
    /// executors may end sooner.
    pub fn duration(&self) -> Duration {
        match self {
            Executor::ConstantVus { duration, .. }
            | Executor::ConstantArrivalRate { duration, .. } => *duration,
            Executor::SharedIterations { max_duration, .. }
            | Executor::PerVuIterations { max_duration, .. } => *max_duration,
            Executor::RampingVus { stages, .. } | Executor::RampingArrivalRate { stages, .. } => {
                stages.iter().map(|s| s.duration).sum()
            }
        }
    }

    /// This executor's share for one execution segment: VUs and shared
    /// iterations scaled so that the shares of all segments add up to the
    /// whole. Arrival-rate slots are split when they are scheduled
    /// ([`super::arrival::Schedule`]).
    pub fn scaled(&self, segment: &Segment) -> Executor {
        let vus = |n: u32| u32::try_from(segment.scale(u64::from(n))).unwrap_or(n);
        let mut out = self.clone();
        match &mut out {
            Executor::ConstantVus { vus: v, .. } | Executor::PerVuIterations { vus: v, .. } => {
                *v = vus(*v);
            }
            Executor::SharedIterations {
                vus: v, iterations, ..
            } => {
                // The iterations go with the VUs that would have run them
                // in the whole test (VU j runs every j-th), so a segment
                // with no VUs has no iterations either, and the shares
                // still add up to the whole.
                let all = u64::from(*v);
                if let Some(each) = iterations.checked_div(all) {
                    let extra = *iterations % all;
                    *iterations = (0..all)
                        .filter(|&j| segment.owns(j))
                        .map(|j| each + u64::from(j < extra))
                        .sum();
                }
                *v = vus(*v);
            }
            Executor::RampingVus {
                start_vus, stages, ..
            } => {
                *start_vus = vus(*start_vus);
                for s in stages {
                    s.target = segment.scale(s.target);
                }
            }
            Executor::ConstantArrivalRate {
                pre_allocated_vus,
                max_vus,
                ..
            }
            | Executor::RampingArrivalRate {
                pre_allocated_vus,
                max_vus,
                ..
            } => {
                *pre_allocated_vus = vus(*pre_allocated_vus);
                *max_vus = vus(*max_vus);
            }
        }
        out
    }
}

/// One scenario of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    pub name: String,
    pub executor: Executor,
    /// When the scenario starts, counted from the start of the run.
    pub start_time: Duration,
    pub graceful_stop: Duration,
    /// The scenario function each iteration runs.
    pub exec: String,
    /// Variables added to what `-e` passed, for this scenario's VUs.
    pub env: BTreeMap<String, String>,
    /// Tags added to every sample of this scenario.
    pub tags: BTreeMap<String, String>,
}

impl Scenario {
    /// A scenario named `default` running `executor` from the start.
    pub fn new(executor: Executor) -> Scenario {
        Scenario {
            name: "default".into(),
            executor,
            start_time: Duration::ZERO,
            graceful_stop: DEFAULT_GRACEFUL_STOP,
            exec: "default".into(),
            env: BTreeMap::new(),
            tags: BTreeMap::new(),
        }
    }

    /// When the scenario's last iteration has ended at the latest.
    pub fn end(&self) -> Duration {
        self.start_time + self.executor.duration() + self.graceful_stop
    }
}

/// Every scenario of a run, and the execution segment it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Sorted by start time, then by name.
    pub scenarios: Vec<Scenario>,
    pub segment: Segment,
}

impl Plan {
    pub fn new(mut scenarios: Vec<Scenario>) -> Plan {
        scenarios.sort_by(|a, b| (a.start_time, &a.name).cmp(&(b.start_time, &b.name)));
        Plan {
            scenarios,
            segment: Segment::FULL,
        }
    }

    /// The VUs to make before the run starts: the most that scenarios
    /// running at the same time need up front. Scenarios that follow one
    /// another reuse the same VUs.
    pub fn initial_vus(&self) -> u32 {
        self.peak(|s| s.executor.initial_vus())
    }

    /// The most VUs the run may use at once.
    pub fn max_vus(&self) -> u32 {
        self.peak(|s| s.executor.max_vus())
    }

    /// The longest the run can take, graceful stops included.
    pub fn max_duration(&self) -> Duration {
        self.scenarios
            .iter()
            .map(Scenario::end)
            .max()
            .unwrap_or_default()
    }

    /// The largest sum of `need` over scenarios whose time spans overlap.
    fn peak(&self, need: impl Fn(&Scenario) -> u32) -> u32 {
        let mut events: Vec<(Duration, i64)> = Vec::new();
        for s in &self.scenarios {
            let n = i64::from(need(s));
            events.push((s.start_time, n));
            events.push((s.end(), -n));
        }
        // Ends sort before starts at the same instant: a scenario that
        // starts as another ends reuses its VUs.
        events.sort();
        let (mut now, mut peak) = (0i64, 0i64);
        for (_, n) in events {
            now += n;
            peak = peak.max(now);
        }
        u32::try_from(peak).unwrap_or(u32::MAX)
    }

    /// This instance's share of the plan. Fails when the share of an
    /// arrival-rate scenario has iterations to start but no VU to run
    /// them: every one would be dropped.
    pub fn for_segment(mut self, segment: Segment) -> Result<Plan, PlanError> {
        for s in &mut self.scenarios {
            let share = s.executor.scaled(&segment);
            if let Executor::ConstantArrivalRate { max_vus: 0, .. }
            | Executor::RampingArrivalRate { max_vus: 0, .. } = share
            {
                return Err(PlanError::new(
                    &format!("scenarios.{}.maxVUs", s.name),
                    format!(
                        "the execution segment {segment} gets none of its {} VUs, so every \
                         iteration it starts would be dropped: give the scenario more VUs",
                        s.executor.max_vus()
                    ),
                ));
            }
            s.executor = share;
        }
        self.segment = segment;
        Ok(self)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct PlanError {
    pub field: String,
    pub reason: String,
}

impl PlanError {
    pub fn new(field: &str, reason: impl Into<String>) -> Self {
        PlanError {
            field: field.to_owned(),
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(start: u64, vus: u32, secs: u64) -> Scenario {
        Scenario {
            start_time: Duration::from_secs(start),
            graceful_stop: Duration::ZERO,
            ..Scenario::new(Executor::ConstantVus {
                vus,
                duration: Duration::from_secs(secs),
            })
        }
    }

    #[test]
    fn scenarios_in_sequence_share_their_vus() {
        let plan = Plan::new(vec![at(0, 5, 10), at(10, 3, 10)]);
        assert_eq!(plan.initial_vus(), 5);
        assert_eq!(plan.max_duration(), Duration::from_secs(20));
        let plan = Plan::new(vec![at(0, 5, 10), at(9, 3, 10)]);
        assert_eq!(plan.initial_vus(), 8);
    }

    #[test]
    fn arrival_rate_needs_its_pre_allocated_vus_up_front() {
        let e = Executor::ConstantArrivalRate {
            rate: 10,
            time_unit: DEFAULT_TIME_UNIT,
            duration: Duration::from_secs(1),
            pre_allocated_vus: 2,
            max_vus: 7,
        };
        assert_eq!((e.initial_vus(), e.max_vus()), (2, 7));
    }
}
