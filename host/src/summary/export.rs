//! `--summary-export`: k6's JSON layout, so existing tooling reads it.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::Summary;
use crate::metrics::{CheckCounts, MetricValue};

/// The summary as k6's export JSON.
pub fn to_json(summary: &Summary) -> Value {
    let mut metrics = Map::new();
    for m in &summary.metrics {
        let value = match &m.value {
            MetricValue::Counter { count } => {
                json!({"count": count, "rate": summary.per_second(*count)})
            }
            MetricValue::Gauge { value, min, max } => {
                json!({"value": value, "min": min, "max": max})
            }
            MetricValue::Rate { trues, total } => json!({
                "passes": trues,
                "fails": total - trues,
                "value": MetricValue::rate(*trues, *total),
            }),
            MetricValue::Trend(t) => t
                .values
                .iter()
                .map(|(stat, v)| (stat.to_string(), json!(v)))
                .collect::<Map<_, _>>()
                .into(),
        };
        let mut value = value;
        // k6's layout: each threshold's expression, and whether it failed.
        let judged: Map<String, Value> = summary
            .thresholds
            .iter()
            .filter(|v| v.threshold.key() == m.name)
            .map(|v| (v.threshold.source.clone(), json!(!v.passed)))
            .collect();
        if !judged.is_empty()
            && let Some(object) = value.as_object_mut()
        {
            object.insert("thresholds".into(), judged.into());
        }
        metrics.insert(m.name.clone(), value);
    }
    json!({
        "root_group": groups(summary),
        "metrics": metrics,
        "state": {
            "testRunDurationMs": summary.elapsed.as_secs_f64() * 1000.0,
        },
    })
}

/// A group of the `root_group` tree.
#[derive(Default)]
struct Node<'a> {
    groups: BTreeMap<&'a str, Node<'a>>,
    checks: Vec<&'a CheckCounts>,
}

/// Nests checks under their groups, as k6's `root_group` does.
fn groups(summary: &Summary) -> Value {
    let mut root = Node::default();
    for check in &summary.checks {
        let mut node = &mut root;
        for name in check.group.split("::").filter(|s| !s.is_empty()) {
            node = node.groups.entry(name).or_default();
        }
        node.checks.push(check);
    }
    node_json(&root, "", "")
}

fn node_json(node: &Node<'_>, name: &str, path: &str) -> Value {
    let groups: Map<String, Value> = node
        .groups
        .iter()
        .map(|(child, n)| {
            let child_path = format!("{path}::{child}");
            ((*child).to_owned(), node_json(n, child, &child_path))
        })
        .collect();
    let checks: Map<String, Value> = node
        .checks
        .iter()
        .map(|c| {
            let value = json!({
                "name": c.name,
                "path": format!("{path}::{}", c.name),
                "passes": c.passes,
                "fails": c.fails,
            });
            (c.name.clone(), value)
        })
        .collect();
    json!({"name": name, "path": path, "groups": groups, "checks": checks})
}
