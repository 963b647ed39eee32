//! HTTP for the guest: one reqwest client per VU, measured the way k6
//! measures.
//!
//! A VU is a user, so it has its own connection pool and cookie jar. The
//! phases of each request are taken at the connector (DNS, connect, TLS)
//! and around the exchange (waiting for the head, reading the body).

mod client;
mod error;
mod timing;

pub use client::{HttpConfig, Outcome, Prepared, VuClient, tls_config};
pub use error::{classify, code};
pub use timing::Timings;
