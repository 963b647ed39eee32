//! Barrage: a load tester whose scenarios are WebAssembly components.
//!
//! The data flow, and the file that holds each part:
//!
//! ```text
//! scenario.wasm -> engine (load, check, compile, cache) -> ScenarioPre
//!   -> run: options, setup, VUs (vu), executor, teardown
//!        VU -> imports (http, metrics, execution, log) -> SampleBuffer
//!        SampleBuffer -> metrics::Aggregates (once per iteration)
//!   -> summary (text, JSON export)
//! ```

pub mod bindings;
pub mod build;
pub mod cli;
pub mod duration;
pub mod engine;
pub mod error;
pub mod executor;
#[cfg(test)]
mod fuzz;
pub mod http;
pub mod imports;
pub mod metrics;
pub mod options;
pub mod output;
pub mod progress;
pub mod result;
pub mod run;
pub mod signing;
pub mod size;
pub mod summary;
pub mod target;
pub mod thresholds;
pub mod vu;
pub mod workers;

/// Helpers for the measurements kept as ignored tests.
#[cfg(test)]
mod measure {
    /// This process's resident set in KiB.
    pub fn rss_kib() -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches(" kB").parse().ok())
            .unwrap_or(0)
    }
}
