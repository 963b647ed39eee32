//! `metrics`: custom metrics, checks and groups.

use std::time::Instant;

use wasmtime::component::Resource;

use crate::bindings::metrics::{Host, HostMetric, MetricKind as WitKind};
use crate::bindings::types::Tags;
use crate::metrics::{Builtin, Contains, MetricId, MetricKind, SystemTag};
use crate::vu::VuState;

/// A guest's handle on a metric it defined.
#[derive(Debug, Clone, Copy)]
pub struct MetricHandle {
    id: MetricId,
}

impl HostMetric for VuState {
    async fn define(
        &mut self,
        name: String,
        kind: WitKind,
        is_time: bool,
    ) -> Result<Resource<MetricHandle>, String> {
        let kind = match kind {
            WitKind::Counter => MetricKind::Counter,
            WitKind::Gauge => MetricKind::Gauge,
            WitKind::Rate => MetricKind::Rate,
            WitKind::Trend => MetricKind::Trend,
        };
        let contains = if is_time {
            Contains::Time
        } else {
            Contains::Default
        };
        let id = self
            .shared
            .registry
            .define(&name, kind, contains)
            .map_err(|e| e.to_string())?;
        self.table
            .push(MetricHandle { id })
            .map_err(|e| e.to_string())
    }

    async fn add(&mut self, metric: Resource<MetricHandle>, value: f64, tags: Tags) {
        if let Ok(handle) = self.table.get(&metric) {
            let id = handle.id;
            let set = self.tag_set(None, |_| {}, &tags);
            let at = self.shared.clock.now();
            self.samples.add(id, set, at, value);
            self.flush_if_full();
        }
    }

    async fn drop(&mut self, metric: Resource<MetricHandle>) -> wasmtime::Result<()> {
        self.table.delete(metric)?;
        Ok(())
    }
}

impl Host for VuState {
    async fn check(&mut self, name: String, passed: bool, tags: Tags) -> bool {
        let id = self.check_id(&name);
        let named = self.shared.tag_config().system.has(SystemTag::Check);
        let set = self.tag_set(
            None,
            |list| {
                if named {
                    list.set("check", &name);
                }
            },
            &tags,
        );
        let at = self.shared.clock.now();
        self.samples.check(id, passed, set, at);
        self.flush_if_full();
        passed
    }

    async fn group_start(&mut self, name: String) {
        let path = format!("{}::{}", self.group_path(), name);
        self.groups.push((path, Instant::now()));
    }

    /// Records the group's time, tagged with the group's own path.
    async fn group_end(&mut self) {
        if let Some((path, start)) = self.groups.pop() {
            let set = self.tag_set(Some(&path), |_| {}, &[]);
            let at = self.shared.clock.now();
            let ms = start.elapsed().as_secs_f64() * 1000.0;
            self.samples.add(Builtin::GroupDuration, set, at, ms);
        }
    }
}

impl VuState {
    /// The id of check `name` in the current group; the shared table is
    /// asked once per distinct check and VU.
    fn check_id(&mut self, name: &str) -> u32 {
        let group = self.group_path();
        if let Some((_, _, id)) = self.checks.iter().find(|(g, n, _)| g == group && n == name) {
            return *id;
        }
        let group = group.to_owned();
        let id = self.shared.aggregates().check_id(&group, name);
        self.checks.push((group, name.to_owned(), id));
        id
    }
}
