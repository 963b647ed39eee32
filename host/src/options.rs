//! Test options from every source, merged into one plan.
//!
//! The scenario's exported options are overridden by `BARRAGE_*`
//! environment variables, which are overridden by flags: the order k6
//! users know. Every source goes through the same parser, so a bad value
//! is reported the same way wherever it came from.

use std::time::Duration;

use serde::Deserialize;

use crate::duration;
use crate::executor::{DEFAULT_GRACEFUL_STOP, DEFAULT_MAX_DURATION, Executor, Plan, PlanError};

/// k6's default `setupTimeout` and `teardownTimeout`.
pub const DEFAULT_LIFECYCLE_TIMEOUT: Duration = Duration::from_secs(60);

/// The options one source sets; `None` leaves the value to a lower source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layer {
    /// A scenario given in k6's `scenarios` form, which replaces the
    /// shortcut options below.
    pub scenario: Option<Plan>,
    pub vus: Option<u64>,
    pub duration: Option<Duration>,
    pub iterations: Option<u64>,
    pub setup_timeout: Option<Duration>,
    pub teardown_timeout: Option<Duration>,
}

impl Layer {
    /// `self` with `over`'s values on top.
    pub fn overlay(self, over: &Layer) -> Layer {
        // A shortcut given by a higher source replaces a lower source's
        // scenario, as `--vus`/`--duration` replace `scenarios` in k6.
        let shortcut = over.vus.is_some() || over.duration.is_some() || over.iterations.is_some();
        let scenario = match (&over.scenario, shortcut) {
            (Some(p), _) => Some(p.clone()),
            (None, true) => None,
            (None, false) => self.scenario,
        };
        Layer {
            scenario,
            vus: over.vus.or(self.vus),
            duration: over.duration.or(self.duration),
            iterations: over.iterations.or(self.iterations),
            setup_timeout: over.setup_timeout.or(self.setup_timeout),
            teardown_timeout: over.teardown_timeout.or(self.teardown_timeout),
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

/// k6's option names as a scenario exports them.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Exported {
    vus: Option<u64>,
    duration: Option<DurationValue>,
    iterations: Option<u64>,
    setup_timeout: Option<DurationValue>,
    teardown_timeout: Option<DurationValue>,
    scenarios: Option<std::collections::BTreeMap<String, ExportedScenario>>,
}

/// One entry of k6's `scenarios`, for the executors this version has.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ExportedScenario {
    executor: String,
    vus: Option<u64>,
    duration: Option<DurationValue>,
    iterations: Option<u64>,
    max_duration: Option<DurationValue>,
    graceful_stop: Option<DurationValue>,
    exec: Option<String>,
}

impl ExportedScenario {
    fn plan(&self, name: &str) -> Result<Plan, String> {
        let field = |f: &str| format!("scenarios.{name}.{f}");
        let time = |v: &Option<DurationValue>, f: &str| {
            v.as_ref().map(|d| d.resolve(&field(f))).transpose()
        };
        let vus = match self.vus {
            Some(0) => return Err(format!("{}: must be at least 1", field("vus"))),
            Some(v) => u32::try_from(v).map_err(|_| format!("{}: is too large", field("vus")))?,
            None => 1,
        };
        let iterations = self.iterations.unwrap_or(1);
        if iterations == 0 {
            return Err(format!("{}: must be at least 1", field("iterations")));
        }
        let max_duration = time(&self.max_duration, "maxDuration")?.unwrap_or(DEFAULT_MAX_DURATION);
        let executor = match self.executor.as_str() {
            "constant-vus" => {
                let duration = time(&self.duration, "duration")?
                    .filter(|d| !d.is_zero())
                    .ok_or_else(|| {
                        format!(
                            "{}: a duration longer than 0s is required",
                            field("duration")
                        )
                    })?;
                Executor::ConstantVus { vus, duration }
            }
            "shared-iterations" => {
                if u64::from(vus) > iterations {
                    return Err(format!(
                        "{}: {vus} VUs cannot share only {iterations} iterations",
                        field("vus")
                    ));
                }
                Executor::SharedIterations {
                    vus,
                    iterations,
                    max_duration,
                }
            }
            "per-vu-iterations" => Executor::PerVuIterations {
                vus,
                iterations,
                max_duration,
            },
            other => {
                return Err(format!(
                    "{}: unknown executor `{other}` (this version runs constant-vus, \
                     shared-iterations and per-vu-iterations)",
                    field("executor")
                ));
            }
        };
        Ok(Plan {
            scenario: name.to_owned(),
            executor,
            graceful_stop: time(&self.graceful_stop, "gracefulStop")?
                .unwrap_or(DEFAULT_GRACEFUL_STOP),
            exec: self.exec.clone().unwrap_or_else(|| "default".into()),
        })
    }
}

/// A duration as k6 accepts it in JSON: `"30s"` or milliseconds.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum DurationValue {
    Text(String),
    Millis(f64),
}

impl DurationValue {
    fn resolve(&self, field: &str) -> Result<Duration, String> {
        match self {
            DurationValue::Text(t) => duration::parse(t).map_err(|e| format!("{field}: {e}")),
            DurationValue::Millis(ms) => Duration::try_from_secs_f64(ms / 1000.0)
                .map_err(|_| format!("{field}: expected a non-negative duration")),
        }
    }
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
    let exported: Exported = serde_json::from_str(json).map_err(|e| fail(e.to_string()))?;
    let dur = |v: &Option<DurationValue>, f: &str| v.as_ref().map(|d| d.resolve(f)).transpose();
    let scenario = match exported.scenarios {
        None => None,
        Some(map) if map.len() == 1 => map
            .iter()
            .next()
            .map(|(n, s)| s.plan(n))
            .transpose()
            .map_err(fail)?,
        // TODO(#3): several scenarios in one run.
        Some(map) => {
            return Err(fail(format!(
                "scenarios: {} given, but this version runs one",
                map.len()
            )));
        }
    };
    Ok(Layer {
        scenario,
        vus: exported.vus,
        iterations: exported.iterations,
        duration: dur(&exported.duration, "duration").map_err(fail)?,
        setup_timeout: dur(&exported.setup_timeout, "setupTimeout").map_err(fail)?,
        teardown_timeout: dur(&exported.teardown_timeout, "teardownTimeout").map_err(fail)?,
    })
}

/// Reads `BARRAGE_VUS`, `BARRAGE_DURATION`, `BARRAGE_ITERATIONS`,
/// `BARRAGE_SETUP_TIMEOUT` and `BARRAGE_TEARDOWN_TIMEOUT` through `get`.
pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Layer, OptionsError> {
    let number = |name: &str| -> Result<Option<u64>, OptionsError> {
        get(name)
            .map(|v| {
                v.trim().parse().map_err(|_| OptionsError {
                    source_name: format!("`{name}`"),
                    message: format!("expected a whole number, got `{v}`"),
                })
            })
            .transpose()
    };
    let time = |name: &str| -> Result<Option<Duration>, OptionsError> {
        get(name)
            .map(|v| {
                duration::parse(&v).map_err(|e| OptionsError {
                    source_name: format!("`{name}`"),
                    message: e.to_string(),
                })
            })
            .transpose()
    };
    Ok(Layer {
        scenario: None,
        vus: number("BARRAGE_VUS")?,
        duration: time("BARRAGE_DURATION")?,
        iterations: number("BARRAGE_ITERATIONS")?,
        setup_timeout: time("BARRAGE_SETUP_TIMEOUT")?,
        teardown_timeout: time("BARRAGE_TEARDOWN_TIMEOUT")?,
    })
}

/// The merged options of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub plan: Plan,
    pub setup_timeout: Duration,
    pub teardown_timeout: Duration,
}

/// Turns the merged layer into a plan.
pub fn resolve(layer: &Layer) -> Result<Resolved, PlanError> {
    let plan = match &layer.scenario {
        Some(plan) => plan.clone(),
        None => Plan::from_shortcuts(layer.vus, layer.duration, layer.iterations)?,
    };
    Ok(Resolved {
        plan,
        setup_timeout: layer.setup_timeout.unwrap_or(DEFAULT_LIFECYCLE_TIMEOUT),
        teardown_timeout: layer.teardown_timeout.unwrap_or(DEFAULT_LIFECYCLE_TIMEOUT),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_k6_scenario_entry_becomes_the_plan() {
        let json = r#"{"scenarios": {"each": {"executor": "per-vu-iterations", "vus": 2,
            "iterations": 3, "gracefulStop": "5s"}}}"#;
        let layer = from_scenario(json).expect("valid");
        let plan = resolve(&layer).expect("valid").plan;
        assert_eq!(plan.scenario, "each");
        assert_eq!(plan.graceful_stop, Duration::from_secs(5));
        assert!(matches!(
            plan.executor,
            Executor::PerVuIterations {
                vus: 2,
                iterations: 3,
                ..
            }
        ));
        // A flag shortcut replaces the scenario, as in k6.
        let flags = Layer {
            vus: Some(4),
            duration: Some(Duration::from_secs(1)),
            ..Layer::default()
        };
        let plan = resolve(&layer.overlay(&flags)).expect("valid").plan;
        assert!(matches!(
            plan.executor,
            Executor::ConstantVus { vus: 4, .. }
        ));
    }

    #[test]
    fn bad_scenario_entries_name_their_path() {
        let err = from_scenario(r#"{"scenarios": {"x": {"executor": "warp"}}}"#).unwrap_err();
        assert!(
            err.message
                .starts_with("scenarios.x.executor: unknown executor `warp`"),
            "{err}"
        );
        let err =
            from_scenario(r#"{"scenarios": {"x": {"executor": "constant-vus"}}}"#).unwrap_err();
        assert!(err.message.starts_with("scenarios.x.duration"), "{err}");
    }

    #[test]
    fn flags_override_env_override_scenario() {
        let scenario = from_scenario(r#"{"vus": 5, "duration": "1m", "iterations": 10}"#);
        let env = from_env(|k| (k == "BARRAGE_VUS").then(|| "7".to_owned()));
        let flags = Layer {
            duration: Some(Duration::from_secs(5)),
            ..Layer::default()
        };
        let merged = scenario
            .expect("valid")
            .overlay(&env.unwrap())
            .overlay(&flags);
        assert_eq!(merged.vus, Some(7));
        assert_eq!(merged.duration, Some(Duration::from_secs(5)));
        assert_eq!(merged.iterations, Some(10));
    }

    #[test]
    fn scenario_durations_accept_text_and_millis() {
        let layer = from_scenario(r#"{"duration": 1500, "setupTimeout": "2m"}"#).unwrap();
        assert_eq!(layer.duration, Some(Duration::from_millis(1500)));
        assert_eq!(layer.setup_timeout, Some(Duration::from_secs(120)));
    }

    #[test]
    fn bad_options_name_the_field() {
        let err = from_scenario(r#"{"vus": "many"}"#).unwrap_err();
        assert!(err.message.contains("invalid type"), "{err}");
        let err = from_scenario(r#"{"duraton": "1m"}"#).unwrap_err();
        assert!(err.message.contains("unknown field `duraton`"), "{err}");
        let err = from_scenario(r#"{"duration": "soon"}"#).unwrap_err();
        assert!(
            err.message.starts_with("duration: invalid duration `soon`"),
            "{err}"
        );
        let err = from_env(|_| Some("x".into())).unwrap_err();
        assert_eq!(err.source_name, "`BARRAGE_VUS`");
    }

    #[test]
    fn shortcuts_choose_the_executor() {
        let r = |vus, secs: Option<u64>, iterations| {
            let layer = Layer {
                vus,
                duration: secs.map(Duration::from_secs),
                iterations,
                ..Layer::default()
            };
            resolve(&layer).map(|r| r.plan.executor)
        };
        assert_eq!(
            r(Some(3), Some(10), None),
            Ok(Executor::ConstantVus {
                vus: 3,
                duration: Duration::from_secs(10)
            })
        );
        assert!(matches!(
            r(Some(2), None, Some(8)),
            Ok(Executor::SharedIterations { iterations: 8, .. })
        ));
        assert!(matches!(
            r(None, None, None),
            Ok(Executor::SharedIterations {
                vus: 1,
                iterations: 1,
                ..
            })
        ));
        assert_eq!(r(Some(0), Some(1), None).unwrap_err().field, "vus");
        assert_eq!(r(Some(5), None, Some(2)).unwrap_err().field, "vus");
        assert_eq!(r(None, Some(0), None).unwrap_err().field, "duration");
    }
}
