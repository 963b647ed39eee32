//! The run's VUs: made before the start, lent to scenarios, returned when
//! a scenario is done with them, and made on demand when an arrival-rate
//! scenario needs more or a VU was lost to an interruption.
//!
//! Each VU is made on a worker thread and stays there (its `home`): every
//! iteration it runs is spawned on that thread.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use tokio::runtime::Handle;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::Runner;
use crate::workers::Workers;

/// Makes VUs.
pub trait Factory: Send + Sync + 'static {
    type Runner: Runner;
    /// Makes VU `id`, ready to run iterations (instantiated and
    /// initialised), on the calling thread.
    fn create(&self, id: u32) -> impl Future<Output = Result<Self::Runner, String>> + Send;
}

/// A VU and the thread it lives on.
pub struct Slot<R> {
    pub runner: R,
    pub home: Handle,
}

pub struct Pool<F: Factory> {
    factory: Arc<F>,
    workers: Arc<Workers>,
    idle: Mutex<Vec<Slot<F::Runner>>>,
    /// The last VU id handed out; also `vus_max`, the VUs ever made.
    made: AtomicU32,
}

impl<F: Factory> Pool<F> {
    pub fn new(factory: F, workers: Arc<Workers>) -> Arc<Self> {
        Arc::new(Pool {
            factory: Arc::new(factory),
            workers,
            idle: Mutex::new(Vec::new()),
            made: AtomicU32::new(0),
        })
    }

    /// How many VUs were made in all (k6's `vus_max`).
    pub fn made(&self) -> u32 {
        self.made.load(Ordering::Relaxed)
    }

    /// Makes `n` VUs in parallel across the workers and keeps them idle;
    /// the first failure (or `stop`) ends it.
    pub async fn fill(&self, n: u32, stop: &CancellationToken) -> Result<(), String> {
        let mut making = JoinSet::new();
        for _ in 0..n {
            let (factory, id) = (self.factory.clone(), self.next_id());
            let home = self.workers.handle().clone();
            making.spawn_on(
                async move {
                    let runner = factory
                        .create(id)
                        .await
                        .map_err(|e| format!("VU {id}: {e}"))?;
                    Ok::<_, String>(Slot {
                        runner,
                        home: Handle::current(),
                    })
                },
                &home,
            );
        }
        loop {
            let joined = tokio::select! {
                () = stop.cancelled() => {
                    return Err("stopped by a signal while starting VUs".into());
                }
                j = making.join_next() => j,
            };
            match joined {
                None => return Ok(()),
                Some(Ok(Ok(slot))) => self.lock().push(slot),
                Some(Ok(Err(e))) => return Err(e),
                Some(Err(e)) => return Err(format!("a VU task failed: {e}")),
            }
        }
    }

    /// Takes `n` VUs, making any the pool lacks. Fewer come back only if
    /// making one failed (the failure is logged by the factory's VU).
    pub async fn take(&self, n: u32) -> Vec<Slot<F::Runner>> {
        let mut taken = {
            let mut idle = self.lock();
            let keep = idle.len().saturating_sub(n as usize);
            idle.split_off(keep)
        };
        let missing = n as usize - taken.len().min(n as usize);
        if missing > 0 {
            let stop = CancellationToken::new();
            if self.fill(missing as u32, &stop).await.is_err() {
                tracing::warn!("could not make {missing} more VUs");
            }
            let mut idle = self.lock();
            let keep = idle.len().saturating_sub(missing);
            taken.extend(idle.split_off(keep));
        }
        taken
    }

    /// Makes one VU on the calling thread, for an arrival-rate iteration
    /// that found every VU busy.
    pub async fn make_here(&self) -> Result<Slot<F::Runner>, String> {
        let id = self.next_id();
        let runner = self.factory.create(id).await?;
        Ok(Slot {
            runner,
            home: Handle::current(),
        })
    }

    /// Returns VUs to the pool.
    pub fn put(&self, slots: impl IntoIterator<Item = Slot<F::Runner>>) {
        self.lock().extend(slots);
    }

    /// The runtime for a VU about to be made.
    pub fn next_home(&self) -> Handle {
        self.workers.handle().clone()
    }

    /// Every idle VU, for the tests to inspect.
    #[cfg(test)]
    pub fn drain(&self) -> Vec<Slot<F::Runner>> {
        std::mem::take(&mut *self.lock())
    }

    fn next_id(&self) -> u32 {
        self.made.fetch_add(1, Ordering::Relaxed) + 1
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Slot<F::Runner>>> {
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }
}
