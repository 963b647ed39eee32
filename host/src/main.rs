//! The `barrage` binary: parses the command line, runs it, and turns any
//! failure into one message and k6's exit code.

use std::io::IsTerminal;

use clap::Parser;
use clap::error::ErrorKind;
use tracing_subscriber::EnvFilter;

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none())
        .without_time()
        .init();
    let cli = match barrage::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // Help and version are not errors; a bad flag is invalid
            // configuration, as in k6.
            return match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                    std::process::ExitCode::SUCCESS
                }
                _ => exit_code(barrage::error::ExitCode::InvalidConfig.code()),
            };
        }
    };
    // A run's control needs one thread; its VUs get threads of their own
    // (`barrage::workers`). The standalone target serves on every core.
    let mut builder = match cli.command {
        barrage::cli::Command::Target(_) => tokio::runtime::Builder::new_multi_thread(),
        _ => tokio::runtime::Builder::new_current_thread(),
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(barrage::cli::execute(cli)) {
        Ok(code) => exit_code(code),
        Err(failure) => {
            eprintln!("error: {}", failure.message);
            exit_code(failure.code.code())
        }
    }
}

fn exit_code(code: i32) -> std::process::ExitCode {
    std::process::ExitCode::from(u8::try_from(code).unwrap_or(1))
}
