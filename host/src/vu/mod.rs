//! A virtual user: one Wasmtime store and one instance of the scenario,
//! owned by one tokio task.
//!
//! Instances come from a pre-linked [`ScenarioPre`], so a new VU costs an
//! allocation of its memory and the copy of its data segments. A guest
//! that traps leaves its instance unusable; the VU reports it and the
//! caller makes a fresh one.

mod state;
mod stdio;

use std::sync::Arc;
use std::time::Instant;

use wasmtime::Store;

use crate::bindings::types::SummaryOutput;
use crate::bindings::{Scenario, ScenarioPre};
use crate::metrics::Builtin;
pub use state::{MEMORY_LIMIT, Shared, VuState, base_tags};

/// Why a guest call did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuestError {
    /// The guest returned an error.
    #[error("{0}")]
    Failed(String),
    /// The guest trapped (a panic, an out-of-bounds access, exhausted
    /// memory, ...): its instance can no longer be used.
    #[error("{0}")]
    Trapped(String),
}

impl GuestError {
    fn trap(e: wasmtime::Error) -> Self {
        tracing::debug!("guest trap: {e:?}");
        let root = e.root_cause().to_string();
        let mut text = match e.downcast_ref::<wasmtime::Trap>() {
            Some(wasmtime::Trap::UnreachableCodeReached) => {
                "the guest trapped (a panic in Rust; its message is above)".to_owned()
            }
            Some(trap) => format!("the guest trapped: {trap}"),
            None => format!("the guest trapped: {root}"),
        };
        if root.contains("memory") && !text.contains("memory") {
            text.push_str(&format!(" ({root})"));
        }
        GuestError::Trapped(text)
    }
}

/// One VU's store and instance.
pub struct Vu {
    store: Store<VuState>,
    guest: Scenario,
    /// For the exports a scenario may leave out, looked up by name.
    instance: wasmtime::component::Instance,
}

impl Vu {
    /// Instantiates the scenario for VU `id`.
    pub async fn new(
        pre: &ScenarioPre<VuState>,
        shared: Arc<Shared>,
        id: u32,
    ) -> Result<Vu, GuestError> {
        let mut store = Store::new(pre.engine(), VuState::new(shared, id));
        store.limiter(|s| &mut s.limits);
        // At every epoch tick: yield to other VUs, and stop a call that
        // has run past `maxIterationCpu` (a guest that loops forever);
        // waits on requests and sleeps do not count.
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|ctx| {
            let state = ctx.data();
            let ran = state.running_time();
            let limit = state.shared.max_call_time();
            if !limit.is_zero() && ran > limit {
                return Err(wasmtime::Error::msg(format!(
                    "the call ran its own code for {} without finishing (raise \
                     `maxIterationCpu` if it needs longer)",
                    crate::duration::format(ran)
                )));
            }
            Ok(wasmtime::UpdateDeadline::Yield(1))
        });
        let instance = pre
            .instance_pre()
            .instantiate_async(&mut store)
            .await
            .map_err(GuestError::trap)?;
        let guest = Scenario::new(&mut store, &instance).map_err(GuestError::trap)?;
        Ok(Vu {
            store,
            guest,
            instance,
        })
    }

    pub fn id(&self) -> u32 {
        self.store.data().id
    }

    pub fn state(&mut self) -> &mut VuState {
        self.store.data_mut()
    }

    /// The scenario's own options (JSON, possibly empty).
    pub async fn options(&mut self) -> Result<String, GuestError> {
        self.store.data_mut().start_clock();
        let r = self.guest.call_options(&mut self.store).await;
        self.store.data_mut().flush();
        r.map_err(GuestError::trap)
    }

    pub async fn setup(&mut self) -> Result<String, GuestError> {
        self.store.data_mut().start_clock();
        let r = self.guest.call_setup(&mut self.store).await;
        self.finish(r)
    }

    pub async fn init(&mut self, setup_data: &str) -> Result<(), GuestError> {
        self.store.data_mut().start_clock();
        let r = self.guest.call_init(&mut self.store, setup_data).await;
        self.finish(r)
    }

    /// Runs one iteration of `exec`. The iteration counter moves on
    /// whatever the outcome.
    /// Records `iterations` and `iteration_duration` (and
    /// `iterations_failed` when it fails) whatever the outcome, as k6 does
    /// for every iteration that was not interrupted.
    pub async fn iteration(&mut self, exec: &str) -> Result<(), GuestError> {
        let start = Instant::now();
        self.store.data_mut().start_clock();
        let r = self.guest.call_iteration(&mut self.store, exec).await;
        let state = self.store.data_mut();
        // A group left open by an early return or a trap ends here.
        state.groups.clear();
        let tags = state.tag_set(None, |_| {}, &[]);
        let at = state.shared.clock.now();
        let ms = start.elapsed().as_secs_f64() * 1000.0;
        state.samples.add(Builtin::Iterations, tags, at, 1.0);
        state.samples.add(Builtin::IterationDuration, tags, at, ms);
        if !matches!(r, Ok(Ok(()))) {
            state.samples.add(Builtin::IterationsFailed, tags, at, 1.0);
        }
        // Flushed before the count moves on, so the outputs see the
        // iteration the samples came from.
        let r = self.finish(r);
        self.store.data_mut().iteration += 1;
        r
    }

    /// Calls the scenario's `handle-summary` with the summary's JSON;
    /// `None` when the scenario does not export it.
    pub async fn handle_summary(
        &mut self,
        summary: &str,
    ) -> Option<Result<SummaryOutput, GuestError>> {
        let func = self
            .instance
            .get_typed_func::<(&str,), (Result<SummaryOutput, String>,)>(
                &mut self.store,
                "handle-summary",
            )
            .ok()?;
        self.store.data_mut().start_clock();
        let r = func
            .call_async(&mut self.store, (summary,))
            .await
            .map(|(r,)| r);
        Some(self.finish(r))
    }

    pub async fn teardown(&mut self, setup_data: &str) -> Result<(), GuestError> {
        self.store.data_mut().start_clock();
        let r = self.guest.call_teardown(&mut self.store, setup_data).await;
        self.finish(r)
    }

    fn finish<T>(&mut self, r: wasmtime::Result<Result<T, String>>) -> Result<T, GuestError> {
        self.store.data_mut().flush();
        match r {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(msg)) => Err(GuestError::Failed(msg)),
            Err(e) => Err(GuestError::trap(e)),
        }
    }
}
