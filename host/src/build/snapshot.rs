//! Pre-initializing a Go scenario at build time.
//!
//! A Go component starts its runtime in the first call each VU makes:
//! 666 µs and about 870 KiB of heap, spans and stacks written in every VU.
//! Here the runtime is started once, by `barrage build`, in a VU that can
//! reach nothing (its `options` export is called: the Go runtime and the
//! scenario's package `init`s run), and Wizer writes the memory it leaves
//! as the component's memory image. Each VU then maps that image
//! copy-on-write and pays only for what it writes itself: 224 KiB per VU
//! instead of 996 at 1,000 VUs, 51 µs to instantiate instead of 666.
//!
//! Two things a snapshot must not freeze are undone. The random state
//! that every VU would share is reseeded by the SDK in each VU
//! (`reseed_snapshot.go`). And the WASI preview 1 adapter's module is put
//! back as it was built: the handles it opened while the snapshot was
//! taken (standard output, for one) do not exist in a new instance, and
//! left in place, the first `fmt.Println` of a VU would trap.

use std::sync::Arc;

use wasmtime::Store;
use wasmtime::component::{Component, Instance, Lift, WasmList};

use crate::http::{Allowlist, HttpConfig};
use crate::vu::{Shared, VuState};

/// `component` as it stands after its `options` export ran once, with
/// `input` on its standard input.
pub fn snapshot(component: &[u8], input: &[u8]) -> Result<Vec<u8>, String> {
    // Building is synchronous and may itself run inside a runtime (`run
    // DIR` builds first): the snapshot gets a thread and a runtime of its
    // own.
    let component = component.to_vec();
    let input = input.to_vec();
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?
                    .block_on(take(&component, input))
            })
            .join()
            .unwrap_or_else(|_| Err(wasmtime::format_err!("the snapshot's thread panicked")))
    })
    .map_err(|e| e.to_string())
}

async fn take(component: &[u8], input: Vec<u8>) -> wasmtime::Result<Vec<u8>> {
    let engine = crate::engine::engine_for(component.len() as u64)?;
    let linker = crate::imports::linker(&engine)?;
    let wizer = wasmtime_wizer::Wizer::new();
    let (cx, instrumented) = wizer.instrument_component(component)?;
    let compiled = Component::new(&engine, &instrumented)?;
    // Package `init`s run here, at build time: a request they make is
    // refused (the allowlist names a host that cannot exist) rather than
    // sent from the build.
    let shared = Arc::new(Shared::new(Default::default(), HttpConfig::new()));
    let nowhere =
        Allowlist::parse(["barrage-build.invalid"]).map_err(|e| wasmtime::format_err!(e))?;
    let _ = shared.http.allow.set(nowhere);
    let mut store = Store::new(&engine, VuState::new(shared, 0).with_stdin(input));
    // As bounded as a VU: memory by the VU limit, time by a deadline after
    // which the call traps (a package `init` that never returns), and the
    // build goes on without a snapshot.
    store.limiter(|s| &mut s.limits);
    let _ticker = crate::engine::EpochTicker::start(&engine)?;
    let ticks =
        |d: std::time::Duration| (d.as_millis() / crate::engine::EPOCH_TICK.as_millis()) as u64;
    store.set_epoch_deadline(ticks(START_LIMIT));
    // Go's runtime and the package's `init`s run in instantiation and in
    // the first export called.
    let instance = linker
        .instantiate_async(&mut store, &compiled)
        .await
        .map_err(start_failed)?;
    let options = instance.get_typed_func::<(), (String,)>(&mut store, "options")?;
    options
        .call_async(&mut store, ())
        .await
        .map_err(start_failed)?;
    // Wizer's own calls read the state; they are short, whatever the
    // scenario.
    store.set_epoch_deadline(ticks(START_LIMIT));
    let mut state = Started {
        store: &mut store,
        instance,
    };
    let snapshot = wizer.snapshot_component(&cx, &mut state).await?;
    restore_adapter(component, &snapshot)
}

/// A failed start, with its cause but not Wasmtime's backtrace: a build
/// warning, not a debugging session.
fn start_failed(e: wasmtime::Error) -> wasmtime::Error {
    let cause = match e.downcast_ref::<wasmtime::Trap>() {
        Some(trap) => trap.to_string(),
        None => e.root_cause().to_string(),
    };
    wasmtime::format_err!("starting the scenario failed: {cause}")
}

/// The longest the runtime's start (and the scenario's package `init`s)
/// may take at build time.
const START_LIMIT: std::time::Duration = std::time::Duration::from_secs(60);

/// The instance a snapshot is read from, as Wizer asks for it.
struct Started<'a> {
    store: &'a mut Store<VuState>,
    instance: Instance,
}

impl Started<'_> {
    /// Calls `func` of the exported instance `name`, which Wizer's
    /// instrumentation added and which takes no arguments.
    async fn call<R: Lift + 'static, O>(
        &mut self,
        name: &str,
        func: &str,
        read: impl FnOnce(&mut Store<VuState>, R) -> O,
    ) -> O {
        let store = &mut *self.store;
        // Wizer calls only the exports its own instrumentation added, so
        // they are there, with these types.
        let export = self.instance.get_export(&mut *store, None, name);
        let export =
            export.and_then(|(_, i)| self.instance.get_export(&mut *store, Some(&i), func));
        let (_, index) = export.unwrap_or_else(|| unreachable!("Wizer's export `{name}#{func}`"));
        let typed = self.instance.get_typed_func::<(), (R,)>(&mut *store, index);
        let typed = typed.unwrap_or_else(|e| unreachable!("Wizer's export `{func}`: {e}"));
        let result = typed.call_async(&mut *store, ()).await;
        let (value,) = result.unwrap_or_else(|e| unreachable!("Wizer's export `{func}`: {e}"));
        read(store, value)
    }
}

impl wasmtime_wizer::ComponentInstanceState for Started<'_> {
    async fn call_func_ret_list_u8(
        &mut self,
        instance: &str,
        func: &str,
        contents: impl FnOnce(&[u8]) + Send,
    ) {
        self.call(instance, func, |store, list: WasmList<u8>| {
            contents(list.as_le_slice(&store))
        })
        .await
    }

    async fn call_func_ret_s32(&mut self, instance: &str, func: &str) -> i32 {
        self.call(instance, func, |_, v| v).await
    }

    async fn call_func_ret_s64(&mut self, instance: &str, func: &str) -> i64 {
        self.call(instance, func, |_, v| v).await
    }

    async fn call_func_ret_f32(&mut self, instance: &str, func: &str) -> u32 {
        self.call(instance, func, |_, v: f32| v.to_bits()).await
    }

    async fn call_func_ret_f64(&mut self, instance: &str, func: &str) -> u64 {
        self.call(instance, func, |_, v: f64| v.to_bits()).await
    }
}

/// `snapshot` with the WASI preview 1 adapter's core module (the one that
/// exports `fd_write`) as it is in `original`: it then opens its handles
/// afresh in each instance. Both components list the same core modules
/// in the same order; Wizer rewrites each in place.
fn restore_adapter(original: &[u8], snapshot: &[u8]) -> wasmtime::Result<Vec<u8>> {
    let before = top_level_sections(original)?;
    let after = top_level_sections(snapshot)?;
    let modules = |sections: &[(u8, std::ops::Range<usize>)]| -> Vec<std::ops::Range<usize>> {
        sections
            .iter()
            .filter(|(id, _)| *id == MODULE_SECTION)
            .map(|(_, r)| r.clone())
            .collect()
    };
    let (old, new) = (modules(&before), modules(&after));
    if old.len() != new.len() {
        wasmtime::bail!(
            "the snapshot has {} core modules where the component had {}",
            new.len(),
            old.len()
        );
    }
    let Some(adapter) = old.iter().position(|r| {
        exports(&original[r.clone()])
            .iter()
            .any(|e| e == "fd_write")
    }) else {
        return Ok(snapshot.to_vec());
    };
    let mut out = snapshot[..8].to_vec();
    let mut module = 0;
    for (id, range) in &after {
        let mut body = &snapshot[range.clone()];
        if *id == MODULE_SECTION {
            if module == adapter {
                body = &original[old[adapter].clone()];
            }
            module += 1;
        }
        out.push(*id);
        leb128(&mut out, body.len());
        out.extend_from_slice(body);
    }
    Ok(out)
}

/// A component's section id for a core module.
const MODULE_SECTION: u8 = 1;

/// A component's top-level sections: id and the range of the contents.
fn top_level_sections(bytes: &[u8]) -> wasmtime::Result<Vec<(u8, std::ops::Range<usize>)>> {
    if bytes.len() < 8 {
        wasmtime::bail!("not a component");
    }
    let mut reader = wasmparser::BinaryReader::new(&bytes[8..], 8);
    let mut sections = Vec::new();
    while !reader.eof() {
        let id = reader.read_u8()?;
        let len = reader.read_var_u32()? as usize;
        let start = reader.original_position();
        reader.read_bytes(len)?;
        sections.push((id, start..start + len));
    }
    Ok(sections)
}

/// The names a core module exports; none if it does not parse.
fn exports(module: &[u8]) -> Vec<String> {
    let mut names = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(module) {
        if let Ok(wasmparser::Payload::ExportSection(reader)) = payload {
            names.extend(reader.into_iter().flatten().map(|e| e.name.to_owned()));
        }
    }
    names
}

fn leb128(out: &mut Vec<u8>, mut n: usize) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}
