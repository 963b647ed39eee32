//! Property tests of every parser that takes input from users, options
//! files and scenarios: whatever the text, a parser returns a value or an
//! error, never panics, and what it accepts it reads back the same way.
//! `cargo test` runs a few hundred cases of each; raise `PROPTEST_CASES`
//! to run more.

use proptest::prelude::*;

use crate::duration;
use crate::metrics::{SystemTags, TagFilter};
use crate::options;
use crate::thresholds::Threshold;

/// Text that looks like the inputs: mostly their own alphabet, sometimes
/// anything at all.
fn texty() -> impl Strategy<Value = String> {
    prop_oneof!["[0-9a-z.:{},()<>=!*@/ _\\-]{0,40}", any::<String>(),]
}

proptest! {
    #[test]
    fn durations_parse_or_fail_and_round_trip(text in texty()) {
        // `format` shows whole milliseconds, so that is what comes back.
        if let Ok(d) = duration::parse(&text)
            && let Ok(ms) = u64::try_from(d.as_millis())
        {
            let shown = duration::format(d);
            let whole = std::time::Duration::from_millis(ms);
            prop_assert_eq!(duration::parse(&shown).ok(), Some(whole), "{} -> {}", text, shown);
        }
    }

    #[test]
    fn thresholds_parse_or_fail(metric in texty(), expr in texty()) {
        let _ = Threshold::parse(&metric, &expr);
    }

    #[test]
    fn tag_filters_parse_or_fail_and_round_trip(text in texty()) {
        if let Ok((name, filter)) = TagFilter::split(&text)
            && !filter.is_empty()
        {
            let shown = format!("{name}{filter}");
            let (again_name, again) = TagFilter::split(&shown).map_err(TestCaseError::fail)?;
            prop_assert_eq!(again_name, name);
            prop_assert_eq!(again, filter);
        }
    }

    #[test]
    fn system_tag_lists_parse_or_fail(text in texty()) {
        let _ = SystemTags::parse(text.split(','));
    }

    #[test]
    fn host_patterns_parse_or_fail(text in texty()) {
        let _ = crate::http::Allowlist::parse([text.as_str()]);
    }

    #[test]
    fn options_json_parses_or_fails(json in json_value(3)) {
        let text = json.to_string();
        if let Ok(layer) = options::from_scenario(&text) {
            let _ = options::resolve(&layer);
        }
    }

    #[test]
    fn signatures_are_read_or_refused(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let mut module = b"\\0asm\\x0d\\0\\x01\\0".to_vec();
        module.extend_from_slice(&bytes);
        let _ = crate::signing::signers(&module, None);
        let _ = crate::signing::signers(&bytes, None);
        let _ = crate::signing::signers(&module, Some(&bytes));
    }
}

/// JSON shaped like options: objects with k6's keys and odd values.
fn json_value(depth: u32) -> impl Strategy<Value = serde_json::Value> {
    let keys = prop_oneof![
        Just("vus"),
        Just("duration"),
        Just("iterations"),
        Just("stages"),
        Just("scenarios"),
        Just("thresholds"),
        Just("executor"),
        Just("rate"),
        Just("timeUnit"),
        Just("target"),
        Just("tags"),
        Just("systemTags"),
        Just("allowHosts"),
        Just("maxIterationCpu"),
        Just("preAllocatedVUs"),
        Just("maxVUs"),
        Just("startTime"),
        Just("gracefulStop"),
    ];
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(|f| serde_json::json!(f)),
        "[0-9a-z()<>=. ]{0,12}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(depth, 32, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            proptest::collection::vec((keys.clone(), inner), 0..5).prop_map(|pairs| {
                serde_json::Value::Object(
                    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
                )
            }),
        ]
    })
}
