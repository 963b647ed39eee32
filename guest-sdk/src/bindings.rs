//! The raw bindings that `wit-bindgen` generates from `wit/scenario.wit`.
//!
//! The rest of the SDK wraps these in types that read like a k6 script;
//! they stay public as an escape hatch for anything the wrappers do not
//! cover yet, and because the `scenario!` macro expands to code in the
//! scenario's own crate that must name them.

// The component ABI is raw pointers and exported symbols: this module is
// the one place in the SDK where that unsafety lives.
#![allow(unsafe_code, reason = "wit-bindgen's ABI glue needs unsafe code")]
#![allow(
    missing_docs,
    reason = "the contract's own doc comments are carried over"
)]

wit_bindgen::generate!({
    world: "scenario",
    path: "../wit",
    pub_export_macro: true,
    default_bindings_module: "barrage_sdk::bindings",
});
