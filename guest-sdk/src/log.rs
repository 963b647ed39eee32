//! Messages for the person running the test.
//!
//! A scenario has no terminal of its own: these functions hand the message
//! to the host, which writes it to the run's log tagged with the VU, so
//! output from a thousand VUs stays readable.
//!
//! ```no_run
//! use barrage_sdk::log;
//!
//! log::info("logged in");
//! log::warn(format!("slow login: {} ms", 1250));
//! ```

use crate::bindings::barrage::scenario::log::{Level, write};

/// Logs detail that is only useful while writing the scenario.
pub fn debug(message: impl AsRef<str>) {
    write(Level::Debug, message.as_ref());
}

/// Logs a message about the normal course of the test.
pub fn info(message: impl AsRef<str>) {
    write(Level::Info, message.as_ref());
}

/// Logs something the person running the test should look at.
pub fn warn(message: impl AsRef<str>) {
    write(Level::Warn, message.as_ref());
}

/// Logs a failure.
pub fn error(message: impl AsRef<str>) {
    write(Level::Error, message.as_ref());
}
