//! Barrage's JavaScript runtime: a scenario component that runs a
//! JavaScript scenario in QuickJS.
//!
//! `barrage build` bundles the scenario with the JavaScript SDK into one
//! ES module and hands it to this component on standard input while it
//! takes a snapshot: the module is compiled and evaluated once, at build
//! time, and the heap it leaves (the engine, the SDK, the scenario's
//! functions) is the image every VU maps copy-on-write. A VU then pays
//! only for the pages its own iterations write.
//!
//! The contract's exports call the bundle's (`options`, `setup`, `init`,
//! `iteration`, `teardown`, `handleSummary`, made by the SDK's
//! `__exports`), and drive the job queue until the promise each returns
//! settles. The host's interfaces reach JavaScript as the hidden global
//! `__barrage` (see `host.rs`); `prelude.js` builds the standard globals
//! a script expects (`console`, `fetch`, `TextEncoder`, ...) on top of it.

// The allocator is WebAssembly's; the unit tests run on the host.
#[cfg(target_arch = "wasm32")]
mod alloc;
mod engine;
mod fetch;
mod host;
mod http;

use barrage_sdk::prelude::*;
use barrage_sdk::{Error, SummaryOutput};

/// The component's scenario: all of its state is the engine's.
struct JavaScript;

impl Scenario for JavaScript {
    fn options_json() -> String {
        // At build time this is the first call: it starts the engine and
        // evaluates the scenario, and the snapshot is taken after it.
        match engine::options() {
            Ok(options) => options,
            Err(error) => {
                // A trap is the only failure `options` can report; the
                // build prints the message logged here above it.
                barrage_sdk::log::error(&error);
                std::process::abort();
            }
        }
    }

    fn setup() -> Result<String> {
        engine::reseed();
        engine::call_text("setup", None).map_err(Error::new)
    }

    fn init(setup_data: &str) -> Result<Self> {
        engine::reseed();
        engine::call_text("init", Some(setup_data)).map_err(Error::new)?;
        Ok(JavaScript)
    }

    fn exec(&mut self, name: &str) -> Result<()> {
        engine::call_text("iteration", Some(name))
            .map(drop)
            .map_err(Error::new)
    }

    fn iteration(&mut self) -> Result<()> {
        self.exec("default")
    }

    fn teardown(setup_data: &str) -> Result<()> {
        engine::reseed();
        engine::call_text("teardown", Some(setup_data))
            .map(drop)
            .map_err(Error::new)
    }

    fn handle_summary(summary: &str) -> Result<SummaryOutput> {
        engine::reseed();
        engine::handle_summary(summary).map_err(Error::new)
    }
}

barrage_sdk::scenario!(JavaScript);
