//! The live view of a run: the `vus` gauge sampled every second, and a
//! progress line on a terminal.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::time::Instant;

use crate::duration::format_ms;
use crate::executor::{Plan, Progress};
use crate::metrics::Builtin;
use crate::vu::Shared;

/// Samples `vus` every second and, when `show` is set and stderr is a
/// terminal, redraws the progress line. Runs until aborted.
pub async fn report(shared: Arc<Shared>, progress: Arc<Progress>, plan: Plan, show: bool) {
    let draw = show && std::io::stderr().is_terminal();
    let start = Instant::now();
    // The run records `vus` as it starts; sampling begins a second in.
    let mut tick = tokio::time::interval_at(start + Duration::from_secs(1), Duration::from_secs(1));
    loop {
        tick.tick().await;
        let active = progress.active_vus.load(Ordering::Relaxed);
        shared
            .aggregates()
            .add(&shared.registry, Builtin::Vus.id(), f64::from(active));
        if draw {
            let line = line(&progress, &plan, start.elapsed());
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K{line}");
            let _ = err.flush();
        }
    }
}

/// Clears the progress line before the summary is printed.
pub fn clear(show: bool) {
    if show && std::io::stderr().is_terminal() {
        eprint!("\r\x1b[2K");
    }
}

/// `running (5.2s), 10/10 VUs, 52 complete and 0 interrupted iterations  [====>    ] 5s/10s`
pub fn line(progress: &Progress, plan: &Plan, elapsed: Duration) -> String {
    let total = plan.executor.max_duration();
    let share = if total.is_zero() {
        1.0
    } else {
        (elapsed.as_secs_f64() / total.as_secs_f64()).min(1.0)
    };
    const WIDTH: usize = 30;
    let filled = (share * WIDTH as f64) as usize;
    let bar = format!("{}{}", "=".repeat(filled), " ".repeat(WIDTH - filled));
    format!(
        "running ({}), {}/{} VUs, {} complete and {} interrupted iterations  {} [{bar}] {}",
        format_ms(elapsed.as_secs_f64() * 1000.0),
        progress.active_vus.load(Ordering::Relaxed),
        plan.executor.vus(),
        progress.complete.load(Ordering::Relaxed),
        progress.interrupted.load(Ordering::Relaxed),
        plan.scenario,
        crate::duration::format(total),
    )
}
