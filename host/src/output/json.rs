//! `--out json=FILE`: k6's JSON lines. One `Metric` line per metric,
//! written before its first sample, then one `Point` line per sample:
//!
//! ```text
//! {"type":"Metric","data":{"name":"http_reqs","type":"counter",
//!   "contains":"default","thresholds":[],"submetrics":null},"metric":"http_reqs"}
//! {"type":"Point","data":{"time":"2026-12-04T09:43:41.123456Z","value":1,
//!   "tags":{"method":"GET","status":"200"}},"metric":"http_reqs"}
//! ```
//!
//! (each on one line in the file).
//!
//! With the `vu` and `iter` system tags on, a point also carries
//! `"metadata":{"iter":"3","vu":"1"}`. A name ending in `.gz` is
//! gzip-compressed; `-` is standard output.

use std::sync::Arc;

use serde_json::json;

use super::file::{FileOut, Stamps, go_number, memo};
use super::{Batch, Context, Sink};
use crate::metrics::{Contains, MetricId, SystemTag, TagSetId};
use crate::thresholds::Threshold;
use crate::vu::Shared;

/// `--out json=FILE`.
pub type Config = super::file::PathConfig;

/// Parses `FILE` of `--out json=FILE`.
pub fn config(arg: &str) -> Result<Config, String> {
    Config::parse(arg, "json", "results.json")
}

pub struct Json {
    out: FileOut,
    shared: Arc<Shared>,
    thresholds: Vec<Threshold>,
    /// Which metrics had their `Metric` line, by id.
    announced: Vec<bool>,
    /// Each tag set as a JSON object, made on first use.
    tags: Vec<Option<String>>,
    /// The metric name as a JSON string, by id.
    names: Vec<Option<String>>,
    line: String,
    stamps: Stamps,
}

impl Json {
    pub fn open(config: &Config, ctx: &Context) -> Result<Json, String> {
        Ok(Json {
            out: FileOut::create(&config.path)?,
            shared: ctx.shared.clone(),
            thresholds: ctx.thresholds.clone(),
            announced: Vec::new(),
            tags: Vec::new(),
            names: Vec::new(),
            line: String::with_capacity(512),
            stamps: Stamps::default(),
        })
    }

    /// The metric's `Metric` line, with its thresholds and sub-metrics.
    fn metric_line(&self, id: MetricId) -> String {
        let def = self.shared.registry.def(id);
        let kind = def.kind.name();
        let contains = match def.contains {
            Contains::Default => "default",
            Contains::Time => "time",
            Contains::Data => "data",
        };
        let own: Vec<&Threshold> = self
            .thresholds
            .iter()
            .filter(|t| t.name == def.name)
            .collect();
        let thresholds: Vec<&str> = own
            .iter()
            .filter(|t| t.filter.is_empty())
            .map(|t| t.source.as_str())
            .collect();
        let mut subs: Vec<serde_json::Value> = Vec::new();
        for t in own.iter().filter(|t| !t.filter.is_empty()) {
            let tags: serde_json::Map<String, serde_json::Value> = t
                .filter
                .tags()
                .iter()
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect();
            let suffix = t.filter.to_string();
            let sub = json!({
                "name": t.key(),
                "suffix": suffix.trim_start_matches('{').trim_end_matches('}'),
                "tags": tags,
            });
            if !subs.contains(&sub) {
                subs.push(sub);
            }
        }
        // Written field by field, in k6's order.
        let name = json!(def.name).to_string();
        let submetrics = if subs.is_empty() {
            "null".to_owned()
        } else {
            serde_json::Value::from(subs).to_string()
        };
        let thresholds = json!(thresholds);
        format!(
            concat!(
                r#"{{"type":"Metric","data":{{"name":{name},"type":"{kind}","#,
                r#""contains":"{contains}","thresholds":{thresholds},"#,
                r#""submetrics":{submetrics}}},"metric":{name}}}"#,
            ),
            name = name,
            kind = kind,
            contains = contains,
            thresholds = thresholds,
            submetrics = submetrics,
        )
    }

    fn tags_json(&mut self, set: TagSetId) -> &str {
        let shared = &self.shared;
        memo::<String>(&mut self.tags, set.0 as usize, || {
            let set = shared.tag_sets.get(set);
            let object: serde_json::Map<String, serde_json::Value> =
                set.iter().map(|(k, v)| (k.to_owned(), json!(v))).collect();
            serde_json::Value::Object(object).to_string()
        })
    }

    fn name_json(&mut self, id: MetricId) -> &str {
        let shared = &self.shared;
        memo::<String>(&mut self.names, id.0 as usize, || {
            json!(shared.registry.def(id).name).to_string()
        })
    }
}

impl Sink for Json {
    fn write(&mut self, batch: &Batch) -> Result<(), String> {
        let system = self.shared.tag_config().system;
        let metadata = match (system.has(SystemTag::Vu), system.has(SystemTag::Iter)) {
            (false, false) => String::new(),
            (true, false) => format!(r#","metadata":{{"vu":"{}"}}"#, batch.vu),
            (false, true) => format!(r#","metadata":{{"iter":"{}"}}"#, batch.iter),
            (true, true) => format!(
                r#","metadata":{{"iter":"{}","vu":"{}"}}"#,
                batch.iter, batch.vu
            ),
        };
        let mut text = std::mem::take(&mut self.line);
        text.clear();
        for (metric, tags, at, value) in batch.values() {
            let m = metric.0 as usize;
            if self.announced.len() <= m {
                self.announced.resize(m + 1, false);
            }
            if !self.announced[m] {
                self.announced[m] = true;
                text.push_str(&self.metric_line(metric));
                text.push('\n');
            }
            text.push_str(r#"{"type":"Point","data":{"time":""#);
            self.stamps.write(&mut text, self.shared.clock.wall(at));
            text.push_str(r#"","value":"#);
            go_number(&mut text, value);
            text.push_str(r#","tags":"#);
            text.push_str(self.tags_json(tags));
            text.push_str(&metadata);
            text.push_str(r#"},"metric":"#);
            text.push_str(self.name_json(metric));
            text.push_str("}\n");
        }
        let result = self.out.write(&text);
        self.line = text;
        result
    }

    fn finish(&mut self) -> Result<(), String> {
        self.out.finish()
    }
}
