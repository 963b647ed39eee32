//! Reads k6's option structure from JSON (or TOML, turned into the same
//! tree) into a [`Layer`], checking every field by hand so that an error
//! names the exact path of the bad value:
//! `scenarios.checkout.rate: expected a positive whole number, got -5`.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Map, Value};

use super::Layer;
use crate::duration;
use crate::executor::{
    DEFAULT_GRACEFUL_STOP, DEFAULT_MAX_DURATION, DEFAULT_TIME_UNIT, Executor, Scenario, Stage,
    segment,
};
use crate::http::Allowlist;
use crate::metrics::{SystemTags, TagFilter};
use crate::thresholds::Threshold;

/// The top-level options this version knows.
const TOP_LEVEL: &[&str] = &[
    "vus",
    "duration",
    "iterations",
    "stages",
    "rate",
    "preAllocatedVUs",
    "maxVUs",
    "scenarios",
    "setupTimeout",
    "teardownTimeout",
    "noSetup",
    "noTeardown",
    "thresholds",
    "tags",
    "systemTags",
    "allowHosts",
    "maxIterationCpu",
    "maxVuMemory",
    "executionSegment",
    "executionSegmentSequence",
];

/// Keys every scenario may have, whatever its executor.
const COMMON: &[&str] = &[
    "executor",
    "startTime",
    "gracefulStop",
    "exec",
    "env",
    "tags",
];

/// A value and where it sits in the tree, for messages.
#[derive(Clone, Copy)]
struct At<'a> {
    path: &'a str,
    value: &'a Value,
}

type Result<T> = std::result::Result<T, String>;

impl<'a> At<'a> {
    fn fail<T>(&self, what: impl std::fmt::Display) -> Result<T> {
        Err(format!("{}: {what}", self.path))
    }

    fn expected<T>(&self, what: &str) -> Result<T> {
        self.fail(format!("expected {what}, got {}", shown(self.value)))
    }

    fn object(&self) -> Result<&'a Map<String, Value>> {
        self.value
            .as_object()
            .map_or_else(|| self.expected("an object"), Ok)
    }

    /// A whole number `>= min`.
    fn whole(&self, min: u64) -> Result<u64> {
        let n = self.value.as_u64().or_else(|| {
            // 10.0 is a whole number too.
            self.value
                .as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 2f64.powi(53))
                .map(|f| f as u64)
        });
        match n {
            Some(n) if n >= min => Ok(n),
            _ if min > 0 => self.expected("a positive whole number"),
            _ => self.expected("a whole number"),
        }
    }

    fn vus(&self, min: u64) -> Result<u32> {
        let n = self.whole(min)?;
        u32::try_from(n).map_or_else(|_| self.fail(format!("{n} VUs is too many")), Ok)
    }

    /// k6 takes durations as text (`"30s"`) or as milliseconds.
    fn duration(&self) -> Result<Duration> {
        match self.value {
            Value::String(s) => duration::parse(s).map_err(|e| format!("{}: {e}", self.path)),
            Value::Number(n) => n
                .as_f64()
                .and_then(|ms| Duration::try_from_secs_f64(ms / 1000.0).ok())
                .map_or_else(|| self.expected("a duration such as \"30s\""), Ok),
            _ => self.expected("a duration such as \"30s\""),
        }
    }

    fn positive_duration(&self) -> Result<Duration> {
        let d = self.duration()?;
        if d.is_zero() {
            return self.fail("must be longer than 0s");
        }
        Ok(d)
    }

    fn string(&self) -> Result<&'a str> {
        self.value
            .as_str()
            .map_or_else(|| self.expected("a string"), Ok)
    }

    fn boolean(&self) -> Result<bool> {
        self.value
            .as_bool()
            .map_or_else(|| self.expected("true or false"), Ok)
    }

    fn strings(&self) -> Result<BTreeMap<String, String>> {
        let mut out = BTreeMap::new();
        for (k, v) in self.object()? {
            let path = format!("{}.{k}", self.path);
            let at = At {
                path: &path,
                value: v,
            };
            out.insert(k.clone(), at.string()?.to_owned());
        }
        Ok(out)
    }

    fn stages(&self) -> Result<Vec<Stage>> {
        let Some(items) = self.value.as_array() else {
            return self.expected("a list of stages");
        };
        if items.is_empty() {
            return self.fail("needs at least one stage");
        }
        let mut stages = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let path = format!("{}[{i}]", self.path);
            let at = At {
                path: &path,
                value: item,
            };
            let fields = Fields::new(at, &["duration", "target"])?;
            stages.push(Stage {
                duration: fields.required("duration", |a| a.duration())?,
                target: fields.required("target", |a| a.whole(0))?,
            });
        }
        Ok(stages)
    }
}

/// The fields of one object, checked against the keys it may have.
struct Fields<'a> {
    at: At<'a>,
    map: &'a Map<String, Value>,
    /// Paths of the fields, kept alive for [`At`].
    paths: BTreeMap<&'a str, String>,
}

impl<'a> Fields<'a> {
    fn new(at: At<'a>, known: &[&str]) -> Result<Fields<'a>> {
        let map = at.object()?;
        for key in map.keys() {
            if !known.contains(&key.as_str()) {
                return Err(unknown(at.path, key, known));
            }
        }
        let paths = map.keys().map(|k| (k.as_str(), join(at.path, k))).collect();
        Ok(Fields { at, map, paths })
    }

    fn get<T>(&self, key: &str, read: impl Fn(&At<'_>) -> Result<T>) -> Result<Option<T>> {
        match (self.map.get(key), self.paths.get(key)) {
            (Some(Value::Null), _) | (None, _) | (_, None) => Ok(None),
            (Some(value), Some(path)) => read(&At { path, value }).map(Some),
        }
    }

    fn required<T>(&self, key: &str, read: impl Fn(&At<'_>) -> Result<T>) -> Result<T> {
        self.get(key, read)?
            .ok_or_else(|| format!("{}: is required", join(self.at.path, key)))
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn unknown(path: &str, key: &str, known: &[&str]) -> String {
    let near = known
        .iter()
        .find(|k| k.eq_ignore_ascii_case(key) || close(k, key))
        .map(|k| format!(" (did you mean `{k}`?)"))
        .unwrap_or_default();
    format!("{}: unknown option{near}", join(path, key))
}

/// Whether two names differ by one edit at most, for "did you mean".
fn close(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut row = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            row.push((prev[j] + cost).min(prev[j + 1] + 1).min(row[j] + 1));
        }
        prev = row;
    }
    prev[b.len()] <= 1
}

/// A value as a message shows it.
fn shown(value: &Value) -> String {
    match value {
        Value::String(s) => format!("\"{s}\""),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
        other => other.to_string(),
    }
}

/// Parses one source's options (the whole tree).
pub fn layer(root: &Value) -> Result<Layer> {
    let at = At {
        path: "",
        value: root,
    };
    if root.as_object().is_none() {
        return Err(format!(
            "expected an object of options, got {}",
            shown(root)
        ));
    }
    let f = Fields::new(at, TOP_LEVEL)?;
    let scenarios = f.get("scenarios", scenarios)?;
    let layer = Layer {
        scenarios,
        vus: f.get("vus", |a| a.whole(0))?,
        duration: f.get("duration", |a| a.duration())?,
        iterations: f.get("iterations", |a| a.whole(0))?,
        stages: f.get("stages", |a| a.stages())?,
        rate: f.get("rate", |a| a.whole(1))?,
        pre_allocated_vus: f.get("preAllocatedVUs", |a| a.whole(0))?,
        max_vus: f.get("maxVUs", |a| a.whole(0))?,
        setup_timeout: f.get("setupTimeout", |a| a.duration())?,
        teardown_timeout: f.get("teardownTimeout", |a| a.duration())?,
        no_setup: f.get("noSetup", |a| a.boolean())?,
        no_teardown: f.get("noTeardown", |a| a.boolean())?,
        thresholds: f.get("thresholds", thresholds)?,
        tags: f.get("tags", |a| a.strings())?,
        system_tags: f.get("systemTags", system_tags)?,
        allow_hosts: f.get("allowHosts", allow_hosts)?,
        max_iteration_cpu: f.get("maxIterationCpu", |a| a.duration())?,
        max_vu_memory: f.get("maxVuMemory", |a| match a.value {
            Value::String(text) => crate::size::parse(text).map_err(|e| format!("{}: {e}", a.path)),
            _ => a.whole(1),
        })?,
        execution_segment: f.get("executionSegment", |a| {
            segment::parse_bounds(a.string()?).map_err(|e| format!("{}: {e}", a.path))
        })?,
        execution_segment_sequence: f.get("executionSegmentSequence", |a| {
            segment::parse_sequence(a.string()?).map_err(|e| format!("{}: {e}", a.path))
        })?,
    };
    if layer.scenarios.is_some()
        && let Some(shortcut) = layer.shortcut()
    {
        return Err(format!(
            "{shortcut}: cannot be given with `scenarios` in the same source; \
             put it in the scenario, or give it on the command line to replace them"
        ));
    }
    Ok(layer)
}

/// A list of strings, e.g. k6's `systemTags`.
fn string_list(at: &At<'_>, what: &str) -> Result<Vec<String>> {
    let Some(items) = at.value.as_array() else {
        return at.expected(what);
    };
    let mut strings = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let path = format!("{}[{i}]", at.path);
        let at = At {
            path: &path,
            value: item,
        };
        strings.push(at.string()?.to_owned());
    }
    Ok(strings)
}

/// k6's `systemTags`: a list of names.
fn system_tags(at: &At<'_>) -> Result<SystemTags> {
    let names = string_list(at, "a list of tag names")?;
    SystemTags::parse(names.iter().map(String::as_str)).map_err(|e| format!("{}: {e}", at.path))
}

/// `allowHosts`: a list of host patterns.
fn allow_hosts(at: &At<'_>) -> Result<Allowlist> {
    let patterns = string_list(at, "a list of host patterns")?;
    Allowlist::parse(patterns.iter().map(String::as_str)).map_err(|e| format!("{}: {e}", at.path))
}

/// `{"metric": ["p(95)<500", {"threshold": "rate<0.01", "abortOnFail":
/// true, "delayAbortEval": "10s"}]}`; a single string for a metric's one
/// threshold is accepted too.
fn thresholds(at: &At<'_>) -> Result<Vec<Threshold>> {
    let mut out = Vec::new();
    for (metric, list) in at.object()? {
        let path = join(at.path, metric);
        let (name, _) = TagFilter::split(metric).map_err(|e| format!("{path}: {e}"))?;
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(format!(
                "{path}: not a metric name (expected e.g. `http_req_duration` or \
                 `http_req_duration{{status:200}}`)"
            ));
        }
        let items: Vec<&Value> = match list {
            Value::Array(items) => items.iter().collect(),
            Value::String(_) => vec![list],
            _ => {
                let at = At {
                    path: &path,
                    value: list,
                };
                return at.expected("a list of thresholds");
            }
        };
        for (i, item) in items.into_iter().enumerate() {
            let path = format!("{path}[{i}]");
            let at = At {
                path: &path,
                value: item,
            };
            let threshold = if let Value::String(source) = item {
                Threshold::parse(metric, source).map_err(|e| format!("{path}: {e}"))?
            } else {
                let f = Fields::new(at, &["threshold", "abortOnFail", "delayAbortEval"])?;
                let source = f.required("threshold", |a| a.string().map(str::to_owned))?;
                let mut t =
                    Threshold::parse(metric, &source).map_err(|e| format!("{path}: {e}"))?;
                t.abort_on_fail = f.get("abortOnFail", |a| a.boolean())?.unwrap_or(false);
                t.delay_abort_eval = f
                    .get("delayAbortEval", |a| a.duration())?
                    .unwrap_or(Duration::ZERO);
                t
            };
            out.push(threshold);
        }
    }
    Ok(out)
}

fn scenarios(at: &At<'_>) -> Result<Vec<Scenario>> {
    let map = at.object()?;
    if map.is_empty() {
        return at.fail("needs at least one scenario");
    }
    let mut out = Vec::with_capacity(map.len());
    for (name, value) in map {
        let path = join(at.path, name);
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(format!(
                "{path}: a scenario name may only hold letters, digits, `_` and `-`"
            ));
        }
        out.push(scenario(name, At { path: &path, value })?);
    }
    Ok(out)
}

/// The keys each executor takes besides [`COMMON`].
fn executor_keys(name: &str) -> Option<&'static [&'static str]> {
    Some(match name {
        "shared-iterations" | "per-vu-iterations" => &["vus", "iterations", "maxDuration"],
        "constant-vus" => &["vus", "duration"],
        "ramping-vus" => &["startVUs", "stages", "gracefulRampDown"],
        "constant-arrival-rate" => &["rate", "timeUnit", "duration", "preAllocatedVUs", "maxVUs"],
        "ramping-arrival-rate" => &[
            "startRate",
            "timeUnit",
            "stages",
            "preAllocatedVUs",
            "maxVUs",
        ],
        _ => return None,
    })
}

const EXECUTORS: &str = "shared-iterations, per-vu-iterations, constant-vus, ramping-vus, \
                         constant-arrival-rate or ramping-arrival-rate";

fn scenario(name: &str, at: At<'_>) -> Result<Scenario> {
    let map = at.object()?;
    let executor_path = join(at.path, "executor");
    let kind = match map.get("executor") {
        None => return Err(format!("{executor_path}: is required (one of {EXECUTORS})")),
        Some(v) => At {
            path: &executor_path,
            value: v,
        }
        .string()?,
    };
    let Some(own) = executor_keys(kind) else {
        return Err(format!(
            "{executor_path}: unknown executor `{kind}` (expected {EXECUTORS})"
        ));
    };
    let known: Vec<&str> = COMMON.iter().chain(own).copied().collect();
    for key in map.keys() {
        if !known.contains(&key.as_str()) {
            let any = executor_keys("constant-arrival-rate")
                .into_iter()
                .chain(executor_keys("ramping-vus"))
                .chain(executor_keys("ramping-arrival-rate"))
                .chain(executor_keys("shared-iterations"))
                .flatten()
                .any(|k| k == key);
            if any {
                return Err(format!(
                    "{}: not an option of the `{kind}` executor",
                    join(at.path, key)
                ));
            }
            return Err(unknown(at.path, key, &known));
        }
    }
    let f = Fields::new(at, &known)?;
    let executor = executor(kind, &f)?;
    let exec = f.get("exec", |a| {
        let s = a.string()?;
        if s.is_empty() {
            return a.fail("must name a scenario function");
        }
        Ok(s.to_owned())
    })?;
    Ok(Scenario {
        name: name.to_owned(),
        executor,
        start_time: f.get("startTime", |a| a.duration())?.unwrap_or_default(),
        graceful_stop: f
            .get("gracefulStop", |a| a.duration())?
            .unwrap_or(DEFAULT_GRACEFUL_STOP),
        exec: exec.unwrap_or_else(|| "default".into()),
        env: f.get("env", |a| a.strings())?.unwrap_or_default(),
        tags: f.get("tags", |a| a.strings())?.unwrap_or_default(),
    })
}

fn executor(kind: &str, f: &Fields<'_>) -> Result<Executor> {
    let path = |key: &str| join(f.at.path, key);
    Ok(match kind {
        "shared-iterations" | "per-vu-iterations" => {
            let vus = f.get("vus", |a| a.vus(1))?.unwrap_or(1);
            let iterations = f.get("iterations", |a| a.whole(1))?.unwrap_or(1);
            let max_duration = f
                .get("maxDuration", |a| a.positive_duration())?
                .unwrap_or(DEFAULT_MAX_DURATION);
            if kind == "shared-iterations" {
                if u64::from(vus) > iterations {
                    return Err(format!(
                        "{}: {vus} VUs cannot share only {iterations} iterations",
                        path("vus")
                    ));
                }
                Executor::SharedIterations {
                    vus,
                    iterations,
                    max_duration,
                }
            } else {
                Executor::PerVuIterations {
                    vus,
                    iterations,
                    max_duration,
                }
            }
        }
        "constant-vus" => Executor::ConstantVus {
            vus: f.get("vus", |a| a.vus(1))?.unwrap_or(1),
            duration: f.required("duration", |a| a.positive_duration())?,
        },
        "ramping-vus" => Executor::RampingVus {
            start_vus: f.get("startVUs", |a| a.vus(0))?.unwrap_or(1),
            stages: f.required("stages", |a| a.stages())?,
            graceful_ramp_down: f
                .get("gracefulRampDown", |a| a.duration())?
                .unwrap_or(DEFAULT_GRACEFUL_STOP),
        },
        _ => {
            let time_unit = f
                .get("timeUnit", |a| a.positive_duration())?
                .unwrap_or(DEFAULT_TIME_UNIT);
            let pre_allocated_vus = f.required("preAllocatedVUs", |a| a.vus(0))?;
            let max_vus = f.get("maxVUs", |a| a.vus(0))?.unwrap_or(pre_allocated_vus);
            if max_vus < pre_allocated_vus {
                return Err(format!(
                    "{}: {max_vus} is fewer than the {pre_allocated_vus} pre-allocated VUs",
                    path("maxVUs")
                ));
            }
            if max_vus == 0 {
                return Err(format!(
                    "{}: at least one VU is needed to run iterations",
                    path("maxVUs")
                ));
            }
            if kind == "constant-arrival-rate" {
                Executor::ConstantArrivalRate {
                    rate: f.required("rate", |a| a.whole(1))?,
                    time_unit,
                    duration: f.required("duration", |a| a.positive_duration())?,
                    pre_allocated_vus,
                    max_vus,
                }
            } else {
                Executor::RampingArrivalRate {
                    start_rate: f.get("startRate", |a| a.whole(0))?.unwrap_or(0),
                    time_unit,
                    stages: f.required("stages", |a| a.stages())?,
                    pre_allocated_vus,
                    max_vus,
                }
            }
        }
    })
}
