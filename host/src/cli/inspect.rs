//! `barrage inspect`: what a scenario file is and what it asks for.

use std::path::Path;
use std::sync::Arc;

use crate::bindings::{WIT_PACKAGE, WIT_VERSION};
use crate::engine;
use crate::error::Failure;
use crate::http::HttpConfig;
use crate::imports;
use crate::options;
use crate::vu::{Shared, Vu};

pub async fn inspect(path: &Path) -> Result<i32, Failure> {
    let engine = engine::engine().map_err(|e| Failure::scenario(format!("{e:#}")))?;
    let linker = imports::linker(&engine).map_err(|e| Failure::scenario(format!("{e:#}")))?;
    let scenario = engine::load(&engine, &linker, path, engine::cache::dir().as_deref())
        .map_err(|e| Failure::scenario(e.to_string()))?;
    let _ticker =
        engine::EpochTicker::start(&engine).map_err(|e| Failure::scenario(e.to_string()))?;
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let ty = scenario.component.component_type();
    let imports: Vec<String> = ty.imports(&engine).map(|(n, _)| n.to_owned()).collect();
    let exports: Vec<String> = ty.exports(&engine).map(|(n, _)| n.to_owned()).collect();
    let version =
        engine::wit_version(&engine, &scenario.component).unwrap_or_else(|| "none".into());

    let shared = Arc::new(Shared::new(Default::default(), HttpConfig::new()));
    let mut vu = Vu::new(&scenario.pre, shared, 0)
        .await
        .map_err(|e| Failure::scenario(format!("the scenario failed to instantiate: {e}")))?;
    let exported = vu
        .options()
        .await
        .map_err(|e| Failure::scenario(format!("options() failed: {e}")))?;
    let layer = options::from_scenario(&exported).map_err(|e| Failure::config(e.to_string()))?;
    let plan =
        options::resolve(&layer).map_err(|e| Failure::config(format!("invalid options: {e}")))?;

    println!("scenario: {}", path.display());
    println!("  size: {size} bytes");
    let how = if scenario.cached {
        "loaded from the cache"
    } else {
        "compiled"
    };
    println!("  {how} in {:.2?}", scenario.compile_time);
    println!("  contract: {WIT_PACKAGE}@{version} (this barrage implements {WIT_VERSION})");
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
    let executor = &plan.plan.executor;
    println!(
        "  plan: {}, {} VUs, up to {} (+{} graceful stop)",
        executor.name(),
        executor.vus(),
        crate::duration::format(executor.max_duration()),
        crate::duration::format(plan.plan.graceful_stop),
    );
    Ok(0)
}
