//! Turning a core WebAssembly module into a scenario component.
//!
//! Go compiles to a WASI preview 1 core module (`GOOS=wasip1`) whose
//! imports and exports already follow the component model's canonical
//! ABI, lowered by hand in the Go SDK. What is missing is the component
//! around it: the scenario world's type information, and an adapter that
//! serves the module's preview 1 calls from the preview 2 interfaces the
//! host provides. wit-component does both, with the reactor adapter
//! (the module has no `main` to run; the host calls its exports).

use wasi_preview1_component_adapter_provider::{
    WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME, WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER,
};
use wit_component::{ComponentEncoder, StringEncoding, embed_component_metadata};
use wit_parser::Resolve;

/// The contract a scenario is built against, as shipped with this Barrage.
pub const WIT: &str = include_str!("../../../wit/scenario.wit");

/// Wraps `core`, a module exporting the `scenario` world's functions, in
/// a component.
pub fn componentize(core: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut resolve = Resolve::default();
    let package = resolve.push_str("scenario.wit", WIT)?;
    let world = resolve.select_world(&[package], Some("scenario"))?;
    let mut module = core.to_vec();
    embed_component_metadata(&mut module, &resolve, world, StringEncoding::UTF8)?;
    ComponentEncoder::default()
        .module(&module)?
        .adapter(
            WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME,
            WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER,
        )?
        // The adapter takes its own pages through the module's
        // `cabi_realloc`, which the Go SDK serves from a static area its
        // runtime never hands out (growing memory behind the runtime's
        // back would give the same pages to both).
        .validate(true)
        .encode()
}
