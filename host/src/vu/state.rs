//! What one VU's store holds: its identity, its HTTP client, its sample
//! buffer and the run's shared context.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use wasmtime::component::ResourceTable;
use wasmtime::{StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use crate::http::{HttpConfig, VuClient};
use crate::metrics::{Aggregates, Registry, SampleBuffer};

/// The guest may grow its linear memory to this many bytes; past it a
/// growth fails and, for most languages, the guest traps.
pub const MEMORY_LIMIT: usize = 256 << 20;

/// What every VU of a run shares.
#[derive(Debug)]
pub struct Shared {
    pub registry: Registry,
    pub aggregates: Mutex<Aggregates>,
    /// The variables passed with `-e`; the guest sees nothing else.
    pub env: HashMap<String, String>,
    pub http: HttpConfig,
    pub log: crate::imports::log::LogLimiter,
}

impl Shared {
    pub fn new(env: HashMap<String, String>, http: HttpConfig) -> Self {
        Shared {
            registry: Registry::default(),
            aggregates: Mutex::new(Aggregates::default()),
            env,
            http,
            log: Default::default(),
        }
    }

    pub fn aggregates(&self) -> std::sync::MutexGuard<'_, Aggregates> {
        self.aggregates.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The data of one VU's store.
pub struct VuState {
    pub shared: Arc<Shared>,
    wasi: WasiCtx,
    pub table: ResourceTable,
    pub limits: StoreLimits,
    /// 1-based; 0 for the VU that runs options, setup and teardown.
    pub id: u32,
    /// Iterations this VU started before the current one.
    pub iteration: u64,
    /// The scenario the VU runs; `None` before it joins one (in `init`)
    /// and for the VU that runs setup and teardown.
    pub scenario: Option<Arc<crate::executor::Scenario>>,
    client: Option<VuClient>,
    pub samples: SampleBuffer,
    /// Open groups: full path and start.
    pub groups: Vec<(String, Instant)>,
    /// Check ids already known to this VU: (group path, name, id).
    pub checks: Vec<(String, String, u32)>,
    /// The last URL this VU requested, parsed: most scenarios request the
    /// same few URLs again and again, and parsing (with IDNA) is not free.
    last_url: Option<(String, reqwest::Url)>,
}

impl VuState {
    pub fn new(shared: Arc<Shared>, id: u32) -> Self {
        let wasi = WasiCtxBuilder::new().inherit_stderr().build();
        VuState {
            shared,
            wasi,
            table: ResourceTable::new(),
            limits: StoreLimitsBuilder::new().memory_size(MEMORY_LIMIT).build(),
            id,
            iteration: 0,
            scenario: None,
            client: None,
            samples: SampleBuffer::default(),
            groups: Vec::new(),
            checks: Vec::new(),
            last_url: None,
        }
    }

    /// The VU's client, made on its first request.
    pub fn client(&mut self) -> VuClient {
        self.client.get_or_insert_with(VuClient::new).clone()
    }

    /// `url` parsed, if it was the last URL this VU requested. Parsing
    /// is left to the request's task, off the VU's fiber stack.
    pub fn cached_url(&self, url: &str) -> Option<reqwest::Url> {
        match &self.last_url {
            Some((text, parsed)) if text == url => Some(parsed.clone()),
            _ => None,
        }
    }

    /// Keeps `parsed` as the VU's last requested URL.
    pub fn remember_url(&mut self, url: String, parsed: reqwest::Url) {
        self.last_url = Some((url, parsed));
    }

    /// The current group path, `""` at the root.
    pub fn group_path(&self) -> &str {
        self.groups.last().map_or("", |(p, _)| p.as_str())
    }

    /// Hands the buffered samples to the run's aggregates.
    pub fn flush(&mut self) {
        if self.samples.is_empty() {
            return;
        }
        self.shared
            .aggregates()
            .apply(&self.shared.registry, self.samples.samples());
        self.samples.clear();
    }

    /// Flushes early when the buffer is full, inside long iterations.
    pub fn flush_if_full(&mut self) {
        if self.samples.is_full() {
            self.flush();
        }
    }
}

impl WasiView for VuState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}
