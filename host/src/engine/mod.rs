//! The WebAssembly engine: configured once per process, shared by all VUs.
//!
//! The configuration is chosen for many small, mostly idle instances
//! rather than a few large ones; `ARCHITECTURE.md` explains the numbers.

pub mod cache;
mod load;
pub(crate) mod stack;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use wasmtime::{Config, Engine};

pub use load::{LoadError, Scenario, load, load_bytes, load_signed, wit_version};

/// How often the epoch advances: a busy guest yields to other VUs at
/// least this often.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Depth of the guest's own (WebAssembly) stack.
const MAX_WASM_STACK: usize = 512 << 10;
/// Each fiber stack holds the guest's frames and the host futures polled
/// on it (HTTP, sleeps): 512 KiB is left for the host.
const FIBER_STACK: usize = 1 << 20;

/// A component at least this large carries a language runtime and its
/// heap snapshot (JavaScript, Python, Go): see [`engine_for`].
pub const LARGE_COMPONENT: u64 = 1 << 20;

/// Address space each VU's memory reserves when it starts from a
/// copy-on-write image: growth within it keeps the image mapped.
const IMAGE_RESERVATION: u64 = 256 << 20;

/// Builds the process's engine for a small component.
pub fn engine() -> wasmtime::Result<Engine> {
    engine_for(0)
}

/// Builds the process's engine for a component of `size` bytes.
///
/// A small guest (Rust) copies its few KiB of data segments into a memory
/// that reserves only what it uses. A large one starts from megabytes of
/// heap snapshot that most VUs only read: copying it would cost each VU
/// all of it, so its memories map the snapshot copy-on-write instead, at
/// the price of a few memory maps and a fixed address-space reservation
/// per VU.
pub fn engine_for(size: u64) -> wasmtime::Result<Engine> {
    let large = size >= LARGE_COMPONENT;
    let mut config = Config::new();
    config
        .wasm_component_model(true)
        .epoch_interruption(true)
        .concurrency_support(false)
        .max_wasm_stack(MAX_WASM_STACK)
        .async_stack_size(FIBER_STACK)
        // On-demand allocation, not pooling: the pooling allocator takes
        // about six memory maps per instance and the kernel allows 65,530,
        // which caps a process near 10k VUs. A memory that reserves exactly
        // what it uses, with no guard region and no copy-on-write image, is
        // one anonymous read-write mapping that the kernel merges with its
        // neighbours; fiber stacks are the same (see `stack`).
        .memory_reservation(if large { IMAGE_RESERVATION } else { 0 })
        .memory_guard_size(0)
        .memory_reservation_for_growth(0)
        .memory_init_cow(large)
        .with_host_stack(Arc::new(stack::MappedStacks));
    Engine::new(&config)
}

/// Epoch ticks since the process started, counted beside the engine's
/// own (which cannot be read): the clock that `maxIterationCpu` is kept
/// with, one relaxed load per guest/host crossing.
static TICKS: AtomicU64 = AtomicU64::new(0);

/// The number of epoch ticks so far.
pub fn ticks() -> u64 {
    TICKS.load(Ordering::Relaxed)
}

/// Advances the engine's epoch every [`EPOCH_TICK`] on its own thread
/// until dropped.
#[derive(Debug)]
pub struct EpochTicker {
    stop: Arc<AtomicBool>,
}

impl EpochTicker {
    pub fn start(engine: &Engine) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let (engine, flag) = (engine.clone(), stop.clone());
        std::thread::Builder::new()
            .name("barrage-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    TICKS.fetch_add(1, Ordering::Relaxed);
                    engine.increment_epoch();
                }
            })?;
        Ok(EpochTicker { stop })
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
