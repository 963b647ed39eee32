//! The live view of a run: the `vus` gauge sampled every second, and on a
//! terminal a progress block, one line for the run and one per scenario.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::time::Instant;

use crate::duration::{format, format_ms};
use crate::executor::{Executor, Plan, Progress, Scenario};
use crate::metrics::{Builtin, TagSetId};
use crate::vu::Shared;

/// Samples `vus` every second and, when `show` is set and stderr is a
/// terminal, redraws the progress block. Runs until aborted.
pub async fn report(shared: Arc<Shared>, progress: Vec<Arc<Progress>>, plan: Plan, show: bool) {
    let draw = show && std::io::stderr().is_terminal();
    let start = Instant::now();
    // The run records `vus` as it starts; sampling begins a second in.
    let mut tick = tokio::time::interval_at(start + Duration::from_secs(1), Duration::from_secs(1));
    let mut drawn = 0;
    loop {
        tick.tick().await;
        let active: u32 = progress
            .iter()
            .map(|p| p.active_vus.load(Ordering::Relaxed))
            .sum();
        shared.record(Builtin::Vus, TagSetId::EMPTY, f64::from(active));
        if draw {
            let text = block(&progress, &plan, start.elapsed());
            let mut err = std::io::stderr().lock();
            // Back to the first line of the previous block.
            if drawn > 1 {
                let _ = write!(err, "\x1b[{}A", drawn - 1);
            }
            let lines: Vec<&str> = text.lines().collect();
            for (i, line) in lines.iter().enumerate() {
                let end = if i + 1 < lines.len() { "\n" } else { "" };
                let _ = write!(err, "\r\x1b[2K{line}{end}");
            }
            let _ = err.flush();
            drawn = lines.len();
        }
    }
}

/// Clears the progress block's last line before the summary is printed.
pub fn clear(show: bool) {
    if show && std::io::stderr().is_terminal() {
        eprint!("\r\x1b[2K");
    }
}

/// ```text
/// running (5.2s), 10/10 VUs, 52 complete and 0 interrupted iterations
/// default [=========>          ] 10 VUs  05.2s/10s
/// ```
pub fn block(progress: &[Arc<Progress>], plan: &Plan, elapsed: Duration) -> String {
    let get = |f: fn(&Progress) -> u64| -> u64 { progress.iter().map(|p| f(p)).sum() };
    let active = get(|p| u64::from(p.active_vus.load(Ordering::Relaxed)));
    let mut out = format!(
        "running ({}), {active}/{} VUs, {} complete and {} interrupted iterations",
        format_ms(elapsed.as_secs_f64() * 1000.0),
        plan.max_vus(),
        get(|p| Progress::get(&p.complete)),
        get(|p| Progress::get(&p.interrupted)),
    );
    let width = plan
        .scenarios
        .iter()
        .map(|s| s.name.len())
        .max()
        .unwrap_or(0);
    for (scenario, p) in plan.scenarios.iter().zip(progress) {
        out.push('\n');
        out.push_str(&scenario_line(scenario, p, elapsed, width));
    }
    out
}

fn scenario_line(s: &Scenario, p: &Progress, elapsed: Duration, width: usize) -> String {
    let total = s.executor.duration();
    let own = elapsed.saturating_sub(s.start_time);
    let share = if total.is_zero() {
        1.0
    } else {
        (own.as_secs_f64() / total.as_secs_f64()).min(1.0)
    };
    const WIDTH: usize = 30;
    let filled = (share * WIDTH as f64) as usize;
    let bar = format!("{}{}", "=".repeat(filled), " ".repeat(WIDTH - filled));
    let state = if elapsed < s.start_time {
        format!("starts in {}", format(s.start_time - elapsed))
    } else {
        let vus = p.active_vus.load(Ordering::Relaxed);
        let what = match s.executor {
            Executor::ConstantArrivalRate { max_vus, .. }
            | Executor::RampingArrivalRate { max_vus, .. } => {
                let dropped = Progress::get(&p.dropped);
                format!("{vus}/{max_vus} VUs, {dropped} dropped")
            }
            _ => format!("{vus} VUs"),
        };
        format!("{what}  {}/{}", format(own.min(total)), format(total))
    };
    format!("{:width$} [{bar}] {state}", s.name)
}
