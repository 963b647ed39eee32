//! `--out csv=FILE`: one row per sample in k6's columns:
//! `metric_name,timestamp,metric_value`, a column per recorded system tag
//! (sorted), then `extra_tags` (the other tags, `k=v&k2=v2`) and
//! `metadata` (`vu` and `iter` when those system tags are on).
//!
//! `csv=fileName=FILE,timeFormat=unix_milli` chooses the timestamp:
//! `unix` (seconds, the default), `unix_milli`, `unix_micro`,
//! `unix_nano`, `rfc3339` or `rfc3339_nano`.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use super::file::{FileOut, memo, rfc3339};
use super::{Batch, Context, Sink};
use crate::metrics::{MetricId, SystemTag, TagSetId};
use crate::vu::Shared;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeFormat {
    Unix,
    UnixMilli,
    UnixMicro,
    UnixNano,
    Rfc3339,
    Rfc3339Nano,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub path: String,
    pub time_format: TimeFormat,
}

impl Config {
    pub fn parse(arg: &str) -> Result<Config, String> {
        if !arg.contains('=') {
            if arg.is_empty() {
                return Err("`--out csv` needs a file: `--out csv=results.csv`".into());
            }
            return Ok(Config {
                path: arg.into(),
                time_format: TimeFormat::Unix,
            });
        }
        let mut path = None;
        let mut time_format = TimeFormat::Unix;
        for pair in arg.split(',') {
            match pair.split_once('=') {
                Some(("fileName", v)) => path = Some(v.to_owned()),
                Some(("timeFormat", v)) => {
                    time_format = match v {
                        "unix" => TimeFormat::Unix,
                        "unix_milli" => TimeFormat::UnixMilli,
                        "unix_micro" => TimeFormat::UnixMicro,
                        "unix_nano" => TimeFormat::UnixNano,
                        "rfc3339" => TimeFormat::Rfc3339,
                        "rfc3339_nano" => TimeFormat::Rfc3339Nano,
                        _ => {
                            return Err(format!(
                                "unknown csv timeFormat `{v}` (known: unix, unix_milli, \
                                 unix_micro, unix_nano, rfc3339, rfc3339_nano)"
                            ));
                        }
                    }
                }
                _ => {
                    return Err(format!(
                        "`{pair}` in `--out csv={arg}`: expected fileName=FILE or timeFormat=..."
                    ));
                }
            }
        }
        let path = path.ok_or_else(|| format!("`--out csv={arg}` has no fileName"))?;
        Ok(Config { path, time_format })
    }
}

/// The system tags that get a column, in k6's (alphabetical) order.
const COLUMNS: [(&str, SystemTag); 11] = [
    ("check", SystemTag::Check),
    ("error", SystemTag::Error),
    ("error_code", SystemTag::ErrorCode),
    ("expected_response", SystemTag::ExpectedResponse),
    ("group", SystemTag::Group),
    ("method", SystemTag::Method),
    ("name", SystemTag::Name),
    ("proto", SystemTag::Proto),
    ("scenario", SystemTag::Scenario),
    ("status", SystemTag::Status),
    ("url", SystemTag::Url),
];

pub struct Csv {
    out: FileOut,
    shared: Arc<Shared>,
    time_format: TimeFormat,
    columns: Vec<&'static str>,
    /// Each tag set's cells after the value, made on first use.
    cells: Vec<Option<String>>,
    names: Vec<Option<String>>,
    text: String,
}

impl Csv {
    pub fn open(config: &Config, ctx: &Context) -> Result<Csv, String> {
        let system = ctx.shared.tag_config().system;
        let columns: Vec<&'static str> = COLUMNS
            .iter()
            .filter(|(_, t)| system.has(*t))
            .map(|(n, _)| *n)
            .collect();
        let mut out = FileOut::create(&config.path)?;
        let mut header = String::from("metric_name,timestamp,metric_value");
        for c in &columns {
            header.push(',');
            header.push_str(c);
        }
        header.push_str(",extra_tags,metadata\n");
        out.write(&header)?;
        Ok(Csv {
            out,
            shared: ctx.shared.clone(),
            time_format: config.time_format,
            columns,
            cells: Vec::new(),
            names: Vec::new(),
            text: String::with_capacity(512),
        })
    }

    fn tag_cells(&mut self, set: TagSetId) -> &str {
        let (shared, columns) = (&self.shared, &self.columns);
        memo::<String>(&mut self.cells, set.0 as usize, || {
            let set = shared.tag_sets.get(set);
            let mut cells = String::new();
            for c in columns {
                cells.push(',');
                cells.push_str(&quote(set.get(c).unwrap_or_default()));
            }
            let extra: Vec<String> = set
                .iter()
                .filter(|(k, _)| !columns.contains(k))
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            cells.push(',');
            cells.push_str(&quote(&extra.join("&")));
            cells
        })
    }

    fn name(&mut self, id: MetricId) -> &str {
        let shared = &self.shared;
        memo::<String>(&mut self.names, id.0 as usize, || {
            quote(&shared.registry.def(id).name)
        })
    }

    fn timestamp(&self, at: u64) -> String {
        let wall = self.shared.clock.wall(at);
        let since = wall.duration_since(UNIX_EPOCH).unwrap_or_default();
        match self.time_format {
            TimeFormat::Unix => since.as_secs().to_string(),
            TimeFormat::UnixMilli => since.as_millis().to_string(),
            TimeFormat::UnixMicro => since.as_micros().to_string(),
            TimeFormat::UnixNano => since.as_nanos().to_string(),
            TimeFormat::Rfc3339 => {
                let secs = UNIX_EPOCH + std::time::Duration::from_secs(since.as_secs());
                rfc3339(secs)
            }
            TimeFormat::Rfc3339Nano => rfc3339(wall),
        }
    }
}

/// A CSV cell, quoted when it holds a comma, a quote, a line break or
/// starts with a space.
fn quote(cell: &str) -> String {
    if cell.contains([',', '"', '\n', '\r']) || cell.starts_with(' ') {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_owned()
    }
}

impl Sink for Csv {
    fn write(&mut self, batch: &Batch) -> Result<(), String> {
        let system = self.shared.tag_config().system;
        let mut meta = Vec::new();
        if system.has(SystemTag::Iter) {
            meta.push(format!("iter={}", batch.iter));
        }
        if system.has(SystemTag::Vu) {
            meta.push(format!("vu={}", batch.vu));
        }
        let meta = meta.join("&");
        let mut text = std::mem::take(&mut self.text);
        text.clear();
        for (metric, tags, at, value) in batch.values() {
            text.push_str(self.name(metric));
            let _ = write!(text, ",{},{value:.6}", self.timestamp(at));
            text.push_str(self.tag_cells(tags));
            text.push(',');
            text.push_str(&meta);
            text.push('\n');
        }
        let result = self.out.write(&text);
        self.text = text;
        result
    }

    fn finish(&mut self) -> Result<(), String> {
        self.out.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configs_take_a_file_or_k6_keys() {
        assert_eq!(Config::parse("a.csv").unwrap().path, "a.csv");
        let c = Config::parse("fileName=b.csv,timeFormat=unix_milli").unwrap();
        assert_eq!(
            (c.path.as_str(), c.time_format),
            ("b.csv", TimeFormat::UnixMilli)
        );
        assert!(Config::parse("timeFormat=rfc").is_err());
        assert!(Config::parse("timeFormat=unix").is_err());
        assert!(Config::parse("").is_err());
    }

    #[test]
    fn cells_are_quoted_when_needed() {
        assert_eq!(quote("plain"), "plain");
        assert_eq!(quote("a,b"), "\"a,b\"");
        assert_eq!(quote("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
