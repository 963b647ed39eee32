//! End-to-end tests: the real `barrage` binary, real guest components and
//! a real HTTP server on 127.0.0.1. Every run is bounded in time and count.

#![allow(
    clippy::unwrap_used,
    reason = "a test that cannot go on should stop loudly"
)]

mod bad_input;
mod cli;
mod counts;
mod distributed;
mod executors;
mod guest_failures;
mod kubernetes;
mod languages;
mod outputs;
mod plain_http;
mod sandbox;
mod signing;
mod summary_hook;
mod tags;
mod thresholds;
