//! Rust types generated from the WIT contract in `wit/`.
//!
//! Every import is async on the host: a VU waiting on the network or in a
//! sleep gives its thread back to tokio.

wasmtime::component::bindgen!({
    // The exports every scenario has; hooks such as `handle-summary` are
    // looked up on each instance, as a scenario need not export them.
    world: "scenario-base",
    path: "../wit",
    imports: { default: async },
    exports: { default: async },
    with: {
        "barrage:scenario/metrics.metric": crate::imports::metrics::MetricHandle,
    },
});

pub use self::barrage::scenario::{execution, http, log, metrics, types};
pub use self::{ScenarioBase as Scenario, ScenarioBasePre as ScenarioPre};

/// The WIT package version this host implements.
pub const WIT_VERSION: &str = "0.1.0";
/// The WIT package name.
pub const WIT_PACKAGE: &str = "barrage:scenario";
