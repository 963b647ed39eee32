//! Per-request phase clocks, filled in by the connector.
//!
//! reqwest does not report when a request resolved, connected or shook
//! hands. The connector does those things inside the request's own future,
//! so the request puts a [`PhaseClock`] in a task-local around that future
//! and the DNS resolver and the connector layer below stamp it.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

tokio::task_local! {
    static CLOCK: Arc<PhaseClock>;
}

/// Instants stamped while a request's connection was made. All stay
/// `None` when the request reused a pooled connection.
#[derive(Debug, Default, Clone, Copy)]
pub struct Phases {
    pub dns_start: Option<Instant>,
    pub dns_end: Option<Instant>,
    pub connect_start: Option<Instant>,
    /// When rustls began the handshake; `None` for plain HTTP.
    pub tls_start: Option<Instant>,
    pub connect_end: Option<Instant>,
}

#[derive(Debug, Default)]
pub struct PhaseClock(Mutex<Phases>);

impl PhaseClock {
    fn stamp(&self, f: impl FnOnce(&mut Phases)) {
        f(&mut self.0.lock().unwrap_or_else(|e| e.into_inner()));
    }

    pub fn phases(&self) -> Phases {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `fut` with this clock visible to the connector.
    pub async fn scope<F: Future>(self: &Arc<Self>, fut: F) -> F::Output {
        CLOCK.scope(self.clone(), fut).await
    }
}

fn current() -> Option<Arc<PhaseClock>> {
    CLOCK.try_with(Arc::clone).ok()
}

/// k6's phases in milliseconds.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Timings {
    pub blocked: f64,
    pub connecting: f64,
    pub tls_handshaking: f64,
    pub sending: f64,
    pub waiting: f64,
    pub receiving: f64,
    pub duration: f64,
}

impl Timings {
    /// Splits a request that started at `start`, had its response head at
    /// `head` and its whole body at `end`. Connection set-up before the
    /// request was written counts as blocked (DNS and the wait before it),
    /// connecting (TCP) and TLS handshaking; what follows until the head
    /// arrived is waiting. reqwest does not show when the request was
    /// written, so writing it counts as waiting and `sending` stays zero.
    pub fn split(start: Instant, phases: Phases, head: Instant, end: Instant) -> Timings {
        let ms = |a: Instant, b: Instant| b.saturating_duration_since(a).as_secs_f64() * 1000.0;
        let mut t = Timings::default();
        let mut ready = start;
        if let (Some(c0), Some(c1)) = (phases.connect_start, phases.connect_end)
            && c1 <= head
        {
            let dns = match (phases.dns_start, phases.dns_end) {
                (Some(d0), Some(d1)) => ms(d0, d1),
                _ => 0.0,
            };
            t.blocked = ms(start, c0) + dns;
            let handshake_start = phases
                .tls_start
                .filter(|&t| t >= c0 && t <= c1)
                .unwrap_or(c1);
            t.connecting = ms(c0, handshake_start) - dns.min(ms(c0, handshake_start));
            t.tls_handshaking = ms(handshake_start, c1);
            ready = c1;
        }
        t.waiting = ms(ready, head);
        t.receiving = ms(head, end);
        t.duration = t.sending + t.waiting + t.receiving;
        t
    }
}

/// Resolves names with the system resolver, stamping the clock.
#[derive(Debug, Clone, Copy)]
pub struct TimedResolver;

impl Resolve for TimedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let clock = current();
        Box::pin(async move {
            let start = Instant::now();
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if let Some(clock) = clock {
                let end = Instant::now();
                clock.stamp(|p| {
                    p.dns_start = Some(start);
                    p.dns_end = Some(end);
                });
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// A connector layer that stamps when a new connection was asked for and
/// when it was ready.
#[derive(Debug, Clone, Copy)]
pub struct TimedConnectLayer;

impl<S> tower_layer::Layer<S> for TimedConnectLayer {
    type Service = TimedConnect<S>;

    fn layer(&self, inner: S) -> Self::Service {
        TimedConnect { inner }
    }
}

#[derive(Debug, Clone)]
pub struct TimedConnect<S> {
    inner: S,
}

impl<S, R> tower_service::Service<R> for TimedConnect<S>
where
    S: tower_service::Service<R>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: R) -> Self::Future {
        let clock = current();
        let start = Instant::now();
        let fut = self.inner.call(req);
        Box::pin(async move {
            let conn = fut.await;
            if let Some(clock) = clock {
                let end = Instant::now();
                clock.stamp(|p| {
                    p.connect_start = Some(start);
                    p.connect_end = Some(end);
                });
            }
            conn
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn split_attributes_connection_setup() {
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        let phases = Phases {
            dns_start: Some(at(1)),
            dns_end: Some(at(3)),
            connect_start: Some(at(1)),
            tls_start: Some(at(6)),
            connect_end: Some(at(10)),
        };
        let t = Timings::split(t0, phases, at(25), at(30));
        assert!((t.blocked - 3.0).abs() < 1e-6, "{t:?}");
        assert!((t.connecting - 3.0).abs() < 1e-6, "{t:?}");
        assert!((t.tls_handshaking - 4.0).abs() < 1e-6, "{t:?}");
        assert!((t.waiting - 15.0).abs() < 1e-6, "{t:?}");
        assert!((t.receiving - 5.0).abs() < 1e-6, "{t:?}");
        assert!((t.duration - 20.0).abs() < 1e-6, "{t:?}");
    }

    #[test]
    fn reused_connection_is_all_waiting() {
        let t0 = Instant::now();
        let head = t0 + Duration::from_millis(4);
        let t = Timings::split(t0, Phases::default(), head, head);
        assert_eq!((t.blocked, t.connecting), (0.0, 0.0));
        assert!((t.duration - 4.0).abs() < 1e-6);
    }
}

/// A VU's TLS session cache that also stamps when a handshake begins.
///
/// rustls consults the session store while it builds the ClientHello,
/// which is the first thing it does once the TCP connection is up. That
/// moment splits the connector's time into TCP connect and TLS handshake.
/// Each VU has its own store, so a VU resumes only its own sessions, as a
/// separate user would.
#[derive(Debug)]
pub struct TimedSessions(rustls::client::ClientSessionMemoryCache);

impl TimedSessions {
    /// A store for a few servers: a VU rarely talks to more.
    pub fn new() -> Self {
        TimedSessions(rustls::client::ClientSessionMemoryCache::new(8))
    }

    fn stamp_start() {
        if let Some(clock) = current() {
            let now = Instant::now();
            clock.stamp(|p| {
                p.tls_start.get_or_insert(now);
            });
        }
    }
}

impl Default for TimedSessions {
    fn default() -> Self {
        Self::new()
    }
}

mod sessions {
    use rustls::NamedGroup;
    use rustls::client::{ClientSessionStore, Tls12ClientSessionValue, Tls13ClientSessionValue};
    use rustls::pki_types::ServerName;

    use super::TimedSessions;

    impl ClientSessionStore for TimedSessions {
        fn set_kx_hint(&self, name: ServerName<'static>, group: NamedGroup) {
            self.0.set_kx_hint(name, group);
        }

        fn kx_hint(&self, name: &ServerName<'_>) -> Option<NamedGroup> {
            TimedSessions::stamp_start();
            self.0.kx_hint(name)
        }

        fn set_tls12_session(&self, name: ServerName<'static>, value: Tls12ClientSessionValue) {
            self.0.set_tls12_session(name, value);
        }

        fn tls12_session(&self, name: &ServerName<'_>) -> Option<Tls12ClientSessionValue> {
            TimedSessions::stamp_start();
            self.0.tls12_session(name)
        }

        fn remove_tls12_session(&self, name: &ServerName<'static>) {
            self.0.remove_tls12_session(name);
        }

        fn insert_tls13_ticket(&self, name: ServerName<'static>, value: Tls13ClientSessionValue) {
            self.0.insert_tls13_ticket(name, value);
        }

        fn take_tls13_ticket(&self, name: &ServerName<'static>) -> Option<Tls13ClientSessionValue> {
            TimedSessions::stamp_start();
            self.0.take_tls13_ticket(name)
        }
    }
}
