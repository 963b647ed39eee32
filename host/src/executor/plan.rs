//! The resolved plan of a run: which executor, how many VUs, for how long.

use std::time::Duration;

/// k6's default `gracefulStop`.
pub const DEFAULT_GRACEFUL_STOP: Duration = Duration::from_secs(30);
/// k6's default `maxDuration` for iteration-based executors.
pub const DEFAULT_MAX_DURATION: Duration = Duration::from_secs(600);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Executor {
    /// `vus` VUs loop for `duration`.
    ConstantVus { vus: u32, duration: Duration },
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
}

impl Executor {
    pub fn name(&self) -> &'static str {
        match self {
            Executor::ConstantVus { .. } => "constant-vus",
            Executor::SharedIterations { .. } => "shared-iterations",
            Executor::PerVuIterations { .. } => "per-vu-iterations",
        }
    }

    pub fn vus(&self) -> u32 {
        match *self {
            Executor::ConstantVus { vus, .. }
            | Executor::SharedIterations { vus, .. }
            | Executor::PerVuIterations { vus, .. } => vus,
        }
    }

    /// The longest the executor can run before its graceful stop.
    pub fn max_duration(&self) -> Duration {
        match *self {
            Executor::ConstantVus { duration, .. } => duration,
            Executor::SharedIterations { max_duration, .. }
            | Executor::PerVuIterations { max_duration, .. } => max_duration,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub scenario: String,
    pub executor: Executor,
    pub graceful_stop: Duration,
    /// The scenario function each iteration runs.
    pub exec: String,
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

impl Plan {
    /// k6's shortcut options: `vus` with `duration` is constant VUs,
    /// `iterations` is a shared pool (bounded by `duration` if both are
    /// given), and neither is one iteration on one VU.
    pub fn from_shortcuts(
        vus: Option<u64>,
        duration: Option<Duration>,
        iterations: Option<u64>,
    ) -> Result<Plan, PlanError> {
        let vus = match vus {
            Some(0) => return Err(PlanError::new("vus", "must be at least 1")),
            Some(v) => u32::try_from(v).map_err(|_| PlanError::new("vus", "is too large"))?,
            None => 1,
        };
        let executor = match (duration, iterations) {
            (_, Some(0)) => return Err(PlanError::new("iterations", "must be at least 1")),
            (Some(d), _) if d.is_zero() && iterations.is_none() => {
                return Err(PlanError::new("duration", "must be longer than 0s"));
            }
            (d, Some(iterations)) => {
                if u64::from(vus) > iterations {
                    return Err(PlanError::new(
                        "vus",
                        format!("{vus} VUs cannot share only {iterations} iterations"),
                    ));
                }
                let max_duration = d.filter(|d| !d.is_zero()).unwrap_or(DEFAULT_MAX_DURATION);
                Executor::SharedIterations {
                    vus,
                    iterations,
                    max_duration,
                }
            }
            (Some(duration), None) => Executor::ConstantVus { vus, duration },
            (None, None) => Executor::SharedIterations {
                vus,
                iterations: u64::from(vus),
                max_duration: DEFAULT_MAX_DURATION,
            },
        };
        Ok(Plan {
            scenario: "default".into(),
            executor,
            graceful_stop: DEFAULT_GRACEFUL_STOP,
            exec: "default".into(),
        })
    }
}
