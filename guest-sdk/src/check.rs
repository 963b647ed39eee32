//! Checks: named assertions that are counted, not fatal.
//!
//! A failed check does not stop the iteration; the host records every
//! outcome in the `checks` rate, per check name, so thresholds can demand
//! for example that 99 % of responses had status 200.

use crate::bindings::barrage::scenario::metrics;
use crate::owned_tags;

/// Records one check named `name` and returns `passed`.
///
/// The [`check!`](crate::check!) macro reads better when one value is
/// checked several ways.
///
/// ```no_run
/// let status = 200;
/// if !barrage_sdk::check("status is 200", status == 200) {
///     barrage_sdk::log::warn(format!("unexpected status {status}"));
/// }
/// ```
pub fn check(name: &str, passed: bool) -> bool {
    metrics::check(name, passed, &[])
}

/// Records one check with extra tags on its sample and returns `passed`.
///
/// ```no_run
/// barrage_sdk::check_tagged("cached", true, &[("tier", "edge")]);
/// ```
pub fn check_tagged(name: &str, passed: bool, tags: &[(&str, &str)]) -> bool {
    metrics::check(name, passed, &owned_tags(tags))
}

#[doc(hidden)]
pub fn __check_with<T: ?Sized>(name: &str, value: &T, predicate: impl FnOnce(&T) -> bool) -> bool {
    check(name, predicate(value))
}

/// Runs named checks on one value; returns whether all of them passed.
///
/// Each `"name" => |v| condition` pair is recorded as its own check, and
/// every pair runs even when an earlier one failed. The value is borrowed,
/// not moved, so it is still usable afterwards.
///
/// ```no_run
/// use barrage_sdk::prelude::*;
///
/// let res = http::get("http://127.0.0.1:8080/").send();
/// let all_passed = check!(res,
///     "status is 200" => |r| r.status == 200,
///     "body is not empty" => |r| !r.body.is_empty(),
/// );
/// ```
#[macro_export]
macro_rules! check {
    ($value:expr, $($name:expr => $predicate:expr),+ $(,)?) => {{
        let value = &$value;
        let mut all_passed = true;
        $(
            all_passed &= $crate::__check_with($name, value, $predicate);
        )+
        all_passed
    }};
}
