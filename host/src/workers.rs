//! The threads VUs run on: one single-threaded tokio runtime per core.
//!
//! A VU's request is a chain of tasks: the VU's own, the task that sends
//! the request, and the connection task hyper keeps for each keep-alive
//! connection. On a work-stealing runtime these hop between threads, and
//! every hop is a cross-thread wake-up (a futex or an eventfd write) and a
//! cold cache. Pinning a VU to one thread keeps the whole chain there,
//! since `tokio::spawn` inside a task lands on that task's runtime: the
//! HTTP client alone needs 40% less CPU per request this way (see
//! `BENCHMARKS.md`). It is the model of wrk and of most fast load
//! generators: a loop per core, VUs spread across the loops.
//!
//! The run's control (the executor's clock, progress, signals) stays on
//! the main runtime; it only hands VUs over to the workers.

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::runtime::Handle;
use tokio::sync::oneshot;

/// A set of runtimes to spread VUs over.
#[derive(Debug)]
pub struct Workers {
    handles: Vec<Handle>,
    next: AtomicUsize,
    /// Dropped to let the worker threads end.
    _stop: Vec<oneshot::Sender<()>>,
}

impl Workers {
    /// Starts one worker thread per available core.
    pub fn start() -> std::io::Result<Self> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self::with_threads(cores)
    }

    /// Starts `threads` worker threads.
    pub fn with_threads(threads: usize) -> std::io::Result<Self> {
        let mut handles = Vec::with_capacity(threads);
        let mut stop = Vec::with_capacity(threads);
        for i in 0..threads.max(1) {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            handles.push(runtime.handle().clone());
            let (tx, rx) = oneshot::channel::<()>();
            stop.push(tx);
            std::thread::Builder::new()
                .name(format!("barrage-vu-{i}"))
                .spawn(move || {
                    // Tasks spawned on this runtime run while the thread
                    // waits here; when the run drops the sender, the
                    // runtime and whatever is left on it are dropped.
                    let _ = runtime.block_on(rx);
                })?;
        }
        tracing::debug!(threads = handles.len(), "VU worker threads started");
        Ok(Self {
            handles,
            next: AtomicUsize::new(0),
            _stop: stop,
        })
    }

    /// Runs everything on the caller's runtime: for tests under paused
    /// time, where one runtime must own every timer.
    pub fn current() -> Self {
        Self {
            handles: vec![Handle::current()],
            next: AtomicUsize::new(0),
            _stop: Vec::new(),
        }
    }

    /// The runtime for the next VU, in turn.
    pub fn handle(&self) -> &Handle {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.handles.len();
        &self.handles[i]
    }

    /// How many runtimes VUs are spread over.
    pub fn len(&self) -> usize {
        self.handles.len()
    }

    /// Never true: there is always at least one runtime.
    pub fn is_empty(&self) -> bool {
        self.handles.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn tasks_spawned_inside_a_worker_stay_on_its_thread() {
        let workers = Workers::with_threads(2).expect("workers");
        for _ in 0..4 {
            let outer = workers.handle().spawn(async {
                let here = std::thread::current().id();
                let inner = tokio::spawn(async { std::thread::current().id() });
                (here, inner.await.expect("inner task"))
            });
            let (outer_thread, inner_thread) = outer.await.expect("outer task");
            assert_eq!(outer_thread, inner_thread);
        }
    }

    #[tokio::test]
    async fn vus_are_spread_over_every_worker() {
        let workers = Workers::with_threads(2).expect("workers");
        let mut threads = std::collections::HashSet::new();
        for _ in 0..4 {
            let t = workers
                .handle()
                .spawn(async { std::thread::current().id() });
            threads.insert(t.await.expect("task"));
        }
        assert_eq!(threads.len(), 2);
    }
}
