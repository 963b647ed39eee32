//! `execution`: who the VU is, the `-e` variables, and sleeping.

use std::time::Duration;

use crate::bindings::execution::{Host, VuInfo};
use crate::vu::VuState;

/// The longest single sleep; a guest asking for more sleeps this long.
const MAX_SLEEP: Duration = Duration::from_secs(24 * 3600);

/// A sleep at least this long gives the dead part of the VU's stack back
/// first: the system call and the page faults that refill it later cost
/// microseconds, next to a wait of milliseconds.
const RELEASE_STACK_AFTER: Duration = Duration::from_millis(10);

impl Host for VuState {
    async fn vu(&mut self) -> VuInfo {
        VuInfo {
            id: self.id,
            iteration: self.iteration,
            scenario: self
                .scenario
                .as_ref()
                .map_or_else(String::new, |s| s.name.clone()),
        }
    }

    /// The scenario's own `env` first, then what `-e` passed.
    async fn env(&mut self, key: String) -> Option<String> {
        self.scenario
            .as_ref()
            .and_then(|s| s.env.get(&key))
            .or_else(|| self.shared.env.get(&key))
            .cloned()
    }

    async fn sleep(&mut self, seconds: f64) {
        // Samples wait in the buffer while the VU sleeps; hand them over so
        // that the progress line and a Ctrl-C see them.
        self.flush();
        if let Ok(d) = Duration::try_from_secs_f64(seconds) {
            self.pause_clock();
            if d >= RELEASE_STACK_AFTER {
                crate::engine::stack::release_unused();
            }
            tokio::time::sleep(d.min(MAX_SLEEP)).await;
            self.resume_clock();
        }
    }
}
