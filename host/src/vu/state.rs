//! What one VU's store holds: its identity, its HTTP client, its sample
//! buffer and the run's shared context.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use wasmtime::component::ResourceTable;
use wasmtime::{StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use crate::http::{HttpConfig, VuClient};
use crate::metrics::{
    Aggregates, Clock, Registry, SampleBuffer, SystemTag, TagCache, TagConfig, TagList, TagSetId,
    TagSets,
};

/// The guest may grow its linear memory to this many bytes unless the
/// options say otherwise (`maxVuMemory`); past it a growth fails and, for
/// most languages, the guest traps.
pub const MEMORY_LIMIT: usize = 256 << 20;

/// What every VU of a run shares.
#[derive(Debug)]
pub struct Shared {
    pub registry: Registry,
    pub tag_sets: TagSets,
    /// Set once the options are known, before setup runs.
    tags: OnceLock<TagConfig>,
    pub clock: Clock,
    pub aggregates: Mutex<Aggregates>,
    /// How long a guest call may run its own code, in nanoseconds.
    max_call_nanos: std::sync::atomic::AtomicU64,
    /// The most linear memory a VU's guest may have, in bytes.
    max_vu_memory: std::sync::atomic::AtomicUsize,
    /// The run's outputs, once they are open.
    pub outputs: OnceLock<crate::output::Outputs>,
    /// The variables passed with `-e`; the guest sees nothing else.
    pub env: HashMap<String, String>,
    pub http: HttpConfig,
    pub log: crate::imports::log::LogLimiter,
}

impl Shared {
    pub fn new(env: HashMap<String, String>, http: HttpConfig) -> Self {
        Shared {
            registry: Registry::default(),
            tag_sets: TagSets::default(),
            tags: OnceLock::new(),
            clock: Clock::default(),
            aggregates: Mutex::new(Aggregates::default()),
            max_call_nanos: std::sync::atomic::AtomicU64::new(
                crate::options::DEFAULT_MAX_ITERATION_CPU.as_nanos() as u64,
            ),
            max_vu_memory: std::sync::atomic::AtomicUsize::new(MEMORY_LIMIT),
            outputs: OnceLock::new(),
            env,
            http,
            log: Default::default(),
        }
    }

    /// Limits each guest call to `limit` of running its own code.
    pub fn set_max_call_time(&self, limit: std::time::Duration) {
        let nanos = u64::try_from(limit.as_nanos()).unwrap_or(u64::MAX);
        self.max_call_nanos
            .store(nanos, std::sync::atomic::Ordering::Relaxed);
    }

    /// Caps the linear memory of the VUs made from now on.
    pub fn set_max_vu_memory(&self, bytes: usize) {
        self.max_vu_memory
            .store(bytes, std::sync::atomic::Ordering::Relaxed);
    }

    /// How long a guest call may run its own code.
    pub fn max_call_time(&self) -> std::time::Duration {
        let nanos = self
            .max_call_nanos
            .load(std::sync::atomic::Ordering::Relaxed);
        std::time::Duration::from_nanos(nanos)
    }

    /// What the run's samples are tagged with; k6's defaults until the
    /// options are known.
    pub fn tag_config(&self) -> &TagConfig {
        static DEFAULT: OnceLock<TagConfig> = OnceLock::new();
        self.tags
            .get()
            .unwrap_or_else(|| DEFAULT.get_or_init(TagConfig::default))
    }

    /// Fixes the run's tags; only the first call counts.
    pub fn set_tag_config(&self, tags: TagConfig) {
        let _ = self.tags.set(tags);
    }

    /// Adds one sample straight to the aggregates, for what the run
    /// itself measures (`vus`, `dropped_iterations`).
    pub fn record(&self, metric: crate::metrics::Builtin, tags: TagSetId, value: f64) {
        let at = self.clock.now();
        self.aggregates()
            .add(&self.registry, &self.tag_sets, metric.id(), tags, at, value);
        if let Some(outputs) = self.outputs.get() {
            let sample = crate::metrics::Sample::Value {
                metric: metric.id(),
                tags,
                at,
                value,
            };
            outputs.push(crate::output::Batch {
                samples: vec![sample],
                ..Default::default()
            });
        }
    }

    /// The tag set of a run-level sample about `scenario`.
    pub fn scenario_tags(&self, scenario: &crate::executor::Scenario) -> TagSetId {
        let mut list = TagList::default();
        base_tags(self, Some(scenario), None, &mut list);
        self.tag_sets.intern(&mut list)
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
    /// The tag sets this VU used last.
    tag_cache: TagCache,
    /// Epoch ticks the current guest call has run for, not counting its
    /// waits on the network and in sleeps, and the tick it last started
    /// running at. A stretch shorter than a tick counts as one tick or
    /// none, by whether a tick fell inside it: right on average, at the
    /// cost of a relaxed load per wait.
    busy_ticks: u64,
    running_since: Option<u64>,
    /// Standard `wasi:http`, for guests that use their own HTTP client.
    pub standard_http: crate::imports::wasi_http::StandardHttp,
}

/// Puts the tags every sample of a VU shares into `list`: the system
/// tags `scenario` and `group` (`None` leaves `group` out), then the
/// test's and the scenario's own tags, which may replace them.
pub fn base_tags<'a>(
    shared: &'a Shared,
    scenario: Option<&'a crate::executor::Scenario>,
    group: Option<&'a str>,
    list: &mut TagList<'a>,
) {
    let config = shared.tag_config();
    let system = config.system;
    if let Some(s) = scenario
        && system.has(SystemTag::Scenario)
    {
        list.set("scenario", &s.name);
    }
    if let Some(g) = group
        && system.has(SystemTag::Group)
    {
        list.set("group", g);
    }
    list.extend(config.test.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    if let Some(s) = scenario {
        list.extend(s.tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    }
}

impl VuState {
    pub fn new(shared: Arc<Shared>, id: u32) -> Self {
        let output = |level| super::stdio::GuestOutput {
            shared: shared.clone(),
            vu: id,
            level,
        };
        let wasi = WasiCtxBuilder::new()
            .stdout(output("INFO"))
            .stderr(output("WARN"))
            .build();
        let memory = shared
            .max_vu_memory
            .load(std::sync::atomic::Ordering::Relaxed);
        let standard_http = crate::imports::wasi_http::StandardHttp::new(shared.clone());
        VuState {
            shared,
            wasi,
            table: ResourceTable::new(),
            limits: StoreLimitsBuilder::new().memory_size(memory).build(),
            id,
            iteration: 0,
            scenario: None,
            client: None,
            samples: SampleBuffer::default(),
            groups: Vec::new(),
            checks: Vec::new(),
            last_url: None,
            tag_cache: TagCache::default(),
            busy_ticks: 0,
            running_since: None,
            standard_http,
        }
    }

    /// This VU with `input` on its standard input, which is otherwise
    /// empty: a build-time snapshot reads what it starts from there.
    pub fn with_stdin(mut self, input: Vec<u8>) -> Self {
        let output = |level| super::stdio::GuestOutput {
            shared: self.shared.clone(),
            vu: self.id,
            level,
        };
        self.wasi = WasiCtxBuilder::new()
            .stdin(wasmtime_wasi::p2::pipe::MemoryInputPipe::new(input))
            .stdout(output("INFO"))
            .stderr(output("WARN"))
            .build();
        self
    }

    /// Interns the tags of a sample taken now: the VU's scenario and the
    /// test's tags, `group` (the current group when `None`), the system
    /// tags `system` adds, then the guest's `own` tags, which replace any
    /// of those. The list lives on the stack, and a set the VU used
    /// lately is found in its own cache.
    pub fn tag_set<'a>(
        &'a mut self,
        group: Option<&'a str>,
        system: impl FnOnce(&mut TagList<'a>),
        own: &'a [(String, String)],
    ) -> TagSetId {
        let VuState {
            shared,
            scenario,
            groups,
            tag_cache,
            ..
        } = self;
        let shared: &'a Shared = shared;
        let current = groups.last().map_or("", |(p, _)| p.as_str());
        let mut list = TagList::default();
        base_tags(
            shared,
            scenario.as_deref(),
            Some(group.unwrap_or(current)),
            &mut list,
        );
        system(&mut list);
        list.extend(own.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        shared.tag_sets.intern_cached(&mut list, tag_cache)
    }

    /// A guest call starts: its clock starts at zero.
    pub fn start_clock(&mut self) {
        self.busy_ticks = 0;
        self.running_since = Some(crate::engine::ticks());
    }

    /// The guest waits on the host (a request, a sleep): the wait does not
    /// count against `maxIterationCpu`.
    pub fn pause_clock(&mut self) {
        if let Some(since) = self.running_since.take() {
            self.busy_ticks += crate::engine::ticks().saturating_sub(since);
        }
    }

    pub fn resume_clock(&mut self) {
        self.running_since = Some(crate::engine::ticks());
    }

    /// How long the current guest call has run, waits excluded.
    pub fn running_time(&self) -> std::time::Duration {
        let running = self
            .running_since
            .map_or(0, |since| crate::engine::ticks().saturating_sub(since));
        crate::engine::EPOCH_TICK * u32::try_from(self.busy_ticks + running).unwrap_or(u32::MAX)
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
        self.standard_http.take_finished(&mut self.samples);
        if self.samples.is_empty() {
            return;
        }
        self.shared.aggregates().apply(
            &self.shared.registry,
            &self.shared.tag_sets,
            self.samples.samples(),
        );
        if let Some(outputs) = self.shared.outputs.get() {
            outputs.push(crate::output::Batch {
                vu: self.id,
                iter: self.iteration,
                samples: self.samples.samples().to_vec(),
            });
        }
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
