//! The end-of-test summary in k6's layout: checks first, then metrics
//! grouped as HTTP, EXECUTION, NETWORK and CUSTOM.

use std::fmt::Write as _;

use super::{MetricSummary, Summary};
use crate::duration::format_ms;
use crate::metrics::{CheckCounts, Contains, MetricKind, MetricValue, TrendStat};
use crate::thresholds::Stat;

const HTTP: &[&str] = &[
    "http_req_blocked",
    "http_req_connecting",
    "http_req_duration",
    "http_req_failed",
    "http_req_receiving",
    "http_req_sending",
    "http_req_tls_handshaking",
    "http_req_waiting",
    "http_reqs",
];
const EXECUTION: &[&str] = &[
    "dropped_iterations",
    "group_duration",
    "iteration_duration",
    "iterations",
    "iterations_failed",
    "schedule_lag",
    "vus",
    "vus_max",
];
const NETWORK: &[&str] = &["data_received", "data_sent"];

/// Renders the summary; `color` adds ANSI colours to ✓ and ✗.
pub fn render(summary: &Summary, color: bool) -> String {
    let mut out = String::new();
    if !summary.thresholds.is_empty() {
        thresholds(&mut out, summary, color);
    }
    results(
        &mut out,
        summary,
        "TOTAL RESULTS",
        &summary.metrics,
        &summary.checks,
        color,
    );
    for section in &summary.sections {
        results(
            &mut out,
            summary,
            &section.title,
            &section.metrics,
            &section.checks,
            color,
        );
    }
    let _ = writeln!(
        out,
        "running ({}), 0/{} VUs, {} complete and {} interrupted iterations",
        format_ms(summary.elapsed.as_secs_f64() * 1000.0),
        summary.vus_max,
        summary.complete,
        summary.interrupted,
    );
    out
}

/// One block of results: its checks, then its metrics grouped as HTTP,
/// EXECUTION, NETWORK and CUSTOM.
fn results(
    out: &mut String,
    summary: &Summary,
    title: &str,
    metrics: &[MetricSummary],
    checks: &[CheckCounts],
    color: bool,
) {
    let _ = write!(out, "\n  █ {title}\n\n");
    let rows = rows(summary, metrics);
    let width = rows
        .iter()
        .map(|r| r.shown.chars().count())
        .max()
        .unwrap_or(0)
        .max(24)
        + 3;
    if !checks.is_empty() {
        write_checks(out, summary, checks, width, color);
    }
    let section_of = |parent: &str| {
        [HTTP, EXECUTION, NETWORK]
            .iter()
            .position(|names| names.contains(&parent))
    };
    for (i, section) in ["HTTP", "EXECUTION", "NETWORK"].into_iter().enumerate() {
        let section_rows: Vec<_> = rows
            .iter()
            .filter(|r| section_of(&r.parent) == Some(i))
            .collect();
        write_section(out, section, &section_rows, width);
    }
    let custom: Vec<_> = rows
        .iter()
        .filter(|r| section_of(&r.parent).is_none() && r.parent != "checks")
        .collect();
    write_section(out, "CUSTOM", &custom, width);
}

/// A metric's line: the metric it belongs to, the name shown (a
/// sub-metric's tags, indented under it) and its value.
struct Row {
    parent: String,
    shown: String,
    value: String,
}

/// The rows of `metrics`, each metric followed by its sub-metrics.
fn rows(summary: &Summary, metrics: &[MetricSummary]) -> Vec<Row> {
    let mut rows: Vec<(bool, Row)> = metrics
        .iter()
        .map(|m| {
            let (parent, shown, sub) = match m.name.split_once('{') {
                Some((parent, tags)) => (
                    parent.to_owned(),
                    format!("  {{ {}", tags.replace('}', " }")),
                    true,
                ),
                None => (m.name.clone(), m.name.clone(), false),
            };
            let value = value_text(summary, m);
            (
                sub,
                Row {
                    parent,
                    shown,
                    value,
                },
            )
        })
        .collect();
    rows.sort_by(|(a_sub, a), (b_sub, b)| {
        (&a.parent, a_sub, &a.shown).cmp(&(&b.parent, b_sub, &b.shown))
    });
    rows.into_iter().map(|(_, r)| r).collect()
}

fn write_section(out: &mut String, title: &str, rows: &[&Row], width: usize) {
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(out, "    {title}");
    for row in rows {
        let _ = writeln!(out, "    {}: {}", dotted(&row.shown, width), row.value);
    }
    out.push('\n');
}

fn dotted(name: &str, width: usize) -> String {
    let dots = width.saturating_sub(name.chars().count());
    format!("{name}{}", ".".repeat(dots))
}

fn value_text(summary: &Summary, m: &MetricSummary) -> String {
    match m.value {
        MetricValue::Counter { count } => {
            let rate = summary.per_second(count);
            match m.contains {
                Contains::Data => format!("{:<7} {}/s", bytes(count), bytes(rate)),
                _ => format!("{:<7} {}/s", number(count), number(rate)),
            }
        }
        MetricValue::Gauge { value, min, max } => {
            format!(
                "{:<7} min={:<7} max={}",
                number(value),
                number(min),
                number(max)
            )
        }
        MetricValue::Rate { trues, total } => {
            let pct = MetricValue::rate(trues, total) * 100.0;
            format!("{:<7} {trues} out of {total}", format!("{pct:.2}%"))
        }
        MetricValue::Trend(ref t) => {
            let f = |v: f64| match m.contains {
                Contains::Time => format_ms(v),
                _ => number(v),
            };
            let shown: Vec<String> = t
                .values
                .iter()
                .map(|&(stat, v)| match stat {
                    TrendStat::Count => format!("count={v}"),
                    _ => format!("{stat}={}", f(v)),
                })
                .collect();
            shown.join(" ")
        }
    }
}

/// The thresholds block, metric by metric, each with its outcome and the
/// value it was judged on.
fn thresholds(out: &mut String, summary: &Summary, color: bool) {
    let (ok, bad) = marks(color);
    out.push_str("\n  █ THRESHOLDS\n");
    let mut metric = String::new();
    for v in &summary.thresholds {
        let t = &v.threshold;
        if t.key() != metric {
            metric = t.key();
            let _ = writeln!(out, "\n    {metric}");
        }
        let shown = summary.metric(&t.name).map(|m| (m.kind, m.contains));
        let measured = match (v.measured, t.stat, shown) {
            (None, _, _) => "(no samples, not judged)".to_owned(),
            (Some(x), Stat::Rate, Some((MetricKind::Rate, _))) => {
                format!("rate={:.2}%", x * 100.0)
            }
            (Some(x), Stat::Rate, _) => format!("rate={}/s", number(x)),
            (Some(x), Stat::Trend(_), Some((_, Contains::Time))) => {
                format!("{}={}", t.stat, format_ms(x))
            }
            (Some(x), _, _) => format!("{}={}", t.stat, number(x)),
        };
        let mark = if v.passed { ok } else { bad };
        let when = match v.failed_at {
            Some(at) => format!(" (in the window ending at {})", crate::duration::format(at)),
            None => String::new(),
        };
        let _ = writeln!(out, "    {mark} '{}' {measured}{when}", t.source);
    }
    out.push('\n');
}

fn marks(color: bool) -> (&'static str, &'static str) {
    if color {
        ("\x1b[32m✓\x1b[0m", "\x1b[31m✗\x1b[0m")
    } else {
        ("✓", "✗")
    }
}

fn write_checks(
    out: &mut String,
    summary: &Summary,
    checks: &[CheckCounts],
    width: usize,
    color: bool,
) {
    let passes: u64 = checks.iter().map(|c| c.passes).sum();
    let fails: u64 = checks.iter().map(|c| c.fails).sum();
    let total = passes + fails;
    let pct = |n: u64| MetricValue::rate(n, total) * 100.0;
    let t = total as f64;
    let _ = writeln!(
        out,
        "    {}: {:<7} {}/s",
        dotted("checks_total", width),
        total,
        number(summary.per_second(t))
    );
    for (name, n) in [("checks_succeeded", passes), ("checks_failed", fails)] {
        let share = format!("{:.2}%", pct(n));
        let _ = writeln!(
            out,
            "    {}: {share:<7} {n} out of {total}",
            dotted(name, width)
        );
    }
    out.push('\n');
    let mut group = "";
    for (i, check) in checks.iter().enumerate() {
        if check.group != group {
            group = &check.group;
            if i > 0 {
                out.push('\n');
            }
            let _ = writeln!(
                out,
                "    █ {}\n",
                group.trim_start_matches("::").replace("::", " › ")
            );
        }
        check_line(out, check, color);
    }
    out.push('\n');
}

fn check_line(out: &mut String, c: &CheckCounts, color: bool) {
    let (ok, bad) = marks(color);
    if c.fails == 0 {
        let _ = writeln!(out, "    {ok} {}", c.name);
    } else {
        let pct = MetricValue::rate(c.passes, c.passes + c.fails) * 100.0;
        let _ = writeln!(out, "    {bad} {}", c.name);
        let _ = writeln!(
            out,
            "     ↳  {pct:.0}% — {ok} {} / {bad} {}",
            c.passes, c.fails
        );
    }
}

/// Numbers as k6 prints them: integers plainly, others with up to six
/// significant decimals.
fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        return format!("{}", v as i64);
    }
    let s = format!("{v:.6}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Bytes in decimal units, as k6 prints data: `812 B`, `27 kB`, `1.2 MB`.
fn bytes(v: f64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = v;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 || value >= 10.0 {
        format!("{:.0} {}", value, UNITS[unit])
    } else {
        format!("{:.1} {}", value, UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_use_decimal_units() {
        assert_eq!(bytes(812.0), "812 B");
        assert_eq!(bytes(2734.0), "2.7 kB");
        assert_eq!(bytes(27_345.0), "27 kB");
        assert_eq!(bytes(1_234_567.0), "1.2 MB");
    }

    #[test]
    fn numbers_drop_needless_decimals() {
        assert_eq!(number(300.0), "300");
        assert_eq!(number(29.5), "29.5");
        assert_eq!(number(1.0 / 3.0), "0.333333");
    }
}
