//! Transport failures as k6's error codes, so a scenario or a threshold can
//! tell a refused connection from a timeout or a bad certificate.

use std::error::Error as _;
use std::io::ErrorKind;

/// k6's codes for the failures a request can meet.
pub mod code {
    pub const GENERIC: u32 = 1000;
    pub const INVALID_URL: u32 = 1020;
    pub const TIMEOUT: u32 = 1050;
    pub const DNS: u32 = 1100;
    /// The host is not on the allowlist (`--allow-host`).
    pub const BLOCKED_HOST: u32 = 1111;
    pub const TCP: u32 = 1200;
    pub const BROKEN_PIPE: u32 = 1201;
    pub const DIAL: u32 = 1210;
    pub const DIAL_TIMEOUT: u32 = 1211;
    pub const REFUSED: u32 = 1212;
    pub const RESET: u32 = 1220;
    pub const TLS: u32 = 1300;
    pub const HTTP2: u32 = 1600;
    /// Responses with status 400-599 carry 1000 + status.
    pub const fn for_status(status: u16) -> u32 {
        if status >= 400 && status < 600 {
            1000 + status as u32
        } else {
            0
        }
    }
}

/// The code of a socket error; `connecting` while the connection was
/// being made.
pub fn for_io(kind: ErrorKind, connecting: bool) -> u32 {
    match kind {
        ErrorKind::ConnectionRefused => code::REFUSED,
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted => code::RESET,
        ErrorKind::BrokenPipe => code::BROKEN_PIPE,
        ErrorKind::TimedOut => code::DIAL_TIMEOUT,
        _ if connecting => code::DIAL,
        _ => code::TCP,
    }
}

/// The error code and a one-line message for a failed request.
pub fn classify(err: &reqwest::Error) -> (u32, String) {
    let message = chain(err);
    let code = if err.is_timeout() {
        code::TIMEOUT
    } else if err.is_builder() {
        code::INVALID_URL
    } else if let Some(kind) = io_kind(err) {
        for_io(kind, err.is_connect())
    } else if message.contains("dns error") || message.contains("lookup address") {
        code::DNS
    } else if has_source::<rustls::Error>(err) || message.contains("certificate") {
        code::TLS
    } else if message.contains("http2") || message.contains("h2 protocol") {
        code::HTTP2
    } else if err.is_connect() {
        code::DIAL
    } else {
        code::GENERIC
    };
    (code, message)
}

/// The error and its causes on one line, without repeats.
fn chain(err: &reqwest::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}

fn io_kind(err: &reqwest::Error) -> Option<ErrorKind> {
    let mut source = err.source();
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>()
            && (io.kind() != ErrorKind::Other || io.get_ref().is_none())
        {
            return Some(io.kind());
        }
        if let Some(h) = cause.downcast_ref::<hyper::Error>()
            && h.is_incomplete_message()
        {
            return Some(ErrorKind::ConnectionReset);
        }
        source = cause.source();
    }
    None
}

fn has_source<E: std::error::Error + 'static>(err: &reqwest::Error) -> bool {
    let mut source = err.source();
    while let Some(cause) = source {
        if cause.is::<E>() {
            return true;
        }
        source = cause.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::code;

    #[test]
    fn status_codes_map_into_k6_ranges() {
        assert_eq!(code::for_status(200), 0);
        assert_eq!(code::for_status(404), 1404);
        assert_eq!(code::for_status(503), 1503);
        assert_eq!(code::for_status(302), 0);
    }
}
