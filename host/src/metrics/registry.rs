//! Which metrics exist: the k6 built-ins at fixed ids, then the ones a
//! scenario defines while it runs.

use std::collections::HashMap;
use std::sync::RwLock;

/// A metric's index in the [`Registry`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MetricId(pub u32);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    Counter,
    Gauge,
    Rate,
    Trend,
}

impl MetricKind {
    pub fn name(self) -> &'static str {
        match self {
            MetricKind::Counter => "counter",
            MetricKind::Gauge => "gauge",
            MetricKind::Rate => "rate",
            MetricKind::Trend => "trend",
        }
    }
}

/// What a metric's values measure, which decides how they print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contains {
    Default,
    /// Milliseconds.
    Time,
    /// Bytes.
    Data,
}

#[derive(Debug, Clone)]
pub struct MetricDef {
    pub name: String,
    pub kind: MetricKind,
    pub contains: Contains,
}

/// The built-in metrics, in id order. Their ids never change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Builtin {
    HttpReqs,
    HttpReqDuration,
    HttpReqBlocked,
    HttpReqConnecting,
    HttpReqTlsHandshaking,
    HttpReqSending,
    HttpReqWaiting,
    HttpReqReceiving,
    HttpReqFailed,
    Iterations,
    IterationDuration,
    IterationsFailed,
    Vus,
    VusMax,
    DataSent,
    DataReceived,
    Checks,
    GroupDuration,
    /// How late each arrival-rate iteration started.
    ScheduleLag,
    /// Arrival-rate iterations that found no VU to run on.
    DroppedIterations,
}

const BUILTINS: [(Builtin, &str, MetricKind, Contains); 20] = {
    use Contains::*;
    use MetricKind::*;
    [
        (Builtin::HttpReqs, "http_reqs", Counter, Default),
        (Builtin::HttpReqDuration, "http_req_duration", Trend, Time),
        (Builtin::HttpReqBlocked, "http_req_blocked", Trend, Time),
        (
            Builtin::HttpReqConnecting,
            "http_req_connecting",
            Trend,
            Time,
        ),
        (
            Builtin::HttpReqTlsHandshaking,
            "http_req_tls_handshaking",
            Trend,
            Time,
        ),
        (Builtin::HttpReqSending, "http_req_sending", Trend, Time),
        (Builtin::HttpReqWaiting, "http_req_waiting", Trend, Time),
        (Builtin::HttpReqReceiving, "http_req_receiving", Trend, Time),
        (Builtin::HttpReqFailed, "http_req_failed", Rate, Default),
        (Builtin::Iterations, "iterations", Counter, Default),
        (
            Builtin::IterationDuration,
            "iteration_duration",
            Trend,
            Time,
        ),
        (
            Builtin::IterationsFailed,
            "iterations_failed",
            Counter,
            Default,
        ),
        (Builtin::Vus, "vus", Gauge, Default),
        (Builtin::VusMax, "vus_max", Gauge, Default),
        (Builtin::DataSent, "data_sent", Counter, Data),
        (Builtin::DataReceived, "data_received", Counter, Data),
        (Builtin::Checks, "checks", Rate, Default),
        (Builtin::GroupDuration, "group_duration", Trend, Time),
        (Builtin::ScheduleLag, "schedule_lag", Trend, Time),
        (
            Builtin::DroppedIterations,
            "dropped_iterations",
            Counter,
            Default,
        ),
    ]
};

impl Builtin {
    pub fn id(self) -> MetricId {
        MetricId(self as u32)
    }
}

impl From<Builtin> for MetricId {
    fn from(b: Builtin) -> MetricId {
        b.id()
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DefineError {
    #[error(
        "invalid metric name `{0}`: use 1 to 128 ASCII letters, digits and underscores, \
         not starting with a digit"
    )]
    InvalidName(String),
    #[error("metric `{name}` is already defined as a {existing}, not a {requested}")]
    KindClash {
        name: String,
        existing: &'static str,
        requested: &'static str,
    },
}

/// Every metric of the run. Lookups take a read lock; only a scenario
/// defining a new metric takes the write lock, which happens in `init`.
#[derive(Debug)]
pub struct Registry {
    inner: RwLock<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    defs: Vec<MetricDef>,
    by_name: HashMap<String, MetricId>,
}

impl Default for Registry {
    fn default() -> Self {
        let mut inner = Inner::default();
        for (i, (builtin, name, kind, contains)) in BUILTINS.iter().enumerate() {
            debug_assert_eq!(*builtin as usize, i);
            inner.by_name.insert((*name).to_owned(), builtin.id());
            inner.defs.push(MetricDef {
                name: (*name).to_owned(),
                kind: *kind,
                contains: *contains,
            });
        }
        Registry {
            inner: RwLock::new(inner),
        }
    }
}

impl Registry {
    /// Defines a custom metric, or returns the existing one of that name
    /// and kind, as k6 does when two VUs define the same metric.
    pub fn define(
        &self,
        name: &str,
        kind: MetricKind,
        contains: Contains,
    ) -> Result<MetricId, DefineError> {
        if !valid_name(name) {
            return Err(DefineError::InvalidName(name.to_owned()));
        }
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        if let Some(&id) = inner.by_name.get(name) {
            let existing = inner.defs[id.0 as usize].kind;
            if existing != kind {
                return Err(DefineError::KindClash {
                    name: name.to_owned(),
                    existing: existing.name(),
                    requested: kind.name(),
                });
            }
            return Ok(id);
        }
        let id = MetricId(inner.defs.len() as u32);
        inner.defs.push(MetricDef {
            name: name.to_owned(),
            kind,
            contains,
        });
        inner.by_name.insert(name.to_owned(), id);
        Ok(id)
    }

    /// The metric of this name, if it is defined.
    pub fn id(&self, name: &str) -> Option<MetricId> {
        let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
        inner.by_name.get(name).copied()
    }

    pub fn def(&self, id: MetricId) -> MetricDef {
        let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
        inner.defs[id.0 as usize].clone()
    }

    pub fn all(&self) -> Vec<(MetricId, MetricDef)> {
        let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
        inner
            .defs
            .iter()
            .enumerate()
            .map(|(i, d)| (MetricId(i as u32), d.clone()))
            .collect()
    }

    pub fn is_builtin(id: MetricId) -> bool {
        (id.0 as usize) < BUILTINS.len()
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_keep_their_ids() {
        let registry = Registry::default();
        assert_eq!(registry.def(Builtin::HttpReqs.id()).name, "http_reqs");
        assert_eq!(registry.def(Builtin::Checks.id()).kind, MetricKind::Rate);
    }

    #[test]
    fn define_returns_the_same_id_and_rejects_clashes() {
        let registry = Registry::default();
        let a = registry.define("my_trend", MetricKind::Trend, Contains::Time);
        assert_eq!(
            a,
            registry.define("my_trend", MetricKind::Trend, Contains::Time)
        );
        let clash = registry.define("my_trend", MetricKind::Counter, Contains::Default);
        assert!(matches!(clash, Err(DefineError::KindClash { .. })));
        let builtin = registry.define("http_reqs", MetricKind::Trend, Contains::Default);
        assert!(matches!(builtin, Err(DefineError::KindClash { .. })));
    }

    #[test]
    fn rejects_bad_names() {
        let registry = Registry::default();
        for bad in ["", "1abc", "has space", "dash-ed", &"x".repeat(129)] {
            let err = registry.define(bad, MetricKind::Counter, Contains::Default);
            assert_eq!(err, Err(DefineError::InvalidName(bad.to_owned())));
        }
    }
}
