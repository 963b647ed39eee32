//! What a VU can learn about its run, and how it waits.
//!
//! A scenario sees no process environment and no clock of its own: the
//! variables passed with `-e`, the VU's identity and `sleep` all come from
//! the host, so that a sleeping VU costs no thread and a test sees exactly
//! what its runner chose to pass.

use std::str::FromStr;
use std::time::Duration;

use crate::bindings::barrage::scenario::execution;
use crate::{Error, Result};

/// Who the calling VU is and how far it has got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VuInfo {
    /// The VU's number in this test instance, from 1; 0 in `setup` and
    /// `teardown`.
    pub id: u32,
    /// How many iterations this VU started before the current one: 0 in the
    /// first iteration.
    pub iteration: u64,
    /// The name of the scenario this VU runs.
    pub scenario: String,
}

/// Describes the calling VU.
///
/// ```no_run
/// let me = barrage_sdk::vu();
/// let user = format!("vu-{}", me.id);
/// ```
pub fn vu() -> VuInfo {
    let info = execution::vu();
    VuInfo {
        id: info.id,
        iteration: info.iteration,
        scenario: info.scenario,
    }
}

/// Reads a variable passed with `-e KEY=VALUE`.
///
/// The scenario sees nothing else of the environment Barrage runs in.
///
/// ```no_run
/// let target = barrage_sdk::env("TARGET").unwrap_or_else(|| "http://127.0.0.1:8080/".into());
/// ```
pub fn env(key: &str) -> Option<String> {
    execution::env(key)
}

/// Reads a variable passed with `-e` and parses it, naming the variable if
/// its value does not parse.
///
/// `Ok(None)` when the variable is not set.
///
/// ```no_run
/// # fn run() -> barrage_sdk::Result<()> {
/// let pause: f64 = barrage_sdk::env_parse("SLEEP")?.unwrap_or(1.0);
/// # Ok(()) }
/// ```
pub fn env_parse<T>(key: &str) -> Result<Option<T>>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    let Some(text) = env(key) else {
        return Ok(None);
    };
    match text.trim().parse() {
        Ok(value) => Ok(Some(value)),
        Err(err) => Err(Error::new(format!(
            "invalid value `{text}` for `{key}`: {err}"
        ))),
    }
}

/// Pauses the VU for `seconds` (think time), without holding a thread.
///
/// ```no_run
/// barrage_sdk::sleep(0.5);
/// ```
pub fn sleep(seconds: f64) {
    execution::sleep(seconds);
}

/// Pauses the VU for `duration`, like [`sleep`].
///
/// ```no_run
/// use std::time::Duration;
/// barrage_sdk::sleep_for(Duration::from_millis(250));
/// ```
pub fn sleep_for(duration: Duration) {
    execution::sleep(duration.as_secs_f64());
}
