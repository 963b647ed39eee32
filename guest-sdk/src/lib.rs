//! Write Barrage load-test scenarios in Rust.
//!
//! A Barrage scenario is a WebAssembly component: the host runs many
//! instances of it, one per virtual user (VU), and each one asks the host
//! to send requests, record checks and metrics, and sleep. This crate
//! turns the component contract (`wit/scenario.wit`) into an API that
//! reads like a k6 script:
//!
//! ```no_run
//! use barrage_sdk::prelude::*;
//!
//! struct Hello {
//!     target: String,
//! }
//!
//! impl Scenario for Hello {
//!     fn init(_setup_data: &str) -> Result<Self> {
//!         let target = env("TARGET").unwrap_or_else(|| "http://127.0.0.1:8080/".into());
//!         Ok(Hello { target })
//!     }
//!
//!     fn iteration(&mut self) -> Result<()> {
//!         let res = http::get(&self.target).send();
//!         check!(res, "status is 200" => |r| r.status == 200);
//!         sleep(1.0);
//!         Ok(())
//!     }
//! }
//!
//! barrage_sdk::scenario!(Hello);
//! ```
//!
//! Build it as a `cdylib` for `wasm32-wasip2`, then run it with Barrage:
//!
//! ```text
//! cargo build --release --target wasm32-wasip2
//! barrage run target/wasm32-wasip2/release/hello.wasm --vus 10 --duration 30s
//! ```
//!
//! The functions here call the host, so they only do something inside a
//! running test: elsewhere they panic. That is why most examples in these
//! docs are compiled but not run.

pub mod bindings;
mod check;
mod error;
mod execution;
mod group;
pub mod http;
pub mod log;
mod metrics;
mod scenario;
mod summary;

pub use check::{check, check_tagged};
pub use error::{Error, Result};
pub use execution::{VuInfo, env, env_parse, sleep, sleep_for, vu};
pub use group::{Group, group};
pub use metrics::{Counter, Gauge, Rate, Trend};
pub use scenario::Scenario;
pub use summary::SummaryOutput;

#[doc(hidden)]
pub use check::__check_with;

/// Everything a typical scenario uses, in one import.
///
/// ```no_run
/// use barrage_sdk::prelude::*;
/// ```
pub mod prelude {
    pub use crate::{
        Counter, Error, Gauge, Group, Rate, Result, Scenario, SummaryOutput, Trend, check, env,
        env_parse, group, http, log, sleep, sleep_for, vu,
    };
}

/// What the [`scenario!`] macro expands to; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use crate::bindings::Guest;
    pub use crate::scenario::{VuCell, handle_summary, init, iteration, options, setup, teardown};
}

/// Turns tags given as string slices into the owned pairs the host takes.
fn owned_tags(tags: &[(&str, &str)]) -> Vec<(String, String)> {
    tags.iter()
        .map(|&(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
}

/// Exports a [`Scenario`] as the component's entry points.
///
/// Use it once, at the top level of the scenario's crate, with the type
/// that implements [`Scenario`]. Each VU's value lives from its `init` to
/// the end of the test; an `iteration` before a successful `init` fails
/// with an error rather than a trap.
///
/// ```no_run
/// # use barrage_sdk::prelude::*;
/// struct Idle;
///
/// impl Scenario for Idle {
///     fn init(_setup_data: &str) -> Result<Self> {
///         Ok(Idle)
///     }
///
///     fn iteration(&mut self) -> Result<()> {
///         sleep(1.0);
///         Ok(())
///     }
/// }
///
/// barrage_sdk::scenario!(Idle);
/// ```
#[macro_export]
macro_rules! scenario {
    ($scenario:ty) => {
        #[allow(
            unsafe_code,
            reason = "the component's exported entry points are raw symbols"
        )]
        const _: () = {
            ::std::thread_local! {
                static BARRAGE_VU: ::core::cell::RefCell<::core::option::Option<$scenario>> =
                    const { ::core::cell::RefCell::new(::core::option::Option::None) };
            }

            struct BarrageExports;

            impl $crate::__private::Guest for BarrageExports {
                fn options() -> ::std::string::String {
                    $crate::__private::options::<$scenario>()
                }

                fn setup() -> ::core::result::Result<::std::string::String, ::std::string::String> {
                    $crate::__private::setup::<$scenario>()
                }

                fn init(
                    setup_data: ::std::string::String,
                ) -> ::core::result::Result<(), ::std::string::String> {
                    $crate::__private::init(&BARRAGE_VU, &setup_data)
                }

                fn iteration(
                    exec: ::std::string::String,
                ) -> ::core::result::Result<(), ::std::string::String> {
                    $crate::__private::iteration(&BARRAGE_VU, &exec)
                }

                fn teardown(
                    setup_data: ::std::string::String,
                ) -> ::core::result::Result<(), ::std::string::String> {
                    $crate::__private::teardown::<$scenario>(&setup_data)
                }

                fn handle_summary(
                    summary: ::std::string::String,
                ) -> ::core::result::Result<
                    $crate::bindings::barrage::scenario::types::SummaryOutput,
                    ::std::string::String,
                > {
                    $crate::__private::handle_summary::<$scenario>(&summary)
                }
            }

    $crate::bindings::export!(BarrageExports with_types_in $crate::bindings);
        };
    };
}
