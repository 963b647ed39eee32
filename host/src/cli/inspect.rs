//! `barrage inspect`: what a scenario file is and what it asks for.

use std::path::Path;
use std::sync::Arc;

use super::OptionArgs;
use crate::bindings::{WIT_PACKAGE, WIT_VERSION};
use crate::duration::format;
use crate::engine;
use crate::error::Failure;
use crate::executor::{Executor, Plan, Schedule, Stage};
use crate::http::HttpConfig;
use crate::imports;
use crate::options;
use crate::vu::{Shared, Vu};
use std::fmt::Write as _;
use std::time::Duration;

/// VUs instantiated to measure what one costs: enough to average out the
/// first one's one-off work, few enough to be quick for any scenario.
const COST_VUS: u32 = 20;

/// What instantiating a VU costs, in time and memory, measured on
/// [`COST_VUS`] fresh instances (not initialised: `init` may send requests).
struct VuCost {
    per_vu: Duration,
    pss_kib: Option<u64>,
}

impl std::fmt::Display for VuCost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a VU instantiates in {:.2?}", self.per_vu)?;
        if let Some(kib) = self.pss_kib {
            write!(f, " and holds {kib} KiB (PSS) before its first iteration")?;
        }
        write!(f, " (mean of {COST_VUS})")
    }
}

async fn vu_cost(
    pre: &crate::bindings::ScenarioPre<crate::vu::VuState>,
    shared: &Arc<Shared>,
) -> Result<VuCost, Failure> {
    let before = pss_kib();
    let start = std::time::Instant::now();
    let mut vus = Vec::with_capacity(COST_VUS as usize);
    for id in 1..=COST_VUS {
        let vu = Vu::new(pre, shared.clone(), id)
            .await
            .map_err(|e| Failure::scenario(format!("the scenario failed to instantiate: {e}")))?;
        vus.push(vu);
    }
    let per_vu = start.elapsed() / COST_VUS;
    let pss_kib = before
        .zip(pss_kib())
        .map(|(before, after)| after.saturating_sub(before) / u64::from(COST_VUS));
    Ok(VuCost { per_vu, pss_kib })
}

/// This process's proportional set size in KiB, where Linux reports it.
fn pss_kib() -> Option<u64> {
    let rollup = std::fs::read_to_string("/proc/self/smaps_rollup").ok()?;
    rollup
        .lines()
        .find_map(|l| l.strip_prefix("Pss:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

pub async fn inspect(path: &Path, options: &OptionArgs) -> Result<i32, Failure> {
    // The engine `run` would use for this file, so that the figures below
    // and the cache entry are the ones a run gets.
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let engine = engine::engine_for(size).map_err(|e| Failure::scenario(format!("{e:#}")))?;
    let linker = imports::linker(&engine).map_err(|e| Failure::scenario(format!("{e:#}")))?;
    let scenario = engine::load(&engine, &linker, path, engine::cache::dir().as_deref())
        .map_err(|e| Failure::scenario(e.to_string()))?;
    let _ticker =
        engine::EpochTicker::start(&engine).map_err(|e| Failure::scenario(e.to_string()))?;
    let ty = scenario.component.component_type();
    let imports: Vec<String> = ty.imports(&engine).map(|(n, _)| n.to_owned()).collect();
    let exports: Vec<String> = ty.exports(&engine).map(|(n, _)| n.to_owned()).collect();
    let version =
        engine::wit_version(&engine, &scenario.component).unwrap_or_else(|| "none".into());

    let shared = Arc::new(Shared::new(Default::default(), HttpConfig::new()));
    let mut vu = Vu::new(&scenario.pre, shared.clone(), 0)
        .await
        .map_err(|e| Failure::scenario(format!("the scenario failed to instantiate: {e}")))?;
    let cost = vu_cost(&scenario.pre, &shared).await?;
    let exported = vu
        .options()
        .await
        .map_err(|e| Failure::scenario(format!("options() failed: {e}")))?;
    let env =
        options::from_env(|k| std::env::var(k).ok()).map_err(|e| Failure::config(e.to_string()))?;
    let layer = options::from_scenario(&exported)
        .map_err(|e| Failure::config(e.to_string()))?
        .overlay(&options.config_layer()?)
        .overlay(&env)
        .overlay(&options.layer());
    let resolved =
        options::resolve(&layer).map_err(|e| Failure::config(format!("invalid options: {e}")))?;

    println!("scenario: {}", path.display());
    println!("  size: {size} bytes");
    let how = if scenario.cached {
        "loaded from the cache"
    } else {
        "compiled"
    };
    println!("  {how} in {:.2?}", scenario.compile_time);
    println!("  {cost}");
    println!("  contract: {WIT_PACKAGE}@{version} (this barrage implements {WIT_VERSION})");
    let signers = super::sign::signers_of(path)?;
    if signers.is_empty() {
        println!("  signatures: none");
    } else {
        println!("  signed by keys: {}", signers.join(", "));
    }
    println!("  imports:");
    for i in &imports {
        println!("    {i}");
    }
    println!("  exports: {}", exports.join(", "));
    let shown = if exported.trim().is_empty() {
        "none"
    } else {
        exported.trim()
    };
    println!("  options: {shown}");
    print!("{}", describe(&resolved.plan));
    Ok(0)
}

/// The resolved plan, one line per scenario.
pub fn describe(plan: &Plan) -> String {
    let n = plan.scenarios.len();
    let mut out = format!(
        "  plan: {n} scenario{}, up to {} VU{}, up to {} (graceful stops included)\n",
        if n == 1 { "" } else { "s" },
        plan.max_vus(),
        if plan.max_vus() == 1 { "" } else { "s" },
        format(plan.max_duration()),
    );
    if !plan.segment.is_full() {
        let _ = writeln!(
            out,
            "  execution segment {} ({} of the test): the VUs and iterations below are this \
             instance's share, and it starts {} of each arrival rate's iterations",
            plan.segment,
            plan.segment.share(),
            plan.segment.share(),
        );
    }
    for s in &plan.scenarios {
        let _ = write!(out, "    {}: {}", s.name, s.executor.name());
        if !s.start_time.is_zero() {
            let _ = write!(out, " from {}", format(s.start_time));
        }
        let _ = write!(out, ", {}", executor_text(&s.executor));
        let _ = write!(out, "; graceful stop {}", format(s.graceful_stop));
        if s.exec != "default" {
            let _ = write!(out, "; runs `{}`", s.exec);
        }
        out.push('\n');
    }
    out
}

fn executor_text(e: &Executor) -> String {
    let vus = |n: u32| format!("{n} VU{}", if n == 1 { "" } else { "s" });
    let stages = |first: String, stages: &[Stage], unit: &str| {
        let mut text = first;
        for st in stages {
            if st.duration.is_zero() {
                let _ = write!(text, ", {}{unit} at once", st.target);
            } else {
                let _ = write!(text, ", {}{unit} over {}", st.target, format(st.duration));
            }
        }
        text
    };
    let per = |unit: Duration| {
        if unit == Duration::from_secs(1) {
            "/s".to_owned()
        } else {
            format!(" per {}", format(unit))
        }
    };
    match e {
        Executor::ConstantVus { vus: n, duration } => {
            format!("{} for {}", vus(*n), format(*duration))
        }
        Executor::RampingVus {
            start_vus,
            stages: st,
            graceful_ramp_down,
        } => format!(
            "{}; graceful ramp-down {}",
            stages(format!("from {}", vus(*start_vus)), st, " VUs"),
            format(*graceful_ramp_down)
        ),
        Executor::SharedIterations {
            vus: n,
            iterations,
            max_duration,
        } => format!(
            "{iterations} iterations shared by {} within {}",
            vus(*n),
            format(*max_duration)
        ),
        Executor::PerVuIterations {
            vus: n,
            iterations,
            max_duration,
        } => format!(
            "{iterations} iterations on each of {} within {}",
            vus(*n),
            format(*max_duration)
        ),
        Executor::ConstantArrivalRate {
            rate,
            time_unit,
            duration,
            pre_allocated_vus,
            max_vus,
        } => format!(
            "{rate} iterations{} for {} ({} iterations), {pre_allocated_vus} pre-allocated \
             and up to {}",
            per(*time_unit),
            format(*duration),
            Schedule::for_executor(e).map_or(0, |s| s.iterations()),
            vus(*max_vus)
        ),
        Executor::RampingArrivalRate {
            start_rate,
            time_unit,
            stages: st,
            pre_allocated_vus,
            max_vus,
        } => {
            let unit = format!(" iterations{}", per(*time_unit));
            format!(
                "{} ({} iterations), {pre_allocated_vus} pre-allocated and up to {}",
                stages(format!("from {start_rate}{unit}"), st, &unit),
                Schedule::for_executor(e).map_or(0, |s| s.iterations()),
                vus(*max_vus)
            )
        }
    }
}
