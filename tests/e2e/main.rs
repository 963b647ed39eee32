//! End-to-end tests: the real `barrage` binary, real guest components and
//! a real HTTP server on 127.0.0.1. Every run is bounded in time and count.

mod bad_input;
mod cli;
mod counts;
mod guest_failures;
