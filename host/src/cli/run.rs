//! `barrage run` and `barrage demo`.

use std::io::IsTerminal;
use std::time::Duration;

use super::LoadArgs;
use crate::error::{ExitCode, Failure};
use crate::http::HttpConfig;
use crate::options;
use crate::run::{Control, Mode, RunArgs, Source};

/// The bundled scenario `barrage demo` runs: `examples/rust/hello`.
const DEMO_WASM: &[u8] = include_bytes!("../../assets/hello.wasm");

pub async fn demo(mut load: LoadArgs) -> Result<i32, Failure> {
    let target = crate::target::Target::start(([127, 0, 0, 1], 0).into())
        .await
        .map_err(|e| Failure::config(format!("cannot start the demo target: {e}")))?;
    if !load.env.iter().any(|(k, _)| k == "TARGET") {
        load.env.push(("TARGET".into(), target.url()));
    }
    let o = &mut load.options;
    let shaped = o.duration.is_some()
        || o.iterations.is_some()
        || !o.stages.is_empty()
        || o.rate.is_some()
        || o.config.is_some();
    if o.rate.is_none() && o.config.is_none() {
        o.vus.get_or_insert(10);
    }
    if !shaped {
        o.duration = Some(Duration::from_secs(10));
    }
    eprintln!(
        "demo: the bundled `hello` scenario against {} (built in)",
        target.url()
    );
    let source = Source::Embedded {
        name: "hello.wasm (built in)".into(),
        bytes: DEMO_WASM,
    };
    let code = run(source, load, None, Mode::Test).await?;
    eprintln!("the target counted {} requests", target.counts.requests());
    Ok(code)
}

pub async fn run(
    source: Source,
    load: LoadArgs,
    trusted: Option<crate::signing::Policy>,
    mode: Mode,
) -> Result<i32, Failure> {
    let env_options =
        options::from_env(|k| std::env::var(k).ok()).map_err(|e| Failure::config(e.to_string()))?;
    let env = |k: &str| std::env::var(k).ok();
    let outputs = load
        .out
        .iter()
        .map(|o| crate::output::Spec::parse(o, &env))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Failure::config(format!("invalid --out: {e}")))?;
    let args = RunArgs {
        outputs,
        trusted,
        source,
        env: load.env_map(),
        config: load.options.config_layer()?,
        flags: load.options.layer(),
        env_options,
        http: HttpConfig::new(),
        progress: !load.quiet,
        summary: load.summary.options(),
        mode: mode.clone(),
        setup_data: load.setup_data()?,
        start_at: load.start_at,
    };
    if mode == Mode::TeardownOnly && args.setup_data.is_none() {
        return Err(Failure::config(
            "`barrage teardown` needs the setup data: `--setup-data FILE`",
        ));
    }
    let control = Control::default();
    let signals = tokio::spawn(watch_signals(control.clone()));
    let report = crate::run::run(args, control).await;
    signals.abort();
    let report = report?;
    if mode != Mode::Test {
        // `setup` prints its data for the instances to share; neither it
        // nor `teardown` has a summary to show.
        if let Some(data) = &report.setup_data {
            println!("{data}");
        }
        if let Some(error) = &report.error {
            eprintln!("error: {error}");
        }
        return Ok(report.exit.code());
    }

    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    // The scenario's `handle-summary` may replace the built-in summary;
    // if it fails, the built-in one is printed: results are never lost.
    let (builtin, files) = match &report.hook {
        None => (true, &[][..]),
        Some(Ok(output)) => (output.builtin, &output.files[..]),
        Some(Err(e)) => {
            eprintln!("error: {e}; the built-in summary follows");
            (true, &[][..])
        }
    };
    if builtin {
        print!("{}", crate::summary::render(&report.summary, color));
    }
    for problem in crate::summary::hook::deliver(files) {
        eprintln!("error: {problem}");
    }
    load.summary.export(&report.summary)?;
    for problem in &report.output_errors {
        eprintln!("error: {problem}");
    }
    if let Some(error) = &report.error {
        eprintln!("error: {error}");
    }
    Ok(report.exit.code())
}

/// `barrage merge`: prints the merged summary, exports it, and exits as
/// the whole test's run would have on its thresholds.
pub fn merge(cmd: &super::MergeCmd) -> Result<i32, Failure> {
    let merged =
        crate::result::merge::merge(&cmd.files, &cmd.summary.options(), !cmd.no_thresholds)
            .map_err(Failure::config)?;
    for warning in &merged.warnings {
        eprintln!("warning: {warning}");
    }
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    print!("{}", crate::summary::render(&merged.summary, color));
    cmd.summary.export(&merged.summary)?;
    match crate::thresholds::crossed(&merged.summary.thresholds) {
        None => Ok(ExitCode::Ok.code()),
        Some(crossed) => {
            eprintln!("error: {crossed}");
            Ok(ExitCode::ThresholdsFailed.code())
        }
    }
}

/// First Ctrl-C (or SIGTERM): interrupt the iterations, then tear down
/// and summarise. Second: stop waiting for teardown. Third: exit now.
async fn watch_signals(control: Control) {
    let mut presses = 0;
    loop {
        if !next_signal().await {
            return;
        }
        presses += 1;
        match presses {
            1 => {
                eprintln!("\nstopping: interrupting iterations (Ctrl-C again to skip teardown)");
                control.interrupt.cancel();
            }
            2 => {
                eprintln!("\nskipping teardown");
                control.abort.cancel();
            }
            _ => std::process::exit(ExitCode::ExternalAbort.code()),
        }
    }
}

/// Waits for SIGINT or SIGTERM; `false` if signals cannot be watched.
async fn next_signal() -> bool {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return false;
    };
    tokio::select! {
        _ = int.recv() => true,
        _ = term.recv() => true,
    }
}

#[cfg(test)]
mod tests {
    use super::DEMO_WASM;

    /// The bundled demo is a prebuilt copy of `examples/rust/hello`; it
    /// must keep loading when the contract changes (rebuild it with
    /// `cargo build --release --target wasm32-wasip2 -p hello` and copy
    /// it to `host/assets/hello.wasm`).
    #[test]
    fn the_bundled_demo_matches_the_contract() {
        let engine = crate::engine::engine().expect("engine");
        let linker = crate::imports::linker(&engine).expect("linker");
        let name = std::path::Path::new("hello.wasm");
        let loaded = crate::engine::load_bytes(&engine, &linker, name, DEMO_WASM, None);
        assert!(loaded.is_ok(), "{:?}", loaded.err());
    }
}

#[cfg(test)]
mod cost {
    use std::sync::Arc;

    use super::DEMO_WASM;
    use crate::http::HttpConfig;
    use crate::vu::{Shared, Vu};

    /// What a `hello` VU costs: instantiated, initialised, then after one
    /// request. Run with
    /// `cargo test -p barrage --release vu_cost -- --ignored --nocapture`,
    /// with `BARRAGE_BENCH_URL=http://127.0.0.1:18080/` while nginx from
    /// `bench/` runs, or without it for a refused request.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "a measurement, not a check"]
    async fn vu_cost() {
        let engine = crate::engine::engine().expect("engine");
        let linker = crate::imports::linker(&engine).expect("linker");
        let name = std::path::Path::new("hello.wasm");
        let scenario = crate::engine::load_bytes(&engine, &linker, name, DEMO_WASM, None);
        let pre = scenario.expect("the demo loads").pre;
        let _ticker = crate::engine::EpochTicker::start(&engine).expect("ticker");
        // One request per VU to `BARRAGE_BENCH_URL` (nginx from `bench/`, in
        // its own process, so that the server's side of each connection is
        // not counted), or to a closed port where the request fails at once.
        let url = std::env::var("BARRAGE_BENCH_URL");
        let target = url.as_deref().unwrap_or("http://127.0.0.1:9/");
        let env = [("TARGET", target), ("SLEEP", "0")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let shared = Arc::new(Shared::new(env, HttpConfig::new()));
        const N: u64 = 2000;
        if std::env::var_os("BARRAGE_BENCH_STATES").is_some() {
            let before = crate::measure::rss_kib();
            let states: Vec<_> = (0..N as u32)
                .map(|id| crate::vu::VuState::new(shared.clone(), id))
                .collect();
            let mid = crate::measure::rss_kib();
            let stores: Vec<_> = states
                .into_iter()
                .map(|s| wasmtime::Store::new(pre.engine(), s))
                .collect();
            println!(
                "{} KiB per VuState, {} KiB per Store",
                (mid - before) / N,
                (crate::measure::rss_kib() - mid) / N
            );
            drop(stores);
        }
        let before = crate::measure::rss_kib();
        let mut vus = Vec::new();
        for id in 1..=N as u32 {
            vus.push(
                Vu::new(&pre, shared.clone(), id)
                    .await
                    .expect("instantiates"),
            );
        }
        let instantiated = crate::measure::rss_kib();
        for vu in &mut vus {
            vu.init("").await.expect("init");
        }
        let initialised = crate::measure::rss_kib();
        for vu in &mut vus {
            let _ = vu.state().client();
        }
        let with_client = crate::measure::rss_kib();
        for vu in &mut vus {
            let _ = vu.iteration("default").await;
        }
        let requested = crate::measure::rss_kib();
        println!(
            "fiber stacks: {} KiB resident per VU",
            crate::engine::stack::measure::resident_kib() / N
        );
        println!(
            "{} KiB per VU instantiated, {} KiB more after init, {} KiB more for its HTTP \
             client, {} KiB more after one request ({})",
            (instantiated - before) / N,
            (initialised - instantiated) / N,
            (with_client - initialised) / N,
            (requested - with_client) / N,
            if url.is_ok() { "kept alive" } else { "refused" },
        );
    }
}
