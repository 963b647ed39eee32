//! The host side of every interface the guest imports.
//!
//! Each file implements one WIT interface on [`VuState`]; together with
//! WASI (for the guest's standard library, with no files, sockets or
//! environment) and standard `wasi:http` (served by the same client as
//! `http`) they make up the linker a scenario is instantiated with.

pub mod execution;
pub mod http;
pub mod log;
pub mod metrics;
pub mod wasi_http;

use wasmtime::Engine;
use wasmtime::component::{HasSelf, Linker};

use crate::bindings::Scenario;
use crate::vu::VuState;

/// The linker every VU is instantiated from.
pub fn linker(engine: &Engine) -> wasmtime::Result<Linker<VuState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    Scenario::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state)?;
    Ok(linker)
}

impl crate::bindings::types::Host for VuState {}
