//! HTTP for the guest: each VU has its own client, measured the way k6
//! measures.
//!
//! A VU is a user, so it has its own connections and cookie jar. Plain
//! `http://` goes over HTTP/1.1 written and read by the VU itself
//! (`plain.rs`), which measures every phase and byte exactly; HTTPS and
//! HTTP/2 go through reqwest (`client.rs`), whose phases are taken at the
//! connector (DNS, connect, TLS) and around the exchange.

mod allow;
mod client;
mod error;
mod plain;
mod timing;

pub use allow::Allowlist;
pub use client::{HttpConfig, Outcome, Prepared, VuClient, method_after, tls_config};
pub use error::{classify, code};
pub use timing::Timings;
