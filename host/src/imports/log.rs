//! `log`: the guest's messages, on stderr, tagged with the VU and
//! rate-limited so that a chatty scenario cannot drown the terminal or
//! slow the run.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::bindings::log::{Host, Level};
use crate::vu::VuState;

/// Lines written per second at most; the rest are counted and reported.
const LINES_PER_SECOND: u64 = 50;

#[derive(Debug, Default)]
pub struct LogLimiter {
    /// The second the budget below belongs to.
    second: AtomicU64,
    used: AtomicU64,
    dropped: AtomicU64,
}

impl LogLimiter {
    /// Whether a line may be written now.
    pub fn admit(&self) -> bool {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        if self.second.swap(now, Ordering::Relaxed) != now {
            self.used.store(0, Ordering::Relaxed);
            self.report_dropped();
        }
        if self.used.fetch_add(1, Ordering::Relaxed) < LINES_PER_SECOND {
            true
        } else {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            false
        }
    }

    /// Says how many lines were dropped since the last report; the run
    /// calls it at its end, so that no drop goes unmentioned.
    pub fn report_dropped(&self) {
        let dropped = self.dropped.swap(0, Ordering::Relaxed);
        if dropped > 0 {
            eprintln!("WARN  {dropped} log lines were dropped (over {LINES_PER_SECOND}/s)");
        }
    }

    /// Writes a line for VU `vu` if the budget allows.
    pub fn write(&self, level: &str, vu: u32, message: &str) {
        if self.admit() {
            eprintln!("{level:<5} [vu {vu}] {message}");
        }
    }
}

impl Host for VuState {
    async fn write(&mut self, level: Level, message: String) {
        let level = match level {
            Level::Debug => {
                if !tracing::enabled!(tracing::Level::DEBUG) {
                    return;
                }
                "DEBUG"
            }
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
        };
        self.shared.log.write(level, self.id, &message);
    }
}
