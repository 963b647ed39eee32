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

/// `module` with its active data segments merged into as few as cover the
/// same bytes (gaps of up to [`MERGE_GAP`] zero bytes are filled in).
///
/// Go's linker writes one segment per symbol, 43,000 for a small scenario.
/// Wasmtime gives every segment a slot in each instance, and after a
/// build-time snapshot each becomes an empty passive segment that still
/// takes its slot: 600 KiB per VU. A module with anything but active
/// segments at constant offsets in memory 0 is returned as it is.
pub fn merge_data_segments(module: &[u8]) -> anyhow::Result<Vec<u8>> {
    use wasmparser::{Parser, Payload};
    let mut segments: Vec<(u32, Vec<u8>)> = Vec::new();
    for payload in Parser::new(0).parse_all(module) {
        let Payload::DataSection(reader) = payload? else {
            continue;
        };
        for data in reader {
            let data = data?;
            let Some(address) = constant_address(&data.kind) else {
                return Ok(module.to_vec());
            };
            segments.push((address, data.data.to_vec()));
        }
    }
    segments.sort_by_key(|(offset, _)| *offset);
    let mut merged: Vec<(u32, Vec<u8>)> = Vec::new();
    for (offset, bytes) in segments {
        if let Some((start, run)) = merged.last_mut() {
            let end = *start as u64 + run.len() as u64;
            let at = u64::from(offset);
            if at >= end && at - end <= MERGE_GAP {
                run.resize((at - u64::from(*start)) as usize, 0);
                run.extend_from_slice(&bytes);
                continue;
            }
        }
        merged.push((offset, bytes));
    }
    let mut out = wasm_encoder::Module::new();
    for payload in Parser::new(0).parse_all(module) {
        let payload = payload?;
        let Some((id, range)) = payload.as_section() else {
            continue;
        };
        match payload {
            Payload::DataSection(_) => {
                let mut data = wasm_encoder::DataSection::new();
                for (offset, bytes) in &merged {
                    let at = wasm_encoder::ConstExpr::i32_const(offset.cast_signed());
                    data.active(0, &at, bytes.iter().copied());
                }
                out.section(&data);
            }
            Payload::DataCountSection { .. } => {
                out.section(&wasm_encoder::DataCountSection {
                    count: merged.len() as u32,
                });
            }
            _ => {
                out.section(&wasm_encoder::RawSection {
                    id,
                    data: &module[range],
                });
            }
        }
    }
    Ok(out.finish())
}

/// The longest run of zeros between two data segments that merging fills
/// in: short enough to add nothing to the image in practice.
const MERGE_GAP: u64 = 64;

/// Where a data segment goes in memory 0 when it is active there at a
/// constant offset; `None` for any other segment.
pub fn constant_address(kind: &wasmparser::DataKind) -> Option<u32> {
    use wasmparser::{DataKind, Operator};
    let DataKind::Active {
        memory_index: 0,
        offset_expr,
    } = kind
    else {
        return None;
    };
    let mut ops = offset_expr.get_operators_reader();
    match (ops.read().ok()?, ops.read().ok()?) {
        (Operator::I32Const { value }, Operator::End) => Some(value.cast_unsigned()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(segments: &[(i32, &[u8])]) -> Vec<u8> {
        let mut m = wasm_encoder::Module::new();
        let mut mem = wasm_encoder::MemorySection::new();
        mem.memory(wasm_encoder::MemoryType {
            minimum: 1,
            maximum: None,
            memory64: false,
            shared: false,
            page_size_log2: None,
        });
        m.section(&mem);
        let mut data = wasm_encoder::DataSection::new();
        for (offset, bytes) in segments {
            data.active(
                0,
                &wasm_encoder::ConstExpr::i32_const(*offset),
                bytes.iter().copied(),
            );
        }
        m.section(&data);
        m.finish()
    }

    /// The bytes a module's data segments put in memory.
    fn image(module: &[u8]) -> Vec<u8> {
        let mut memory = vec![0u8; 65536];
        let mut count = 0;
        for payload in wasmparser::Parser::new(0).parse_all(module) {
            if let wasmparser::Payload::DataSection(reader) = payload.expect("valid") {
                for data in reader {
                    let data = data.expect("valid");
                    let wasmparser::DataKind::Active { offset_expr, .. } = data.kind else {
                        panic!("active")
                    };
                    let mut ops = offset_expr.get_operators_reader();
                    let wasmparser::Operator::I32Const { value } = ops.read().expect("op") else {
                        panic!("const")
                    };
                    let at = value as usize;
                    memory[at..at + data.data.len()].copy_from_slice(data.data);
                    count += 1;
                }
            }
        }
        memory.push(count);
        memory
    }

    #[test]
    fn merged_segments_fill_memory_as_the_originals_do() {
        let original = module(&[
            (100, b"abc"),
            (0, b"xy"),
            (103, b"de"),
            (170, b"f"),
            (4000, b"g"),
        ]);
        wasmparser::validate(&original).expect("valid");
        let merged = merge_data_segments(&original).expect("merges");
        wasmparser::validate(&merged).expect("still valid");
        let (before, after) = (image(&original), image(&merged));
        assert_eq!(before[..65536], after[..65536]);
        // [0,2) and [100,105) are 98 bytes apart: too far; [100,105) and
        // [170,171) are 65 apart: too far; so four runs of five segments.
        assert_eq!((before[65536], after[65536]), (5, 4));
    }
}
