//! One test run from start to end: load the scenario, resolve its
//! options, run setup, start the VUs, execute the plan, run teardown and
//! summarise.
//!
//! Whatever ends the run (the plan, Ctrl-C, a failing setup), the samples
//! gathered so far are kept and summarised.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::engine::{self, EpochTicker, LoadError};
use crate::error::{ExitCode, Failure};
use crate::executor::{self, Plan, Progress, Runner, Stop};
use crate::http::HttpConfig;
use crate::imports;
use crate::metrics::Builtin;
use crate::options::{self, Layer, Resolved};
use crate::summary::Summary;
use crate::vu::{GuestError, Shared, Vu, VuState};
use crate::workers::Workers;

/// Where the scenario comes from.
#[derive(Debug, Clone)]
pub enum Source {
    File(PathBuf),
    /// Bytes built into the binary, with a name for messages.
    Embedded {
        name: String,
        bytes: &'static [u8],
    },
}

/// Everything a run needs besides the scenario's own options.
#[derive(Debug, Clone)]
pub struct RunArgs {
    pub source: Source,
    /// `-e KEY=VALUE` pairs: all the guest can see of the environment.
    pub env: HashMap<String, String>,
    /// `BARRAGE_*` variables.
    pub env_options: Layer,
    /// Command-line flags.
    pub flags: Layer,
    pub http: HttpConfig,
    /// Draw the progress line.
    pub progress: bool,
}

/// Signals from outside the run.
#[derive(Debug, Clone, Default)]
pub struct Control {
    /// First Ctrl-C: interrupt the iterations, then tear down.
    pub interrupt: CancellationToken,
    /// Second Ctrl-C: stop waiting for teardown too.
    pub abort: CancellationToken,
}

/// What a finished run reports.
#[derive(Debug)]
pub struct Report {
    pub summary: Summary,
    pub plan: Plan,
    pub exit: ExitCode,
    /// Why the run ended early, if it did.
    pub error: Option<String>,
}

/// Runs a whole test. `Err` means nothing ran: the scenario or its options
/// were unusable.
pub async fn run(args: RunArgs, control: Control) -> Result<Report, Failure> {
    let engine = engine::engine()
        .map_err(|e| Failure::scenario(format!("cannot start the engine: {e:#}")))?;
    let linker = imports::linker(&engine).map_err(|e| Failure::scenario(format!("{e:#}")))?;
    let cache = engine::cache::dir();
    let scenario = match &args.source {
        Source::File(path) => engine::load(&engine, &linker, path, cache.as_deref()),
        Source::Embedded { name, bytes } => engine::load_bytes(
            &engine,
            &linker,
            std::path::Path::new(name),
            bytes,
            cache.as_deref(),
        ),
    }
    .map_err(load_failure)?;
    let _ticker = EpochTicker::start(&engine)
        .map_err(|e| Failure::scenario(format!("cannot start the epoch thread: {e}")))?;
    let workers = Workers::start()
        .map_err(|e| Failure::scenario(format!("cannot start the VU threads: {e}")))?;
    let shared = Arc::new(Shared::new(args.env.clone(), args.http.clone()));
    let pre = Arc::new(scenario.pre);

    let mut lifecycle = Vu::new(&pre, shared.clone(), 0)
        .await
        .map_err(guest_failure("instantiating"))?;
    let exported = lifecycle
        .options()
        .await
        .map_err(guest_failure("options()"))?;
    let resolved = resolve(&exported, &args)?;
    let plan = resolved.plan.clone();
    tracing::debug!(?plan, "resolved plan");

    let setup_data = match lifecycle_call(
        Phase::Setup,
        resolved.setup_timeout,
        &control,
        lifecycle.setup(),
    )
    .await
    {
        Ok(data) => data,
        Err((exit, error)) => return Ok(empty_report(&shared, plan, exit, Some(error))),
    };
    let setup_data: Arc<str> = Arc::from(setup_data);

    let runners = match start_vus(&pre, &shared, &plan, &setup_data, &control, &workers).await {
        Ok(r) => r,
        Err(error) => {
            let _ = lifecycle_call(
                Phase::Teardown,
                resolved.teardown_timeout,
                &control,
                lifecycle.teardown(&setup_data),
            )
            .await;
            let exit = if control.interrupt.is_cancelled() {
                ExitCode::ExternalAbort
            } else {
                ExitCode::ScenarioError
            };
            return Ok(empty_report(&shared, plan, exit, Some(error)));
        }
    };
    let vus_max = runners.len() as u32;
    {
        let mut aggregates = shared.aggregates();
        aggregates.add(&shared.registry, Builtin::VusMax.id(), f64::from(vus_max));
        // Every VU of these executors starts at once.
        aggregates.add(&shared.registry, Builtin::Vus.id(), f64::from(vus_max));
    }

    let progress = Arc::new(Progress::default());
    let reporter = tokio::spawn(crate::progress::report(
        shared.clone(),
        progress.clone(),
        plan.clone(),
        args.progress,
    ));
    let start = Instant::now();
    let stop = Stop {
        now: control.interrupt.child_token(),
    };
    executor::run(&plan, runners, start, progress.clone(), stop, &workers).await;
    let elapsed = start.elapsed();
    reporter.abort();
    crate::progress::clear(args.progress);

    let mut exit = ExitCode::Ok;
    let mut error = None;
    if control.interrupt.is_cancelled() {
        exit = ExitCode::ExternalAbort;
        error = Some("the test was stopped by a signal".to_owned());
    }
    if let Err((code, message)) = lifecycle_call(
        Phase::Teardown,
        resolved.teardown_timeout,
        &control,
        lifecycle.teardown(&setup_data),
    )
    .await
    {
        if exit == ExitCode::Ok {
            exit = code;
        }
        error.get_or_insert(message);
    }
    let load = |c: &std::sync::atomic::AtomicU64| c.load(std::sync::atomic::Ordering::Relaxed);
    let summary = Summary::collect(
        &shared.registry,
        &shared.aggregates(),
        elapsed,
        load(&progress.complete),
        load(&progress.interrupted),
        vus_max,
    );
    Ok(Report {
        summary,
        plan,
        exit,
        error,
    })
}

fn resolve(exported: &str, args: &RunArgs) -> Result<Resolved, Failure> {
    let from_scenario =
        options::from_scenario(exported).map_err(|e| Failure::config(e.to_string()))?;
    let layer = from_scenario
        .overlay(&args.env_options)
        .overlay(&args.flags);
    options::resolve(&layer).map_err(|e| Failure::config(format!("invalid options: {e}")))
}

/// Runs setup or teardown within its timeout; Ctrl-C cuts it short.
async fn lifecycle_call<T>(
    phase: Phase,
    timeout: Duration,
    control: &Control,
    call: impl Future<Output = Result<T, GuestError>>,
) -> Result<T, (ExitCode, String)> {
    // A first signal cuts setup short (nothing has run yet); teardown
    // still gets its chance until a second signal.
    let (name, timeout_code, stop) = match phase {
        Phase::Setup => ("setup()", ExitCode::SetupTimeout, control.interrupt.clone()),
        Phase::Teardown => (
            "teardown()",
            ExitCode::TeardownTimeout,
            control.abort.clone(),
        ),
    };
    tokio::select! {
        () = stop.cancelled() => {
            Err((ExitCode::ExternalAbort, "stopped by a signal".into()))
        }
        r = tokio::time::timeout(timeout, call) => match r {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err((ExitCode::ScenarioError, e.to_string())),
            Err(_) => Err((
                timeout_code,
                format!("did not finish within {}", crate::duration::format(timeout)),
            )),
        },
    }
    .map_err(|(code, msg)| (code, format!("{name} failed: {msg}")))
}

#[derive(Debug, Clone, Copy)]
enum Phase {
    Setup,
    Teardown,
}

/// A VU as the executor drives it.
struct VuRunner {
    vu: Vu,
    pre: Arc<crate::bindings::ScenarioPre<VuState>>,
    shared: Arc<Shared>,
    setup_data: Arc<str>,
    exec: Arc<str>,
}

impl Runner for VuRunner {
    async fn iteration(&mut self) -> Result<(), GuestError> {
        self.vu.iteration(&self.exec).await
    }

    async fn recover(&mut self) -> bool {
        let id = self.vu.id();
        let iteration = self.vu.state().iteration;
        match new_vu(&self.pre, &self.shared, id, &self.setup_data).await {
            Ok(mut vu) => {
                vu.state().iteration = iteration;
                self.vu = vu;
                true
            }
            Err(e) => {
                self.shared
                    .log
                    .write("ERROR", id, &format!("VU retired: {e}"));
                false
            }
        }
    }

    fn report(&mut self, error: &GuestError) {
        self.shared
            .log
            .write("ERROR", self.vu.id(), &format!("iteration failed: {error}"));
    }
}

async fn new_vu(
    pre: &Arc<crate::bindings::ScenarioPre<VuState>>,
    shared: &Arc<Shared>,
    id: u32,
    setup_data: &str,
) -> Result<Vu, String> {
    let mut vu = Vu::new(pre, shared.clone(), id)
        .await
        .map_err(|e| e.to_string())?;
    vu.init(setup_data)
        .await
        .map_err(|e| format!("init failed: {e}"))?;
    Ok(vu)
}

/// Instantiates and initialises every VU of the plan, in parallel.
async fn start_vus(
    pre: &Arc<crate::bindings::ScenarioPre<VuState>>,
    shared: &Arc<Shared>,
    plan: &Plan,
    setup_data: &Arc<str>,
    control: &Control,
    workers: &Workers,
) -> Result<Vec<VuRunner>, String> {
    let started = std::time::Instant::now();
    let exec: Arc<str> = Arc::from(plan.exec.as_str());
    let mut tasks = JoinSet::new();
    for id in 1..=plan.executor.vus() {
        let (pre, shared, data, exec) = (
            pre.clone(),
            shared.clone(),
            setup_data.clone(),
            exec.clone(),
        );
        // A VU is instantiated on the thread it will run on, so the
        // threads share the work of starting them.
        tasks.spawn_on(
            async move {
                let vu = new_vu(&pre, &shared, id, &data)
                    .await
                    .map_err(|e| format!("VU {id}: {e}"))?;
                Ok::<_, String>(VuRunner {
                    vu,
                    pre,
                    shared,
                    setup_data: data,
                    exec,
                })
            },
            workers.handle(),
        );
    }
    let mut runners = Vec::with_capacity(plan.executor.vus() as usize);
    loop {
        let joined = tokio::select! {
            () = control.interrupt.cancelled() => {
                return Err("stopped by a signal while starting VUs".into());
            }
            j = tasks.join_next() => j,
        };
        match joined {
            None => break,
            Some(Ok(Ok(runner))) => runners.push(runner),
            Some(Ok(Err(e))) => return Err(e),
            Some(Err(e)) => return Err(format!("a VU task failed: {e}")),
        }
    }
    runners.sort_by_key(|r| r.vu.id());
    tracing::debug!(vus = runners.len(), took = ?started.elapsed(), "VUs initialised");
    Ok(runners)
}

fn empty_report(shared: &Shared, plan: Plan, exit: ExitCode, error: Option<String>) -> Report {
    let summary = Summary::collect(
        &shared.registry,
        &shared.aggregates(),
        Duration::ZERO,
        0,
        0,
        0,
    );
    Report {
        summary,
        plan,
        exit,
        error,
    }
}

fn load_failure(e: LoadError) -> Failure {
    Failure::scenario(e.to_string())
}

fn guest_failure(what: &'static str) -> impl Fn(GuestError) -> Failure {
    move |e| Failure::scenario(format!("the scenario failed in {what}: {e}"))
}
