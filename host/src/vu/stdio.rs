//! A guest's standard output and error: each line goes to the run's log,
//! tagged with the VU and under the same rate limit as the `log`
//! interface, so that a scenario from someone else can neither write to
//! the terminal unmarked nor flood it.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

use super::Shared;

/// A line longer than this is cut and written in pieces.
const MAX_LINE: usize = 4096;

/// One VU's stdout or stderr, as WASI hands it to the guest.
pub struct GuestOutput {
    pub shared: Arc<Shared>,
    pub vu: u32,
    /// The level its lines are logged at: `INFO` for stdout, `WARN` for
    /// stderr.
    pub level: &'static str,
}

impl IsTerminal for GuestOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for GuestOutput {
    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.lines())
    }

    /// Writes straight into the log, without the task and buffer the
    /// default adapter would give every VU that prints.
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.lines())
    }
}

impl GuestOutput {
    fn lines(&self) -> Lines {
        Lines {
            shared: self.shared.clone(),
            vu: self.vu,
            level: self.level,
            partial: Vec::new(),
        }
    }
}

/// Collects bytes into lines and logs each complete one.
struct Lines {
    shared: Arc<Shared>,
    vu: u32,
    level: &'static str,
    partial: Vec<u8>,
}

impl Lines {
    fn take(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let room = MAX_LINE - self.partial.len();
            match bytes.iter().position(|&b| b == b'\n') {
                Some(end) if end <= room => {
                    self.partial.extend_from_slice(&bytes[..end]);
                    self.emit();
                    bytes = &bytes[end + 1..];
                }
                _ => {
                    let n = bytes.len().min(room);
                    self.partial.extend_from_slice(&bytes[..n]);
                    bytes = &bytes[n..];
                    if self.partial.len() == MAX_LINE {
                        self.emit();
                    }
                }
            }
        }
    }

    fn emit(&mut self) {
        let line = String::from_utf8_lossy(&self.partial);
        let line = line.trim_end_matches('\r');
        self.shared.log.write(self.level, self.vu, line);
        self.partial.clear();
    }
}

impl Drop for Lines {
    fn drop(&mut self) {
        if !self.partial.is_empty() {
            self.emit();
        }
    }
}

impl AsyncWrite for Lines {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.take(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[async_trait::async_trait]
impl Pollable for Lines {
    /// Always ready: a line is logged (or counted as dropped) at once.
    async fn ready(&mut self) {}
}

impl OutputStream for Lines {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.take(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(64 << 10)
    }
}
