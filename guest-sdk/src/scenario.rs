//! The [`Scenario`] trait, and the glue between it and the component's
//! exports.
//!
//! The host calls a component's exports one at a time; the generated
//! bindings turn each call into a function of a `Guest` trait with no
//! `self`. A scenario wants the opposite: state built once per VU and an
//! `&mut self` in every iteration. The [`scenario!`](crate::scenario!)
//! macro bridges the two: it keeps the VU's value in a thread-local cell
//! (each VU is its own single-threaded instance) and forwards every export
//! to the functions in this module.

use std::cell::RefCell;
use std::sync::Once;
use std::thread::LocalKey;

use crate::{Error, Result, SummaryOutput, log};

/// A load-test scenario: what each virtual user (VU) does.
///
/// Only [`init`](Scenario::init) and [`iteration`](Scenario::iteration)
/// are required. Register the type with [`scenario!`](crate::scenario!).
///
/// ```no_run
/// use barrage_sdk::prelude::*;
///
/// struct Browse { base: String }
///
/// impl Scenario for Browse {
///     fn init(_setup_data: &str) -> Result<Self> {
///         let base = env("TARGET").unwrap_or_else(|| "http://127.0.0.1:8080".into());
///         Ok(Browse { base })
///     }
///
///     fn iteration(&mut self) -> Result<()> {
///         let res = http::get(format!("{}/items", self.base)).send();
///         check!(res, "status is 200" => |r| r.status == 200);
///         sleep(1.0);
///         Ok(())
///     }
/// }
///
/// barrage_sdk::scenario!(Browse);
/// ```
pub trait Scenario: Sized + 'static {
    /// The scenario's own options, with k6's names (`vus`, `duration`,
    /// `iterations`, ...); flags and configuration override them. `None`
    /// (the default) leaves everything to them.
    ///
    /// ```no_run
    /// # use barrage_sdk::prelude::*;
    /// # struct Smoke;
    /// # impl Scenario for Smoke {
    /// #     fn init(_: &str) -> Result<Self> { Ok(Smoke) }
    /// #     fn iteration(&mut self) -> Result<()> { Ok(()) }
    /// fn options() -> Option<serde_json::Value> {
    ///     Some(serde_json::json!({ "vus": 10, "duration": "30s" }))
    /// }
    /// # }
    /// ```
    fn options() -> Option<serde_json::Value> {
        None
    }

    /// The options exactly as the host receives them: JSON text, or empty
    /// for none. The default encodes [`options`](Scenario::options);
    /// override this only to hand the host text verbatim.
    fn options_json() -> String {
        Self::options()
            .map(|options| options.to_string())
            .unwrap_or_default()
    }

    /// Runs once, before any VU starts, in an instance of its own. What it
    /// returns (JSON by convention, or empty) is passed to every VU's
    /// [`init`](Scenario::init) and to [`teardown`](Scenario::teardown).
    fn setup() -> Result<String> {
        Ok(String::new())
    }

    /// Builds the VU's state, once per VU before its first iteration:
    /// the place to read variables, define metrics and log in.
    fn init(setup_data: &str) -> Result<Self>;

    /// Runs one iteration of the default scenario function. An `Err` fails
    /// this iteration only; the VU goes on with the next one.
    fn iteration(&mut self) -> Result<()>;

    /// Runs one iteration of the scenario function `name`, which the test's
    /// options choose with `exec`. The default runs
    /// [`iteration`](Scenario::iteration) for `"default"` and fails for any
    /// other name; override it to offer several functions.
    ///
    /// ```no_run
    /// # use barrage_sdk::prelude::*;
    /// # struct Shop;
    /// # impl Shop { fn browse(&mut self) -> Result<()> { Ok(()) } }
    /// # impl Scenario for Shop {
    /// #     fn init(_: &str) -> Result<Self> { Ok(Shop) }
    /// #     fn iteration(&mut self) -> Result<()> { Ok(()) }
    /// fn exec(&mut self, name: &str) -> Result<()> {
    ///     match name {
    ///         "default" => self.iteration(),
    ///         "browse" => self.browse(),
    ///         other => Err(format!("unknown exec function `{other}`").into()),
    ///     }
    /// }
    /// # }
    /// ```
    fn exec(&mut self, name: &str) -> Result<()> {
        match name {
            "default" => self.iteration(),
            other => Err(Error::new(format!("unknown exec function `{other}`"))),
        }
    }

    /// Runs once, after the last iteration, with the data from
    /// [`setup`](Scenario::setup).
    fn teardown(setup_data: &str) -> Result<()> {
        let _ = setup_data;
        Ok(())
    }

    /// Makes the scenario's own reports from the end-of-test summary, as
    /// k6's `handleSummary` does: `summary` is the JSON of
    /// `--summary-export`. Called once, after `teardown`. The default
    /// keeps Barrage's summary and writes nothing else.
    ///
    /// ```no_run
    /// # use barrage_sdk::prelude::*;
    /// # struct Smoke;
    /// # impl Scenario for Smoke {
    /// #     fn init(_: &str) -> Result<Self> { Ok(Smoke) }
    /// #     fn iteration(&mut self) -> Result<()> { Ok(()) }
    /// fn handle_summary(summary: &str) -> Result<SummaryOutput> {
    ///     Ok(SummaryOutput::builtin().file("summary.json", summary))
    /// }
    /// # }
    /// ```
    fn handle_summary(summary: &str) -> Result<SummaryOutput> {
        let _ = summary;
        Ok(SummaryOutput::builtin())
    }
}

/// The cell that holds one VU's scenario value.
#[doc(hidden)]
pub type VuCell<S> = LocalKey<RefCell<Option<S>>>;

/// Sends a panic's message to the run's log: a component has no terminal
/// of its own, and the host only sees that the instance trapped.
fn log_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let message = info.payload_as_str().unwrap_or("a non-text payload");
            match info.location() {
                Some(at) => log::error(format!("scenario panicked at {at}: {message}")),
                None => log::error(format!("scenario panicked: {message}")),
            }
        }));
    });
}

fn to_wit(result: Result<()>) -> std::result::Result<(), String> {
    result.map_err(|error| error.to_string())
}

#[doc(hidden)]
pub fn options<S: Scenario>() -> String {
    log_panics();
    S::options_json()
}

#[doc(hidden)]
pub fn setup<S: Scenario>() -> std::result::Result<String, String> {
    log_panics();
    S::setup().map_err(|error| error.to_string())
}

#[doc(hidden)]
pub fn init<S: Scenario>(
    cell: &'static VuCell<S>,
    setup_data: &str,
) -> std::result::Result<(), String> {
    log_panics();
    let scenario = S::init(setup_data).map_err(|error| error.to_string())?;
    cell.with(|slot| match slot.try_borrow_mut() {
        Ok(mut slot) => {
            *slot = Some(scenario);
            Ok(())
        }
        Err(_) => Err("`init` was called while the VU was busy".to_owned()),
    })
}

#[doc(hidden)]
pub fn iteration<S: Scenario>(
    cell: &'static VuCell<S>,
    exec: &str,
) -> std::result::Result<(), String> {
    log_panics();
    cell.with(|slot| {
        let Ok(mut slot) = slot.try_borrow_mut() else {
            return Err("`iteration` was called while the VU was busy".to_owned());
        };
        let Some(scenario) = slot.as_mut() else {
            return Err("`iteration` was called before `init` succeeded".to_owned());
        };
        to_wit(scenario.exec(exec))
    })
}

#[doc(hidden)]
pub fn teardown<S: Scenario>(setup_data: &str) -> std::result::Result<(), String> {
    log_panics();
    to_wit(S::teardown(setup_data))
}

#[doc(hidden)]
pub fn handle_summary<S: Scenario>(
    summary: &str,
) -> std::result::Result<crate::bindings::barrage::scenario::types::SummaryOutput, String> {
    log_panics();
    let output = S::handle_summary(summary).map_err(|error| error.to_string())?;
    Ok(crate::bindings::barrage::scenario::types::SummaryOutput {
        builtin: output.builtin,
        files: output.files,
    })
}
