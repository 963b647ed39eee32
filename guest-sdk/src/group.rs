//! Groups: named sections of an iteration, like k6's `group`.
//!
//! Requests, checks and metrics inside a group carry its path as a tag
//! (`::login`, `::checkout::pay`), and the host times each group in
//! `group_duration`. The host keeps the stack of open groups, so every
//! enter must be matched by exactly one leave: a guard's `Drop` guarantees
//! it, whichever way the group's code returns.

use crate::bindings::barrage::scenario::metrics;

/// Runs `body` inside the group `name` and returns what it returns.
///
/// Groups nest. The group ends when `body` returns, also through `?`.
///
/// ```no_run
/// use barrage_sdk::prelude::*;
///
/// # fn run() -> Result<()> {
/// let items = group("list", || -> Result<Vec<u8>> {
///     let res = http::get("http://127.0.0.1:8080/items").send();
///     check!(res, "status is 200" => |r| r.status == 200);
///     Ok(res.body)
/// })?;
/// # Ok(()) }
/// ```
pub fn group<T>(name: &str, body: impl FnOnce() -> T) -> T {
    let _group = Group::enter(name);
    body()
}

/// An open group, left when dropped.
///
/// For code where a closure is awkward, such as a group that borrows the
/// scenario's state mutably or returns early from the iteration:
///
/// ```no_run
/// use barrage_sdk::Group;
///
/// let _login = Group::enter("login");
/// // ... requests here are tagged `group=::login` until `_login` is dropped.
/// ```
#[derive(Debug)]
#[must_use = "the group ends as soon as its guard is dropped"]
pub struct Group {
    // Keeps construction inside this module, so each guard matches one
    // `group-start`.
    _private: (),
}

impl Group {
    /// Enters the group `name` until the returned guard is dropped.
    pub fn enter(name: &str) -> Group {
        metrics::group_start(name);
        Group { _private: () }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        metrics::group_end();
    }
}
