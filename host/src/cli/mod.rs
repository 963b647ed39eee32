//! The command line: k6's flags and exit codes, Barrage's commands.

mod build;
mod inspect;
mod run;
mod sign;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::error::Failure;
use crate::metrics::TrendStat;

/// Load testing with scenarios written in any language and compiled to
/// WebAssembly components.
#[derive(Debug, Parser)]
#[command(name = "barrage", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a load test.
    ///
    /// Runs the scenario's `iteration` on many virtual users and prints
    /// k6's end-of-test summary. Exit codes are k6's: 99 for failed
    /// thresholds, 104 for invalid options, 105 when stopped by a signal,
    /// 107 for a scenario error.
    Run(RunCmd),
    /// Run a short load test on a built-in scenario and server.
    ///
    /// Starts an HTTP server on an ephemeral port of 127.0.0.1 and runs the
    /// bundled `hello` scenario against it: nothing else is needed.
    Demo(DemoCmd),
    /// Show what a scenario file is: its contract version, imports,
    /// exports and options.
    Inspect(InspectCmd),
    /// Serve the built-in target on its own, to aim scenarios at.
    Target(TargetCmd),
    /// Make a scenario project: Rust, JavaScript, Go or Python.
    ///
    /// The project is the language's `hello` example with a build file,
    /// the SDK and a README; `barrage run DIR` builds and runs it.
    New(build::NewCmd),
    /// Build a scenario project into a component.
    ///
    /// The language is told by the project's build file (`Cargo.toml`,
    /// `package.json`, `go.mod`, `pyproject.toml` or `scenario.py`); its
    /// own toolchain compiles it with the SDK this Barrage carries.
    Build(build::BuildCmd),
    /// Wrap a WASI preview 1 core module (Go's output) in a component.
    #[command(hide = true)]
    Componentize(build::ComponentizeCmd),
    /// Make keys for signing scenarios.
    #[command(subcommand)]
    Key(sign::KeyCmd),
    /// Sign a scenario: an Ed25519 signature embedded in the component.
    ///
    /// Signatures already there are kept, so an author and a reviewer can
    /// both sign. The format is the WebAssembly signatures proposal's.
    Sign(sign::SignCmd),
    /// Check that a trusted key signed a scenario, and that it was not
    /// changed since (exit 110 if not).
    Verify(sign::VerifyCmd),
    /// Run the scenario's `setup()` once and print the data it returns,
    /// for `run --setup-data` on every instance of a split test.
    Setup(LifecycleCmd),
    /// Run the scenario's `teardown()` once, with `--setup-data FILE`.
    Teardown(LifecycleCmd),
    /// Join the result files (`--out result=FILE`) of a test's instances
    /// into one summary, and judge its thresholds over all of them.
    ///
    /// Exits 99 when a threshold fails, as a run would. Partial files
    /// (an instance that was killed) are merged, with a warning.
    Merge(MergeCmd),
    /// Print the version of Barrage and of the scenario contract.
    Version,
}

#[derive(Debug, Args)]
pub struct LifecycleCmd {
    /// The scenario: a WebAssembly component (`.wasm`), or a project
    /// directory.
    pub scenario: PathBuf,
    #[command(flatten)]
    pub load: LoadArgs,
}

#[derive(Debug, Args)]
pub struct MergeCmd {
    /// The result files, one per instance.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub summary: SummaryArgs,
    /// Do not judge thresholds.
    #[arg(long)]
    pub no_thresholds: bool,
}

/// Options shared by `run` and `demo`.
#[derive(Debug, Args)]
pub struct LoadArgs {
    #[command(flatten)]
    pub options: OptionArgs,
    /// A variable the scenario can read with `env`; repeatable.
    #[arg(short = 'e', long = "env", value_name = "KEY=VALUE", value_parser = parse_env)]
    pub env: Vec<(String, String)>,
    #[command(flatten)]
    pub summary: SummaryArgs,
    /// Send every sample to an output as well; repeatable.
    ///
    /// `json=FILE` (k6's JSON lines; `.gz` compresses), `csv=FILE`,
    /// `prometheus-rw=URL` (Prometheus remote write, e.g.
    /// `http://127.0.0.1:9090/api/v1/write`), or `result=FILE` (this
    /// instance's aggregates, for `barrage merge`).
    #[arg(short = 'o', long = "out", value_name = "OUTPUT")]
    pub out: Vec<String>,
    /// Hide the progress line.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Use this file's contents (less a final newline) as the setup data
    /// instead of running `setup()`: the output of `barrage setup`, shared
    /// by every instance of a split test.
    #[arg(long, value_name = "FILE")]
    pub setup_data: Option<PathBuf>,
    /// Start the VUs at this time once they are ready, e.g.
    /// `2026-12-04T12:00:00Z` (RFC 3339) or Unix seconds: the instances
    /// of a split test begin together.
    #[arg(long, value_name = "TIME", value_parser = parse_start_at)]
    pub start_at: Option<std::time::SystemTime>,
}

impl LoadArgs {
    /// The `--setup-data` file's contents, if one was given.
    pub fn setup_data(&self) -> Result<Option<String>, Failure> {
        let Some(path) = &self.setup_data else {
            return Ok(None);
        };
        let text = std::fs::read_to_string(path).map_err(|e| {
            Failure::config(format!(
                "cannot read the setup data `{}`: {e}",
                path.display()
            ))
        })?;
        // `barrage setup` ends its output with a newline; the data does not.
        let data = text.strip_suffix('\n').unwrap_or(&text);
        Ok(Some(data.strip_suffix('\r').unwrap_or(data).to_owned()))
    }
}

/// `--execution-segment-sequence`, parsed (a type of its own: clap reads
/// a `Vec` as a repeated flag).
#[derive(Debug, Clone)]
pub struct Sequence(pub Vec<crate::executor::Ratio>);

fn parse_sequence(text: &str) -> Result<Sequence, String> {
    crate::executor::segment::parse_sequence(text).map(Sequence)
}

fn parse_start_at(text: &str) -> Result<std::time::SystemTime, String> {
    use time::format_description::well_known::Rfc3339;
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(std::time::UNIX_EPOCH + Duration::from_secs(secs));
    }
    time::OffsetDateTime::parse(text, &Rfc3339)
        .map(std::time::SystemTime::from)
        .map_err(|_| {
            format!(
                "`{text}` is not a time: write RFC 3339 (`2026-12-04T12:00:00Z`) or Unix seconds"
            )
        })
}

/// How the end-of-test summary is shown and exported: `run`, `demo` and
/// `merge`.
#[derive(Debug, Args)]
pub struct SummaryArgs {
    /// Write the end-of-test summary as JSON (k6's export layout).
    #[arg(long, value_name = "FILE")]
    pub summary_export: Option<PathBuf>,
    /// The statistics shown for each trend, in the summary and its export.
    ///
    /// A comma-separated list of `avg`, `min`, `med`, `max`, `count` and
    /// percentiles such as `p(99)` or `p(99.9)`.
    #[arg(
        long,
        value_name = "STATS",
        default_value = "avg,min,med,max,p(90),p(95)",
        value_parser = parse_trend_stats
    )]
    pub summary_trend_stats: TrendStatList,
    /// `compact` (k6's), or `full`: a block per scenario and per group too.
    #[arg(long, value_name = "MODE", default_value = "compact")]
    pub summary_mode: crate::summary::SummaryMode,
    /// Tags whose every value gets its own line under each metric, e.g.
    /// `name,status`: sub-metrics without a threshold to name them.
    #[arg(long, value_name = "TAGS", value_delimiter = ',')]
    pub summary_tags: Vec<String>,
}

impl SummaryArgs {
    pub fn options(&self) -> crate::summary::SummaryOptions {
        crate::summary::SummaryOptions {
            trend_stats: self.summary_trend_stats.0.clone(),
            mode: self.summary_mode,
            tags: self.summary_tags.clone(),
        }
    }

    /// Writes `summary` to the `--summary-export` file, if one was asked.
    pub fn export(&self, summary: &crate::summary::Summary) -> Result<(), Failure> {
        let Some(path) = &self.summary_export else {
            return Ok(());
        };
        let json = crate::summary::to_json(summary);
        let text = serde_json::to_string_pretty(&json).unwrap_or_default();
        std::fs::write(path, text + "\n").map_err(|e| {
            Failure::config(format!(
                "cannot write the summary to `{}`: {e}",
                path.display()
            ))
        })
    }
}

/// The options that shape the plan, as flags; they override the
/// scenario's own options, `--config` and `BARRAGE_*` variables.
#[derive(Debug, Args, Default)]
pub struct OptionArgs {
    /// Number of virtual users running at once (with `--stages`, the
    /// number to start from; with `--rate`, the VUs to pre-allocate).
    #[arg(short = 'u', long, value_name = "N")]
    pub vus: Option<u64>,
    /// How long to run (`30s`, `1m30s`, ...).
    #[arg(short = 'd', long, value_name = "DURATION", value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Total iterations shared by all VUs.
    #[arg(short = 'i', long, value_name = "N")]
    pub iterations: Option<u64>,
    /// A ramp stage, `DURATION:TARGET` (e.g. `30s:100`); repeatable.
    ///
    /// VUs ramp to each target in turn (`ramping-vus`); with `--rate`,
    /// the arrival rate does (`ramping-arrival-rate`).
    #[arg(
        short = 's',
        long = "stage",
        value_name = "DURATION:TARGET",
        value_parser = crate::options::parse_stage
    )]
    pub stages: Vec<crate::executor::Stage>,
    /// Start this many iterations per second whatever the target does
    /// (an open model: `constant-arrival-rate` with `--duration`).
    #[arg(long, value_name = "N")]
    pub rate: Option<u64>,
    /// VUs made before an arrival-rate test starts.
    #[arg(long, value_name = "N")]
    pub pre_allocated_vus: Option<u64>,
    /// The most VUs an arrival-rate test may use; more iterations are
    /// dropped and counted in `dropped_iterations`.
    #[arg(long, value_name = "N")]
    pub max_vus: Option<u64>,
    /// Read options from a file in k6's layout (JSON, or TOML if the name
    /// ends in `.toml`).
    #[arg(short = 'c', long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Do not run `setup()`; VUs get empty setup data.
    #[arg(long)]
    pub no_setup: bool,
    /// Do not run `teardown()`.
    #[arg(long)]
    pub no_teardown: bool,
    /// Do not judge thresholds: the run passes or fails on its own.
    #[arg(long)]
    pub no_thresholds: bool,
    /// Let requests go only to hosts matching this pattern; repeatable.
    ///
    /// `api.example.test`, `*.example.test` (any name below it),
    /// `127.0.0.1:8080` (that port only). Other requests fail with error
    /// code 1111. Without the flag, every host is allowed.
    #[arg(long = "allow-host", value_name = "PATTERN", value_parser = parse_host_pattern)]
    pub allow_hosts: Vec<String>,
    /// The longest a guest call (an iteration, `setup`, ...) may run its
    /// own code (default 60s; 0 for no limit); past it the call fails and
    /// the VU starts afresh. Time waiting on requests or sleeps does not
    /// count.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub max_iteration_cpu: Option<Duration>,
    /// The most memory each VU's scenario may use (`64MiB`, `1GiB`;
    /// default 256MiB); past it the iteration fails and the VU starts
    /// afresh.
    #[arg(long, value_name = "SIZE", value_parser = crate::size::parse)]
    pub max_vu_memory: Option<u64>,
    /// A tag on every sample of the test, `NAME=VALUE`; repeatable.
    #[arg(long = "tag", value_name = "NAME=VALUE", value_parser = parse_env)]
    pub tags: Vec<(String, String)>,
    /// The system tags to record, e.g. `status,method,url,name`.
    ///
    /// k6's names: proto, status, method, url, name, group, check, error,
    /// error_code, scenario, expected_response, and (off by default) vu
    /// and iter, which the outputs write beside each sample.
    #[arg(long, value_name = "LIST", value_parser = parse_system_tags)]
    pub system_tags: Option<crate::metrics::SystemTags>,
    /// Run only this part of the test, e.g. `1/3:2/3`: one instance's
    /// share when a test is split over several machines.
    ///
    /// Each instance computes its exact share of every VU count,
    /// iteration count and arrival schedule from its segment and the
    /// sequence alone; the shares of all instances add up to the whole.
    #[arg(long, value_name = "START:END", value_parser = crate::executor::segment::parse_bounds)]
    pub execution_segment: Option<(crate::executor::Ratio, crate::executor::Ratio)>,
    /// Every instance's segment boundaries, e.g. `0,1/3,2/3,1`: the same
    /// on all instances of a test.
    #[arg(long, value_name = "POINTS", value_parser = parse_sequence)]
    pub execution_segment_sequence: Option<Sequence>,
    /// Time before `setup()` is abandoned (k6's `setupTimeout`).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, hide = true)]
    pub setup_timeout: Option<Duration>,
    /// Time before `teardown()` is abandoned (k6's `teardownTimeout`).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, hide = true)]
    pub teardown_timeout: Option<Duration>,
}

impl OptionArgs {
    /// The flags as an options layer.
    pub fn layer(&self) -> crate::options::Layer {
        crate::options::Layer {
            scenarios: None,
            vus: self.vus,
            duration: self.duration,
            iterations: self.iterations,
            stages: (!self.stages.is_empty()).then(|| self.stages.clone()),
            rate: self.rate,
            pre_allocated_vus: self.pre_allocated_vus,
            max_vus: self.max_vus,
            setup_timeout: self.setup_timeout,
            teardown_timeout: self.teardown_timeout,
            no_setup: self.no_setup.then_some(true),
            no_teardown: self.no_teardown.then_some(true),
            thresholds: self.no_thresholds.then(Vec::new),
            tags: (!self.tags.is_empty()).then(|| self.tags.iter().cloned().collect()),
            system_tags: self.system_tags,
            allow_hosts: (!self.allow_hosts.is_empty()).then(|| {
                let patterns = self.allow_hosts.iter().map(String::as_str);
                // Each pattern was checked when the flags were parsed.
                crate::http::Allowlist::parse(patterns).unwrap_or_default()
            }),
            max_iteration_cpu: self.max_iteration_cpu,
            max_vu_memory: self.max_vu_memory,
            execution_segment: self.execution_segment,
            execution_segment_sequence: self.execution_segment_sequence.clone().map(|s| s.0),
        }
    }

    /// The `--config` file's layer, if one was given.
    pub fn config_layer(&self) -> Result<crate::options::Layer, Failure> {
        match &self.config {
            None => Ok(crate::options::Layer::default()),
            Some(path) => {
                crate::options::from_file(path).map_err(|e| Failure::config(e.to_string()))
            }
        }
    }
}

#[derive(Debug, Args)]
pub struct RunCmd {
    /// The scenario: a WebAssembly component (`.wasm`), or a project
    /// directory, built first when its component is older than its
    /// sources.
    pub scenario: PathBuf,
    #[command(flatten)]
    pub load: LoadArgs,
    /// Run the scenario only if a key given with `--trust` signed it and
    /// it was not changed since; otherwise exit 110 before compiling it.
    #[arg(long, requires = "trust")]
    pub require_signed: bool,
    #[command(flatten)]
    pub trust: sign::TrustArgs,
}

#[derive(Debug, Args)]
pub struct DemoCmd {
    #[command(flatten)]
    pub load: LoadArgs,
}

#[derive(Debug, Args)]
pub struct InspectCmd {
    /// The scenario: a WebAssembly component (`.wasm`).
    pub scenario: PathBuf,
    /// Options to resolve the plan with, as `run` takes them.
    #[command(flatten)]
    pub options: OptionArgs,
}

#[derive(Debug, Args)]
pub struct TargetCmd {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    crate::duration::parse(s).map_err(|e| e.to_string())
}

/// The statistics of `--summary-trend-stats`.
#[derive(Debug, Clone)]
pub struct TrendStatList(pub Vec<TrendStat>);

fn parse_trend_stats(s: &str) -> Result<TrendStatList, String> {
    TrendStat::parse_list(s).map(TrendStatList)
}

fn parse_host_pattern(s: &str) -> Result<String, String> {
    crate::http::Allowlist::parse([s]).map(|_| s.to_owned())
}

fn parse_system_tags(s: &str) -> Result<crate::metrics::SystemTags, String> {
    crate::metrics::SystemTags::parse(s.split(','))
}

fn parse_env(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!("expected KEY=VALUE, got `{s}`")),
    }
}

impl LoadArgs {
    pub fn env_map(&self) -> HashMap<String, String> {
        self.env.iter().cloned().collect()
    }
}

/// Runs a parsed command line and returns the process's exit code.
pub async fn execute(cli: Cli) -> Result<i32, Failure> {
    match cli.command {
        Command::Run(cmd) => {
            let trusted = if cmd.require_signed {
                Some(cmd.trust.policy()?)
            } else {
                None
            };
            let scenario = build::ensure_built(&cmd.scenario)?;
            let source = crate::run::Source::File(scenario);
            run::run(source, cmd.load, trusted, crate::run::Mode::Test).await
        }
        Command::Setup(cmd) => {
            let scenario = build::ensure_built(&cmd.scenario)?;
            let source = crate::run::Source::File(scenario);
            run::run(source, cmd.load, None, crate::run::Mode::SetupOnly).await
        }
        Command::Teardown(cmd) => {
            let scenario = build::ensure_built(&cmd.scenario)?;
            let source = crate::run::Source::File(scenario);
            run::run(source, cmd.load, None, crate::run::Mode::TeardownOnly).await
        }
        Command::New(cmd) => build::new(&cmd),
        Command::Build(cmd) => build::build(&cmd),
        Command::Componentize(cmd) => build::componentize(&cmd),
        Command::Key(cmd) => sign::key(cmd),
        Command::Sign(cmd) => sign::sign(&cmd),
        Command::Verify(cmd) => sign::verify(&cmd),
        Command::Demo(cmd) => run::demo(cmd.load).await,
        Command::Merge(cmd) => run::merge(&cmd),
        Command::Inspect(cmd) => inspect::inspect(&cmd.scenario, &cmd.options).await,
        Command::Target(cmd) => serve_target(cmd.listen).await,
        Command::Version => {
            println!(
                "barrage {} (contract {}@{})",
                env!("CARGO_PKG_VERSION"),
                crate::bindings::WIT_PACKAGE,
                crate::bindings::WIT_VERSION
            );
            Ok(0)
        }
    }
}

async fn serve_target(listen: SocketAddr) -> Result<i32, Failure> {
    let target = crate::target::Target::start(listen)
        .await
        .map_err(|e| Failure::config(format!("cannot listen on {listen}: {e}")))?;
    eprintln!(
        "serving the built-in target on {}; Ctrl-C stops it",
        target.url()
    );
    let _ = tokio::signal::ctrl_c().await;
    eprintln!("served {} requests", target.counts.requests());
    Ok(0)
}
