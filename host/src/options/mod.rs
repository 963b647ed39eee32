//! Test options from every source, merged into one plan.
//!
//! Sources, lowest first: the scenario's exported options, `--config FILE`
//! (JSON or TOML), `BARRAGE_*` environment variables, then flags: the
//! order k6 users know. Every source becomes a [`Layer`] through the same
//! checks, so a bad value is reported the same way wherever it came from,
//! with the path of the field (`scenarios.checkout.rate: ...`).
//!
//! The shortcuts (`vus`, `duration`, `iterations`, `stages`, `rate`) stand
//! for one scenario named `default`; given by a higher source, they
//! replace the `scenarios` of lower ones, as in k6.

mod parse;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use crate::duration;
use crate::executor::{
    DEFAULT_MAX_DURATION, DEFAULT_TIME_UNIT, Executor, Plan, PlanError, Ratio, Scenario, Segment,
    Stage, segment,
};
use crate::http::Allowlist;
use crate::metrics::{SystemTags, TagConfig};
use crate::thresholds::Threshold;

/// k6's default `setupTimeout` and `teardownTimeout`.
pub const DEFAULT_LIFECYCLE_TIMEOUT: Duration = Duration::from_secs(60);

/// The options one source sets; `None` leaves the value to a lower source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layer {
    /// k6's `scenarios`, checked.
    pub scenarios: Option<Vec<Scenario>>,
    pub vus: Option<u64>,
    pub duration: Option<Duration>,
    pub iterations: Option<u64>,
    pub stages: Option<Vec<Stage>>,
    /// Iterations per second: the arrival-rate shortcut.
    pub rate: Option<u64>,
    pub pre_allocated_vus: Option<u64>,
    pub max_vus: Option<u64>,
    pub setup_timeout: Option<Duration>,
    pub teardown_timeout: Option<Duration>,
    pub no_setup: Option<bool>,
    pub no_teardown: Option<bool>,
    /// k6's `thresholds`; a higher source's replace a lower one's.
    pub thresholds: Option<Vec<Threshold>>,
    /// k6's `tags`: on every sample of the test.
    pub tags: Option<BTreeMap<String, String>>,
    /// k6's `systemTags`: the system tags to record.
    pub system_tags: Option<SystemTags>,
    /// `allowHosts`: where requests may go; all hosts when unset.
    pub allow_hosts: Option<Allowlist>,
    /// `maxIterationCpu`: the longest a guest call may run its own code.
    pub max_iteration_cpu: Option<Duration>,
    /// `maxVuMemory`: the most linear memory a VU's guest may have.
    pub max_vu_memory: Option<u64>,
    /// k6's `executionSegment`: the part of the test this instance runs.
    pub execution_segment: Option<(Ratio, Ratio)>,
    /// k6's `executionSegmentSequence`: every instance's boundaries.
    pub execution_segment_sequence: Option<Vec<Ratio>>,
}

impl Layer {
    /// The first shortcut option this layer sets, by its k6 name.
    fn shortcut(&self) -> Option<&'static str> {
        [
            ("duration", self.duration.is_some()),
            ("iterations", self.iterations.is_some()),
            ("stages", self.stages.is_some()),
            ("rate", self.rate.is_some()),
        ]
        .into_iter()
        .find_map(|(name, set)| set.then_some(name))
    }

    /// `self` with `over`'s values on top.
    pub fn overlay(self, over: &Layer) -> Layer {
        // Shortcuts given by a higher source replace a lower source's
        // scenarios, and the other way round.
        let (scenarios, below) = if over.scenarios.is_some() {
            (over.scenarios.clone(), Layer::default())
        } else if over.shortcut().is_some() {
            (
                None,
                Layer {
                    scenarios: None,
                    ..self.clone()
                },
            )
        } else {
            (self.scenarios.clone(), self.clone())
        };
        Layer {
            scenarios,
            vus: over.vus.or(below.vus),
            duration: over.duration.or(below.duration),
            iterations: over.iterations.or(below.iterations),
            stages: over.stages.clone().or(below.stages),
            rate: over.rate.or(below.rate),
            pre_allocated_vus: over.pre_allocated_vus.or(below.pre_allocated_vus),
            max_vus: over.max_vus.or(below.max_vus),
            setup_timeout: over.setup_timeout.or(self.setup_timeout),
            teardown_timeout: over.teardown_timeout.or(self.teardown_timeout),
            no_setup: over.no_setup.or(self.no_setup),
            no_teardown: over.no_teardown.or(self.no_teardown),
            thresholds: over.thresholds.clone().or(self.thresholds),
            tags: over.tags.clone().or(self.tags),
            system_tags: over.system_tags.or(self.system_tags),
            allow_hosts: over.allow_hosts.clone().or(self.allow_hosts),
            max_iteration_cpu: over.max_iteration_cpu.or(self.max_iteration_cpu),
            max_vu_memory: over.max_vu_memory.or(self.max_vu_memory),
            execution_segment: over.execution_segment.or(self.execution_segment),
            execution_segment_sequence: over
                .execution_segment_sequence
                .clone()
                .or(self.execution_segment_sequence),
        }
    }
}

/// A bad option: where it came from and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid options from {source_name}: {message}")]
pub struct OptionsError {
    pub source_name: String,
    pub message: String,
}

/// Parses the JSON a scenario's `options` export returned.
pub fn from_scenario(json: &str) -> Result<Layer, OptionsError> {
    let fail = |message: String| OptionsError {
        source_name: "the scenario".into(),
        message,
    };
    if json.trim().is_empty() {
        return Ok(Layer::default());
    }
    let tree: serde_json::Value = serde_json::from_str(json).map_err(|e| fail(e.to_string()))?;
    parse::layer(&tree).map_err(fail)
}

/// Reads a `--config` file: TOML if its name ends in `.toml`, else JSON.
pub fn from_file(path: &Path) -> Result<Layer, OptionsError> {
    let fail = |message: String| OptionsError {
        source_name: format!("`{}`", path.display()),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| fail(format!("cannot read it: {e}")))?;
    let toml = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"));
    let tree: serde_json::Value = if toml {
        toml::from_str(&text).map_err(|e| fail(e.to_string().trim_end().to_owned()))?
    } else {
        serde_json::from_str(&text).map_err(|e| fail(e.to_string()))?
    };
    parse::layer(&tree).map_err(fail)
}

/// Reads the `BARRAGE_*` variables through `get`: `BARRAGE_VUS`,
/// `BARRAGE_DURATION`, `BARRAGE_ITERATIONS`, `BARRAGE_STAGES`
/// (`30s:10,1m:10`), `BARRAGE_RATE`, `BARRAGE_PRE_ALLOCATED_VUS`,
/// `BARRAGE_MAX_VUS`, `BARRAGE_SETUP_TIMEOUT`, `BARRAGE_TEARDOWN_TIMEOUT`,
/// `BARRAGE_NO_SETUP`, `BARRAGE_NO_TEARDOWN`, `BARRAGE_NO_THRESHOLDS`,
/// `BARRAGE_SYSTEM_TAGS` (`status,method,url`), `BARRAGE_ALLOW_HOSTS`
/// (`api.test,*.cdn.test`), `BARRAGE_MAX_ITERATION_CPU`,
/// `BARRAGE_MAX_VU_MEMORY` (`64MiB`), `BARRAGE_EXECUTION_SEGMENT`
/// (`1/3:2/3`) and `BARRAGE_EXECUTION_SEGMENT_SEQUENCE` (`0,1/3,2/3,1`).
pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Layer, OptionsError> {
    let var = |name: &str| get(name);
    Ok(Layer {
        scenarios: None,
        vus: env_var(&var, "BARRAGE_VUS", number)?,
        duration: env_var(&var, "BARRAGE_DURATION", time)?,
        iterations: env_var(&var, "BARRAGE_ITERATIONS", number)?,
        stages: env_var(&var, "BARRAGE_STAGES", |v| {
            v.split(',').map(parse_stage).collect()
        })?,
        rate: env_var(&var, "BARRAGE_RATE", number)?,
        pre_allocated_vus: env_var(&var, "BARRAGE_PRE_ALLOCATED_VUS", number)?,
        max_vus: env_var(&var, "BARRAGE_MAX_VUS", number)?,
        setup_timeout: env_var(&var, "BARRAGE_SETUP_TIMEOUT", time)?,
        teardown_timeout: env_var(&var, "BARRAGE_TEARDOWN_TIMEOUT", time)?,
        no_setup: env_var(&var, "BARRAGE_NO_SETUP", boolean)?,
        no_teardown: env_var(&var, "BARRAGE_NO_TEARDOWN", boolean)?,
        thresholds: env_var(&var, "BARRAGE_NO_THRESHOLDS", boolean)?
            .and_then(|off| off.then(Vec::new)),
        tags: None,
        system_tags: env_var(&var, "BARRAGE_SYSTEM_TAGS", |v| {
            SystemTags::parse(v.split(','))
        })?,
        allow_hosts: env_var(&var, "BARRAGE_ALLOW_HOSTS", |v| {
            Allowlist::parse(v.split(','))
        })?,
        max_iteration_cpu: env_var(&var, "BARRAGE_MAX_ITERATION_CPU", time)?,
        max_vu_memory: env_var(&var, "BARRAGE_MAX_VU_MEMORY", crate::size::parse)?,
        execution_segment: env_var(&var, "BARRAGE_EXECUTION_SEGMENT", segment::parse_bounds)?,
        execution_segment_sequence: env_var(
            &var,
            "BARRAGE_EXECUTION_SEGMENT_SEQUENCE",
            segment::parse_sequence,
        )?,
    })
}

fn env_var<T>(
    get: &dyn Fn(&str) -> Option<String>,
    name: &str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<Option<T>, OptionsError> {
    get(name)
        .map(|v| {
            parse(&v).map_err(|message| OptionsError {
                source_name: format!("`{name}`"),
                message,
            })
        })
        .transpose()
}

fn number(v: &str) -> Result<u64, String> {
    v.trim()
        .parse()
        .map_err(|_| format!("expected a whole number, got `{v}`"))
}

fn time(v: &str) -> Result<Duration, String> {
    duration::parse(v).map_err(|e| e.to_string())
}

fn boolean(v: &str) -> Result<bool, String> {
    match v.trim() {
        "1" | "true" => Ok(true),
        "0" | "false" | "" => Ok(false),
        _ => Err(format!("expected true or false, got `{v}`")),
    }
}

/// k6's `--stage DURATION:TARGET`, e.g. `30s:100`.
pub fn parse_stage(text: &str) -> Result<Stage, String> {
    let (d, t) = text.trim().split_once(':').ok_or_else(|| {
        format!("invalid stage `{text}`: expected DURATION:TARGET, e.g. `30s:100`")
    })?;
    Ok(Stage {
        duration: duration::parse(d).map_err(|e| format!("invalid stage `{text}`: {e}"))?,
        target: t
            .trim()
            .parse()
            .map_err(|_| format!("invalid stage `{text}`: the target must be a whole number"))?,
    })
}

/// The merged options of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub plan: Plan,
    pub setup_timeout: Duration,
    pub teardown_timeout: Duration,
    pub no_setup: bool,
    pub no_teardown: bool,
    pub thresholds: Vec<Threshold>,
    pub tags: TagConfig,
    pub allow_hosts: Allowlist,
    /// The longest a guest call (an iteration, `setup`, ...) may run its
    /// own code before it is stopped.
    pub max_iteration_cpu: Duration,
    /// The most linear memory a VU's guest may have, in bytes.
    pub max_vu_memory: usize,
}

/// How long a guest call may run its own code unless the options say.
pub const DEFAULT_MAX_ITERATION_CPU: Duration = Duration::from_secs(60);

/// Turns the merged layer into a plan.
pub fn resolve(layer: &Layer) -> Result<Resolved, PlanError> {
    let scenarios = match &layer.scenarios {
        Some(s) => s.clone(),
        None => vec![Scenario::new(shortcut_executor(layer)?)],
    };
    let plan = Plan::new(scenarios);
    let sequence = layer.execution_segment_sequence.as_deref().unwrap_or(&[]);
    let plan = match layer.execution_segment {
        Some((start, end)) => {
            let segment = Segment::new(start, end, sequence)
                .map_err(|e| PlanError::new("executionSegment", e))?;
            plan.for_segment(segment)?
        }
        None if !sequence.is_empty() => {
            return Err(PlanError::new(
                "executionSegmentSequence",
                "is given without `executionSegment`: say which segment this instance runs",
            ));
        }
        None => plan,
    };
    Ok(Resolved {
        plan,
        setup_timeout: layer.setup_timeout.unwrap_or(DEFAULT_LIFECYCLE_TIMEOUT),
        teardown_timeout: layer.teardown_timeout.unwrap_or(DEFAULT_LIFECYCLE_TIMEOUT),
        no_setup: layer.no_setup.unwrap_or(false),
        no_teardown: layer.no_teardown.unwrap_or(false),
        thresholds: layer.thresholds.clone().unwrap_or_default(),
        tags: TagConfig {
            system: layer.system_tags.unwrap_or_default(),
            test: layer.tags.clone().unwrap_or_default().into_iter().collect(),
        },
        allow_hosts: layer.allow_hosts.clone().unwrap_or_default(),
        max_iteration_cpu: layer.max_iteration_cpu.unwrap_or(DEFAULT_MAX_ITERATION_CPU),
        max_vu_memory: layer.max_vu_memory.map_or(crate::vu::MEMORY_LIMIT, |b| {
            usize::try_from(b).unwrap_or(usize::MAX)
        }),
    })
}

/// k6's shortcuts: `stages` is `ramping-vus` from `vus`; `vus` with
/// `duration` is `constant-vus`; `iterations` is `shared-iterations`
/// (bounded by `duration` if both are given); neither is one iteration on
/// one VU. Beyond k6, `rate` with `duration` is `constant-arrival-rate`,
/// and `rate` with `stages` is `ramping-arrival-rate` starting at `rate`.
fn shortcut_executor(l: &Layer) -> Result<Executor, PlanError> {
    let vus = |v: u64, field: &str| {
        u32::try_from(v).map_err(|_| PlanError::new(field, format!("{v} VUs is too many")))
    };
    let conflict = |a: &str, b: &str| {
        Err(PlanError::new(
            a,
            format!("cannot be combined with `{b}`; use `scenarios` for a custom mix"),
        ))
    };
    if let Some(rate) = l.rate {
        if l.iterations.is_some() {
            return conflict("rate", "iterations");
        }
        let pre = match (l.pre_allocated_vus, l.vus) {
            (Some(p), _) | (None, Some(p)) => vus(p, "preAllocatedVUs")?,
            (None, None) => {
                return Err(PlanError::new(
                    "preAllocatedVUs",
                    "is required with `rate` (or give `vus`)",
                ));
            }
        };
        let max_vus = vus(l.max_vus.unwrap_or(u64::from(pre)), "maxVUs")?;
        if max_vus < pre || max_vus == 0 {
            return Err(PlanError::new(
                "maxVUs",
                format!("must be at least 1 and at least the {pre} pre-allocated VUs"),
            ));
        }
        return match (&l.stages, l.duration) {
            (Some(_), Some(_)) => conflict("stages", "duration"),
            (Some(stages), None) => Ok(Executor::RampingArrivalRate {
                start_rate: rate,
                time_unit: DEFAULT_TIME_UNIT,
                stages: stages.clone(),
                pre_allocated_vus: pre,
                max_vus,
            }),
            (None, Some(d)) if !d.is_zero() => Ok(Executor::ConstantArrivalRate {
                rate,
                time_unit: DEFAULT_TIME_UNIT,
                duration: d,
                pre_allocated_vus: pre,
                max_vus,
            }),
            _ => Err(PlanError::new("duration", "is required with `rate`")),
        };
    }
    if let Some(stages) = &l.stages {
        if l.duration.is_some() {
            return conflict("stages", "duration");
        }
        if l.iterations.is_some() {
            return conflict("stages", "iterations");
        }
        if stages.is_empty() {
            return Err(PlanError::new("stages", "needs at least one stage"));
        }
        return Ok(Executor::RampingVus {
            start_vus: vus(l.vus.unwrap_or(1), "vus")?,
            stages: stages.clone(),
            graceful_ramp_down: crate::executor::DEFAULT_GRACEFUL_STOP,
        });
    }
    let n = match l.vus {
        Some(0) => return Err(PlanError::new("vus", "must be at least 1")),
        Some(v) => vus(v, "vus")?,
        None => 1,
    };
    match (l.duration, l.iterations) {
        (_, Some(0)) => Err(PlanError::new("iterations", "must be at least 1")),
        (Some(d), None) if d.is_zero() => Err(PlanError::new("duration", "must be longer than 0s")),
        (d, Some(iterations)) => {
            if u64::from(n) > iterations {
                return Err(PlanError::new(
                    "vus",
                    format!("{n} VUs cannot share only {iterations} iterations"),
                ));
            }
            Ok(Executor::SharedIterations {
                vus: n,
                iterations,
                max_duration: d.filter(|d| !d.is_zero()).unwrap_or(DEFAULT_MAX_DURATION),
            })
        }
        (Some(duration), None) => Ok(Executor::ConstantVus { vus: n, duration }),
        (None, None) => Ok(Executor::SharedIterations {
            vus: n,
            iterations: u64::from(n),
            max_duration: DEFAULT_MAX_DURATION,
        }),
    }
}

#[cfg(test)]
mod tests;
