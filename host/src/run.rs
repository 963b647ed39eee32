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

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::bindings::types::SummaryOutput;
use crate::engine::{self, EpochTicker, LoadError};
use crate::error::{ExitCode, Failure};
use crate::executor::{self, Factory, Plan, Pool, Progress, Runner, Stop, Timer};
use crate::http::HttpConfig;
use crate::imports;
use crate::metrics::{Builtin, TagSetId};
use crate::options::{self, Layer, Resolved};
use crate::summary::{Ending, Summary, SummaryOptions};
use crate::thresholds::{self, Judge};
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

impl Source {
    /// The scenario's name, as messages and result files give it.
    pub fn name(&self) -> String {
        match self {
            Source::File(path) => path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into(),
            ),
            Source::Embedded { name, .. } => name.clone(),
        }
    }
}

/// Everything a run needs besides the scenario's own options.
#[derive(Debug, Clone)]
pub struct RunArgs {
    pub source: Source,
    /// `-e KEY=VALUE` pairs: all the guest can see of the environment.
    pub env: HashMap<String, String>,
    /// `--config FILE`.
    pub config: Layer,
    /// `BARRAGE_*` variables.
    pub env_options: Layer,
    /// Command-line flags.
    pub flags: Layer,
    /// What of the test to run.
    pub mode: Mode,
    /// Setup data from an earlier `barrage setup` (`--setup-data`): used
    /// instead of running `setup()`.
    pub setup_data: Option<String>,
    /// When the VUs start (`--start-at`), once they are ready.
    pub start_at: Option<std::time::SystemTime>,
    pub http: HttpConfig,
    /// Draw the progress line.
    pub progress: bool,
    /// What the summary shows.
    pub summary: SummaryOptions,
    /// `--out`: where every sample goes as well.
    pub outputs: Vec<crate::output::Spec>,
    /// `--require-signed`: the keys one of which must have signed the
    /// scenario.
    pub trusted: Option<crate::signing::Policy>,
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
    /// What went wrong writing the outputs.
    pub output_errors: Vec<String>,
    /// What the scenario's `handle-summary` returned, if it has one.
    pub hook: Option<Result<SummaryOutput, String>>,
    /// What `setup()` returned, for [`Mode::SetupOnly`].
    pub setup_data: Option<String>,
}

/// What of the test to run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Mode {
    /// setup, the VUs' iterations, teardown.
    #[default]
    Test,
    /// `setup()` alone, whose data the report carries (`barrage setup`).
    SetupOnly,
    /// `teardown()` alone, with the run's setup data (`barrage teardown`).
    TeardownOnly,
}

/// Runs a whole test. `Err` means nothing ran: the scenario or its options
/// were unusable.
pub async fn run(args: RunArgs, control: Control) -> Result<Report, Failure> {
    let size = match &args.source {
        Source::File(path) => std::fs::metadata(path).map_or(0, |m| m.len()),
        Source::Embedded { bytes, .. } => bytes.len() as u64,
    };
    let engine = engine::engine_for(size)
        .map_err(|e| Failure::scenario(format!("cannot start the engine: {e:#}")))?;
    let linker = imports::linker(&engine).map_err(|e| Failure::scenario(format!("{e:#}")))?;
    let cache = engine::cache::dir();
    let scenario = match &args.source {
        Source::File(path) => match &args.trusted {
            Some(trusted) => engine::load_signed(&engine, &linker, path, cache.as_deref(), trusted),
            None => engine::load(&engine, &linker, path, cache.as_deref()),
        },
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
    shared.set_tag_config(resolved.tags.clone());
    shared.set_max_call_time(resolved.max_iteration_cpu);
    shared.set_max_vu_memory(resolved.max_vu_memory);
    let _ = shared.http.allow.set(resolved.allow_hosts.clone());
    let ended = Arc::new(std::sync::OnceLock::new());
    let context = crate::output::Context {
        shared: shared.clone(),
        thresholds: resolved.thresholds.clone(),
        plan: resolved.plan.clone(),
        scenario: args.source.name(),
        end: ended.clone(),
    };
    let outputs =
        crate::output::Outputs::start(&args.outputs, &context).map_err(Failure::config)?;
    let _ = shared.outputs.set(outputs);
    let plan = resolved.plan.clone();
    tracing::debug!(?plan, "resolved plan");

    let setup_data = if let Some(data) = &args.setup_data {
        data.clone()
    } else if resolved.no_setup && args.mode != Mode::SetupOnly {
        String::new()
    } else {
        match lifecycle_call(
            Phase::Setup,
            resolved.setup_timeout,
            &control,
            lifecycle.setup(),
        )
        .await
        {
            Ok(data) => data,
            Err((exit, error)) => return Ok(empty_report(&shared, &args, plan, exit, Some(error))),
        }
    };
    if args.mode == Mode::SetupOnly {
        let mut report = empty_report(&shared, &args, plan, ExitCode::Ok, None);
        report.setup_data = Some(setup_data);
        return Ok(report);
    }
    let setup_data: Arc<str> = Arc::from(setup_data);
    let teardown = async |lifecycle: &mut Vu| {
        if resolved.no_teardown {
            return Ok(());
        }
        lifecycle_call(
            Phase::Teardown,
            resolved.teardown_timeout,
            &control,
            lifecycle.teardown(&setup_data),
        )
        .await
    };

    if args.mode == Mode::TeardownOnly {
        let (exit, error) = match lifecycle_call(
            Phase::Teardown,
            resolved.teardown_timeout,
            &control,
            lifecycle.teardown(&setup_data),
        )
        .await
        {
            Ok(()) => (ExitCode::Ok, None),
            Err((exit, error)) => (exit, Some(error)),
        };
        return Ok(empty_report(&shared, &args, plan, exit, error));
    }
    let factory = VuFactory {
        pre: pre.clone(),
        shared: shared.clone(),
        setup_data: setup_data.clone(),
    };
    let pool = Pool::new(factory, Arc::new(workers));
    let started = std::time::Instant::now();
    if let Err(error) = pool.fill(plan.initial_vus(), &control.interrupt).await {
        let _ = teardown(&mut lifecycle).await;
        let exit = if control.interrupt.is_cancelled() {
            ExitCode::ExternalAbort
        } else {
            ExitCode::ScenarioError
        };
        return Ok(empty_report(&shared, &args, plan, exit, Some(error)));
    }
    tracing::debug!(vus = pool.made(), took = ?started.elapsed(), "VUs initialised");
    // Custom metrics exist once the VUs have run `init`.
    if let Some(error) = resolved
        .thresholds
        .iter()
        .find_map(|t| t.check(&shared.registry).err())
    {
        let _ = teardown(&mut lifecycle).await;
        let error = format!("invalid options: {error}");
        return Ok(empty_report(
            &shared,
            &args,
            plan,
            ExitCode::InvalidConfig,
            Some(error),
        ));
    }
    shared.record(Builtin::VusMax, TagSetId::EMPTY, f64::from(pool.made()));
    // The progress reporter samples `vus` every second from here on.
    let starting: u32 = plan
        .scenarios
        .iter()
        .filter(|s| s.start_time.is_zero())
        .map(|s| s.executor.start_vus())
        .sum();
    shared.record(Builtin::Vus, TagSetId::EMPTY, f64::from(starting));
    let judge = Judge::new(
        resolved.thresholds.clone(),
        &shared.registry,
        &mut shared.aggregates(),
    );
    let judge = Arc::new(std::sync::Mutex::new(judge));

    let progress: Vec<Arc<Progress>> = plan.scenarios.iter().map(|_| Arc::default()).collect();
    let reporter = tokio::spawn(crate::progress::report(
        shared.clone(),
        progress.clone(),
        plan.clone(),
        args.progress,
    ));
    if let Some(at) = args.start_at
        && !wait_until(at, &control).await
    {
        let _ = teardown(&mut lifecycle).await;
        let error = "the test was stopped by a signal before its start time".to_owned();
        return Ok(empty_report(
            &shared,
            &args,
            plan,
            ExitCode::ExternalAbort,
            Some(error),
        ));
    }
    let start = Instant::now();
    let halt = control.interrupt.child_token();
    let stop = Stop { now: halt.clone() };
    let watcher = tokio::spawn(watch_thresholds(shared.clone(), judge.clone(), start, halt));
    executor::run(&plan, &pool, start, &progress, stop, Timer::Precise).await;
    let elapsed = start.elapsed();
    reporter.abort();
    watcher.abort();
    let aborted_by = watcher.await.ok().flatten();
    crate::progress::clear(args.progress);

    let mut exit = ExitCode::Ok;
    let mut error = None;
    if control.interrupt.is_cancelled() {
        exit = ExitCode::ExternalAbort;
        error = Some("the test was stopped by a signal".to_owned());
    }
    if let Some(reason) = aborted_by {
        exit = ExitCode::ThresholdsFailed;
        error = Some(reason);
    }
    if let Err((code, message)) = teardown(&mut lifecycle).await {
        if exit == ExitCode::Ok {
            exit = code;
        }
        error.get_or_insert(message);
    }
    let sum = |f: fn(&Progress) -> &std::sync::atomic::AtomicU64| -> u64 {
        progress.iter().map(|p| Progress::get(f(p))).sum()
    };
    shared.record(Builtin::VusMax, TagSetId::EMPTY, f64::from(pool.made()));
    for (scenario, p) in plan.scenarios.iter().zip(&progress) {
        let dropped = Progress::get(&p.dropped);
        if dropped > 0 {
            let tags = shared.scenario_tags(scenario);
            shared.record(Builtin::DroppedIterations, tags, dropped as f64);
        }
    }
    let ending = Ending {
        elapsed,
        complete: sum(|p| &p.complete),
        interrupted: sum(|p| &p.interrupted),
        vus_max: pool.made(),
    };
    let verdicts = lock(&judge).judge(
        &shared.registry,
        &shared.tag_sets,
        &shared.aggregates(),
        elapsed,
        shared.clock.now(),
    );
    let mut summary = Summary::collect(&shared, ending, &args.summary, &verdicts);
    summary.thresholds = verdicts;
    if let Some(crossed) = thresholds::crossed(&summary.thresholds)
        && exit == ExitCode::Ok
    {
        exit = ExitCode::ThresholdsFailed;
        error = Some(crossed);
    }
    let hook = summary_hook(&mut lifecycle, &summary, resolved.teardown_timeout).await;
    shared.log.report_dropped();
    let _ = ended.set(crate::output::result::RunEnd {
        elapsed,
        started_at: shared.clock.at(start.into_std()),
        complete: summary.complete,
        interrupted: summary.interrupted,
        vus_max: summary.vus_max,
        exit_code: exit.code(),
    });
    Ok(Report {
        summary,
        plan,
        exit,
        error,
        output_errors: finish_outputs(&shared),
        hook,
        setup_data: None,
    })
}

/// Waits for the wall clock to reach `at` (`--start-at`), so that the
/// instances of a split test start together. `false` if a signal came
/// first.
async fn wait_until(at: std::time::SystemTime, control: &Control) -> bool {
    let now = std::time::SystemTime::now();
    let Ok(wait) = at.duration_since(now) else {
        let late = now.duration_since(at).unwrap_or_default();
        tracing::warn!(
            "the start time passed {} ago, before the VUs were ready: starting now",
            crate::duration::format(late)
        );
        return true;
    };
    eprintln!(
        "VUs ready; starting at {} (in {})",
        crate::output::file::rfc3339(at),
        crate::duration::format(wait)
    );
    tokio::select! {
        () = control.interrupt.cancelled() => false,
        () = tokio::time::sleep(wait) => true,
    }
}

/// Hands the summary to the scenario's `handle-summary`, if it exports
/// one, within `timeout`.
async fn summary_hook(
    vu: &mut Vu,
    summary: &Summary,
    timeout: Duration,
) -> Option<Result<SummaryOutput, String>> {
    let json = crate::summary::to_json(summary).to_string();
    match tokio::time::timeout(timeout, vu.handle_summary(&json)).await {
        Ok(None) => None,
        Ok(Some(r)) => Some(r.map_err(|e| format!("handle-summary failed: {e}"))),
        Err(_) => Some(Err(format!(
            "handle-summary did not finish within {} (raise `teardownTimeout` if it needs \
             longer)",
            crate::duration::format(timeout)
        ))),
    }
}

/// Writes what the outputs still hold; they are done once this returns.
fn finish_outputs(shared: &Shared) -> Vec<String> {
    match shared.outputs.get() {
        Some(outputs) => outputs.finish(),
        None => Vec::new(),
    }
}

fn resolve(exported: &str, args: &RunArgs) -> Result<Resolved, Failure> {
    let from_scenario =
        options::from_scenario(exported).map_err(|e| Failure::config(e.to_string()))?;
    let layer = from_scenario
        .overlay(&args.config)
        .overlay(&args.env_options)
        .overlay(&args.flags);
    options::resolve(&layer).map_err(|e| Failure::config(format!("invalid options: {e}")))
}

/// Judges the thresholds that may abort the test every
/// [`thresholds::EVALUATION_INTERVAL`]; when one fails past its delay,
/// stops the test and returns why.
async fn watch_thresholds(
    shared: Arc<Shared>,
    judge: Arc<std::sync::Mutex<Judge>>,
    start: Instant,
    halt: CancellationToken,
) -> Option<String> {
    if !lock(&judge).watches() {
        return None;
    }
    let mut tick = tokio::time::interval_at(
        start + thresholds::EVALUATION_INTERVAL,
        thresholds::EVALUATION_INTERVAL,
    );
    loop {
        tick.tick().await;
        let elapsed = start.elapsed();
        let now = shared.clock.now();
        let verdicts = lock(&judge).judge(
            &shared.registry,
            &shared.tag_sets,
            &shared.aggregates(),
            elapsed,
            now,
        );
        if let Some(v) = thresholds::abort_reason(&verdicts, elapsed) {
            halt.cancel();
            return Some(format!(
                "the threshold `{}` on {} failed and has abortOnFail: the test was stopped",
                v.threshold.source, v.threshold.metric
            ));
        }
    }
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
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
    let (name, option, timeout_code, stop) = match phase {
        Phase::Setup => (
            "setup()",
            "setupTimeout",
            ExitCode::SetupTimeout,
            control.interrupt.clone(),
        ),
        Phase::Teardown => (
            "teardown()",
            "teardownTimeout",
            ExitCode::TeardownTimeout,
            control.abort.clone(),
        ),
    };
    tokio::select! {
        () = stop.cancelled() => {
            Err((ExitCode::ExternalAbort, format!("{name} was stopped by a signal")))
        }
        r = tokio::time::timeout(timeout, call) => match r {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err((ExitCode::ScenarioError, format!("{name} failed: {e}"))),
            Err(_) => Err((
                timeout_code,
                format!(
                    "{name} did not finish within {} (raise `{option}` if it needs longer)",
                    crate::duration::format(timeout)
                ),
            )),
        },
    }
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
    scenario: Option<Arc<executor::Scenario>>,
}

impl Runner for VuRunner {
    fn enter(&mut self, scenario: &Arc<executor::Scenario>) {
        self.scenario = Some(scenario.clone());
        self.vu.state().scenario = Some(scenario.clone());
    }

    async fn iteration(&mut self) -> Result<(), GuestError> {
        let exec = self
            .scenario
            .as_ref()
            .map_or("default", |s| s.exec.as_str());
        self.vu.iteration(exec).await
    }

    async fn recover(&mut self) -> bool {
        let id = self.vu.id();
        let iteration = self.vu.state().iteration;
        match new_vu(&self.pre, &self.shared, id, &self.setup_data).await {
            Ok(mut vu) => {
                vu.state().iteration = iteration;
                vu.state().scenario = self.scenario.clone();
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

    fn schedule_lag(&mut self, lag: Duration) {
        let state = self.vu.state();
        let tags = state.tag_set(Some(""), |_| {}, &[]);
        let at = state.shared.clock.now();
        let ms = lag.as_secs_f64() * 1000.0;
        state.samples.add(Builtin::ScheduleLag, tags, at, ms);
    }
}

/// Makes the run's VUs: instantiated, then initialised with the setup data.
struct VuFactory {
    pre: Arc<crate::bindings::ScenarioPre<VuState>>,
    shared: Arc<Shared>,
    setup_data: Arc<str>,
}

impl Factory for VuFactory {
    type Runner = VuRunner;

    async fn create(&self, id: u32) -> Result<VuRunner, String> {
        let vu = new_vu(&self.pre, &self.shared, id, &self.setup_data).await?;
        Ok(VuRunner {
            vu,
            pre: self.pre.clone(),
            shared: self.shared.clone(),
            setup_data: self.setup_data.clone(),
            scenario: None,
        })
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

fn empty_report(
    shared: &Shared,
    args: &RunArgs,
    plan: Plan,
    exit: ExitCode,
    error: Option<String>,
) -> Report {
    let summary = Summary::collect(shared, Ending::default(), &args.summary, &[]);
    Report {
        summary,
        plan,
        exit,
        error,
        output_errors: finish_outputs(shared),
        hook: None,
        setup_data: None,
    }
}

fn load_failure(e: LoadError) -> Failure {
    match e {
        LoadError::Rejected(_) => Failure {
            code: ExitCode::SignatureRejected,
            message: e.to_string(),
        },
        _ => Failure::scenario(e.to_string()),
    }
}

fn guest_failure(what: &'static str) -> impl Fn(GuestError) -> Failure {
    move |e| Failure::scenario(format!("the scenario failed in {what}: {e}"))
}
