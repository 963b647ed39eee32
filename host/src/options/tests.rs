use super::*;

fn plan_of(json: &str) -> Plan {
    let layer = from_scenario(json).expect("valid");
    resolve(&layer).expect("valid").plan
}

fn error_of(json: &str) -> String {
    from_scenario(json).unwrap_err().message
}

#[test]
fn a_k6_scenarios_block_becomes_the_plan() {
    let plan = plan_of(
        r#"{"scenarios": {
            "browse": {"executor": "per-vu-iterations", "vus": 2, "iterations": 3,
                       "gracefulStop": "5s", "tags": {"kind": "read"}},
            "checkout": {"executor": "constant-arrival-rate", "rate": 50, "timeUnit": "1m",
                         "duration": "2m", "preAllocatedVUs": 4, "maxVUs": 9,
                         "startTime": "30s", "exec": "buy", "env": {"SKU": "x"}}
        }}"#,
    );
    let [browse, checkout] = &plan.scenarios[..] else {
        panic!("two scenarios: {plan:?}");
    };
    assert_eq!(browse.name, "browse");
    assert_eq!(browse.graceful_stop, Duration::from_secs(5));
    assert_eq!(browse.tags["kind"], "read");
    assert_eq!(
        checkout.executor,
        Executor::ConstantArrivalRate {
            rate: 50,
            time_unit: Duration::from_secs(60),
            duration: Duration::from_secs(120),
            pre_allocated_vus: 4,
            max_vus: 9,
        }
    );
    assert_eq!(checkout.start_time, Duration::from_secs(30));
    assert_eq!(checkout.exec, "buy");
    assert_eq!(checkout.env["SKU"], "x");
    assert_eq!(plan.initial_vus(), 6);
    assert_eq!(plan.max_vus(), 11);
}

#[test]
fn every_executor_reads_its_k6_options() {
    let plan = plan_of(
        r#"{"scenarios": {
            "a": {"executor": "ramping-vus", "startVUs": 0, "gracefulRampDown": "10s",
                  "stages": [{"duration": "30s", "target": 10}, {"duration": 0, "target": 3}]},
            "b": {"executor": "ramping-arrival-rate", "startRate": 5, "preAllocatedVUs": 2,
                  "stages": [{"duration": "1m", "target": 100}]},
            "c": {"executor": "shared-iterations", "vus": 2, "iterations": 10, "maxDuration": "1m"},
            "d": {"executor": "constant-vus", "vus": 3, "duration": 1500}
        }}"#,
    );
    let executors: Vec<_> = plan.scenarios.iter().map(|s| s.executor.clone()).collect();
    assert_eq!(
        executors,
        vec![
            Executor::RampingVus {
                start_vus: 0,
                stages: vec![
                    Stage {
                        duration: Duration::from_secs(30),
                        target: 10
                    },
                    Stage {
                        duration: Duration::ZERO,
                        target: 3
                    }
                ],
                graceful_ramp_down: Duration::from_secs(10),
            },
            Executor::RampingArrivalRate {
                start_rate: 5,
                time_unit: DEFAULT_TIME_UNIT,
                stages: vec![Stage {
                    duration: Duration::from_secs(60),
                    target: 100
                }],
                pre_allocated_vus: 2,
                max_vus: 2,
            },
            Executor::SharedIterations {
                vus: 2,
                iterations: 10,
                max_duration: Duration::from_secs(60),
            },
            Executor::ConstantVus {
                vus: 3,
                duration: Duration::from_millis(1500),
            },
        ]
    );
}

#[test]
fn bad_fields_are_named_by_their_path() {
    let cases = [
        (
            r#"{"scenarios": {"checkout": {"executor": "constant-arrival-rate", "rate": -5,
                "duration": "1m", "preAllocatedVUs": 1}}}"#,
            "scenarios.checkout.rate: expected a positive whole number, got -5",
        ),
        (
            r#"{"scenarios": {"x": {"executor": "warp"}}}"#,
            "scenarios.x.executor: unknown executor `warp` (expected shared-iterations, \
             per-vu-iterations, constant-vus, ramping-vus, constant-arrival-rate or \
             ramping-arrival-rate)",
        ),
        (
            r#"{"scenarios": {"x": {"vus": 1}}}"#,
            "scenarios.x.executor: is required (one of shared-iterations, per-vu-iterations, \
             constant-vus, ramping-vus, constant-arrival-rate or ramping-arrival-rate)",
        ),
        (
            r#"{"scenarios": {"x": {"executor": "constant-vus"}}}"#,
            "scenarios.x.duration: is required",
        ),
        (
            r#"{"scenarios": {"x": {"executor": "constant-vus", "duration": "1m", "rate": 5}}}"#,
            "scenarios.x.rate: not an option of the `constant-vus` executor",
        ),
        (
            r#"{"scenarios": {"x": {"executor": "constant-vus", "duraton": "1m"}}}"#,
            "scenarios.x.duraton: unknown option (did you mean `duration`?)",
        ),
        (
            r#"{"scenarios": {"x": {"executor": "ramping-vus", "stages": [{"duration": "1m"}]}}}"#,
            "scenarios.x.stages[0].target: is required",
        ),
        (
            r#"{"scenarios": {"x": {"executor": "ramping-vus", "stages": []}}}"#,
            "scenarios.x.stages: needs at least one stage",
        ),
        (
            r#"{"scenarios": {"x": {"executor": "constant-arrival-rate", "rate": 5,
                "duration": "1m", "preAllocatedVUs": 5, "maxVUs": 2}}}"#,
            "scenarios.x.maxVUs: 2 is fewer than the 5 pre-allocated VUs",
        ),
        (
            r#"{"scenarios": {"x": {"executor": "shared-iterations", "vus": 5, "iterations": 2}}}"#,
            "scenarios.x.vus: 5 VUs cannot share only 2 iterations",
        ),
        (
            r#"{"scenarios": {"x": {"executor": "constant-vus", "duration": "1m",
                "env": {"A": 1}}}}"#,
            "scenarios.x.env.A: expected a string, got 1",
        ),
        (
            r#"{"scenarios": {"a b": {"executor": "constant-vus", "duration": "1m"}}}"#,
            "scenarios.a b: a scenario name may only hold letters, digits, `_` and `-`",
        ),
        (
            r#"{"vus": "many"}"#,
            "vus: expected a whole number, got \"many\"",
        ),
        (
            r#"{"duraton": "1m"}"#,
            "duraton: unknown option (did you mean `duration`?)",
        ),
        (
            r#"{"noSetup": "yes"}"#,
            "noSetup: expected true or false, got \"yes\"",
        ),
        (
            r#"{"duration": "1m", "scenarios": {"x": {"executor": "constant-vus", "duration": "1m"}}}"#,
            "duration: cannot be given with `scenarios` in the same source; put it in the \
             scenario, or give it on the command line to replace them",
        ),
    ];
    for (json, expected) in cases {
        assert_eq!(error_of(json), expected, "{json}");
    }
    assert!(
        error_of(r#"{"duration": "soon"}"#).starts_with("duration: invalid duration `soon`"),
        "{}",
        error_of(r#"{"duration": "soon"}"#)
    );
}

#[test]
fn shortcuts_choose_the_executor() {
    let r = |layer: Layer| resolve(&layer).map(|r| r.plan.scenarios[0].executor.clone());
    let secs = |s| Some(Duration::from_secs(s));
    assert_eq!(
        r(Layer {
            vus: Some(3),
            duration: secs(10),
            ..Layer::default()
        }),
        Ok(Executor::ConstantVus {
            vus: 3,
            duration: Duration::from_secs(10)
        })
    );
    assert!(matches!(
        r(Layer {
            vus: Some(2),
            iterations: Some(8),
            ..Layer::default()
        }),
        Ok(Executor::SharedIterations { iterations: 8, .. })
    ));
    assert!(matches!(
        r(Layer::default()),
        Ok(Executor::SharedIterations {
            vus: 1,
            iterations: 1,
            ..
        })
    ));
    let stages = vec![
        parse_stage("30s:100").unwrap(),
        parse_stage("1m:0").unwrap(),
    ];
    assert_eq!(
        r(Layer {
            stages: Some(stages.clone()),
            ..Layer::default()
        }),
        Ok(Executor::RampingVus {
            start_vus: 1,
            stages: stages.clone(),
            graceful_ramp_down: Duration::from_secs(30)
        })
    );
    assert_eq!(
        r(Layer {
            rate: Some(500),
            duration: secs(60),
            pre_allocated_vus: Some(50),
            ..Layer::default()
        }),
        Ok(Executor::ConstantArrivalRate {
            rate: 500,
            time_unit: DEFAULT_TIME_UNIT,
            duration: Duration::from_secs(60),
            pre_allocated_vus: 50,
            max_vus: 50,
        })
    );
    assert!(matches!(
        r(Layer {
            rate: Some(5),
            stages: Some(stages.clone()),
            vus: Some(2),
            max_vus: Some(10),
            ..Layer::default()
        }),
        Ok(Executor::RampingArrivalRate {
            start_rate: 5,
            pre_allocated_vus: 2,
            max_vus: 10,
            ..
        })
    ));
    let err = |layer: Layer| r(layer).unwrap_err().to_string();
    assert_eq!(
        err(Layer {
            vus: Some(0),
            duration: secs(1),
            ..Layer::default()
        }),
        "vus: must be at least 1"
    );
    assert_eq!(
        err(Layer {
            rate: Some(5),
            duration: secs(1),
            ..Layer::default()
        }),
        "preAllocatedVUs: is required with `rate` (or give `vus`)"
    );
    assert_eq!(
        err(Layer {
            stages: Some(stages),
            duration: secs(1),
            ..Layer::default()
        }),
        "stages: cannot be combined with `duration`; use `scenarios` for a custom mix"
    );
}

#[test]
fn sources_override_in_k6_order() {
    let scenario = from_scenario(r#"{"vus": 5, "duration": "1m", "iterations": 10}"#);
    let env = from_env(|k| (k == "BARRAGE_VUS").then(|| "7".to_owned()));
    let flags = Layer {
        duration: Some(Duration::from_secs(5)),
        ..Layer::default()
    };
    let merged = scenario
        .expect("valid")
        .overlay(&env.unwrap())
        .overlay(&flags);
    assert_eq!(merged.vus, Some(7));
    assert_eq!(merged.duration, Some(Duration::from_secs(5)));
    assert_eq!(merged.iterations, Some(10));
}

#[test]
fn a_higher_shortcut_replaces_lower_scenarios_and_back() {
    let scenarios =
        from_scenario(r#"{"scenarios": {"x": {"executor": "per-vu-iterations", "vus": 2}}}"#)
            .unwrap();
    let flags = Layer {
        vus: Some(4),
        duration: Some(Duration::from_secs(1)),
        ..Layer::default()
    };
    let plan = resolve(&scenarios.clone().overlay(&flags)).unwrap().plan;
    assert_eq!(plan.scenarios[0].name, "default");
    assert!(matches!(
        plan.scenarios[0].executor,
        Executor::ConstantVus { vus: 4, .. }
    ));
    // A config file's scenarios replace the scenario's own shortcuts.
    let plan = resolve(&flags.overlay(&scenarios)).unwrap().plan;
    assert_eq!(plan.scenarios[0].name, "x");
}

#[test]
fn config_files_may_be_toml_or_json() {
    let dir = std::env::temp_dir().join(format!("barrage-options-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let toml = dir.join("load.toml");
    std::fs::write(
        &toml,
        "setupTimeout = \"10s\"\n[scenarios.api]\nexecutor = \"constant-vus\"\nvus = 2\n\
         duration = \"5s\"\n",
    )
    .unwrap();
    let layer = from_file(&toml).unwrap();
    assert_eq!(layer.setup_timeout, Some(Duration::from_secs(10)));
    assert_eq!(layer.scenarios.unwrap()[0].name, "api");
    let json = dir.join("load.json");
    std::fs::write(&json, r#"{"scenarios": {"api": {"executor": "nope"}}}"#).unwrap();
    let err = from_file(&json).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!(
            "invalid options from `{}`: scenarios.api.executor: unknown executor `nope`",
            json.display()
        )),
        "{err}"
    );
    let missing = from_file(&dir.join("none.json")).unwrap_err().to_string();
    assert!(missing.contains("cannot read it"), "{missing}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn env_options_are_checked_too() {
    let err = from_env(|k| (k == "BARRAGE_STAGES").then(|| "30s:10,1m".to_owned())).unwrap_err();
    assert_eq!(err.source_name, "`BARRAGE_STAGES`");
    assert_eq!(
        err.message,
        "invalid stage `1m`: expected DURATION:TARGET, e.g. `30s:100`"
    );
    let layer = from_env(|k| (k == "BARRAGE_NO_SETUP").then(|| "true".to_owned())).unwrap();
    assert_eq!(layer.no_setup, Some(true));
    let off = |v: &str| {
        let v = v.to_owned();
        from_env(move |k| (k == "BARRAGE_NO_THRESHOLDS").then(|| v.clone()))
            .unwrap()
            .thresholds
    };
    assert_eq!(off("true"), Some(Vec::new()));
    assert_eq!(off("false"), None);
}

#[test]
fn thresholds_read_both_of_k6_forms_and_name_bad_fields() {
    let layer = super::parse::layer(
        &serde_json::from_str(
            r#"{"thresholds": {"http_req_duration": ["p(95)<500",
                {"threshold": "avg<200", "abortOnFail": true, "delayAbortEval": "10s"}],
                "checks": "rate>0.99"}}"#,
        )
        .unwrap(),
    )
    .unwrap();
    let thresholds = layer.thresholds.unwrap();
    let shown: Vec<(&str, &str, bool, Duration)> = thresholds
        .iter()
        .map(|t| {
            (
                t.metric.as_str(),
                t.source.as_str(),
                t.abort_on_fail,
                t.delay_abort_eval,
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            ("checks", "rate>0.99", false, Duration::ZERO),
            ("http_req_duration", "p(95)<500", false, Duration::ZERO),
            (
                "http_req_duration",
                "avg<200",
                true,
                Duration::from_secs(10)
            ),
        ]
    );
    assert_eq!(
        error_of(
            r#"{"thresholds": {"http_req_duration": [{"threshold": "avg<1", "abort": true}]}}"#
        ),
        "thresholds.http_req_duration[0].abort: unknown option"
    );
    assert_eq!(
        error_of(r#"{"thresholds": {"http_req_duration": 5}}"#),
        "thresholds.http_req_duration: expected a list of thresholds, got 5"
    );
    assert_eq!(
        error_of(r#"{"thresholds": {"bad name": ["avg<1"]}}"#),
        "thresholds.bad name: not a metric name (expected e.g. `http_req_duration` or \
         `http_req_duration{status:200}`)"
    );
    assert_eq!(
        error_of(r#"{"thresholds": {"http_req_duration{status}": ["avg<1"]}}"#),
        "thresholds.http_req_duration{status}: `status` in `http_req_duration{status}` is not \
         `key:value`"
    );
}

#[test]
fn tags_and_system_tags_come_from_any_source() {
    let layer = super::from_scenario(
        r#"{"tags": {"team": "shop"}, "systemTags": ["status", "name", "vu"]}"#,
    )
    .unwrap();
    let resolved = super::resolve(&layer).unwrap();
    assert_eq!(resolved.tags.test, [("team".to_owned(), "shop".to_owned())]);
    assert_eq!(resolved.tags.system.to_string(), "status,name,vu");
    let env = super::from_env(|k| (k == "BARRAGE_SYSTEM_TAGS").then(|| "method".into())).unwrap();
    let over = super::resolve(&layer.overlay(&env)).unwrap();
    assert_eq!(over.tags.system.to_string(), "method");
    assert_eq!(
        error_of(r#"{"systemTags": ["status", "stauts"]}"#),
        format!(
            "systemTags: unknown system tag `stauts` (known: {})",
            "proto, status, method, url, name, group, check, error, error_code, scenario, \
             expected_response, vu, iter"
        )
    );
    assert_eq!(
        error_of(r#"{"tags": {"team": 1}}"#),
        "tags.team: expected a string, got 1"
    );
}

#[test]
fn sandbox_limits_come_from_any_source() {
    let layer = super::from_scenario(
        r#"{"maxVuMemory": "64MiB", "maxIterationCpu": "5s", "allowHosts": ["*.test"]}"#,
    )
    .unwrap();
    let resolved = super::resolve(&layer).unwrap();
    assert_eq!(resolved.max_vu_memory, 64 << 20);
    assert_eq!(
        resolved.max_iteration_cpu,
        std::time::Duration::from_secs(5)
    );
    assert!(!resolved.allow_hosts.is_empty());
    let bytes = super::from_scenario(r#"{"maxVuMemory": 1048576}"#).unwrap();
    assert_eq!(super::resolve(&bytes).unwrap().max_vu_memory, 1 << 20);
    let env = super::from_env(|k| (k == "BARRAGE_MAX_VU_MEMORY").then(|| "1GiB".into())).unwrap();
    assert_eq!(super::resolve(&env).unwrap().max_vu_memory, 1 << 30);
    assert_eq!(
        error_of(r#"{"maxVuMemory": "lots"}"#),
        "maxVuMemory: `lots` is not a size: write e.g. `64MiB`, `512KB` or a number of bytes"
    );
    assert_eq!(
        error_of(r#"{"allowHosts": ["http://x/"]}"#),
        "allowHosts: `http://x/` is not a host pattern: give a host and an optional port only"
    );
}

#[test]
fn an_execution_segment_scales_the_plan_to_this_instances_share() {
    let json = |segment: &str| {
        format!(
            r#"{{"scenarios": {{
                "a": {{"executor": "shared-iterations", "vus": 3, "iterations": 10}},
                "b": {{"executor": "per-vu-iterations", "vus": 5, "iterations": 2}},
                "c": {{"executor": "constant-arrival-rate", "rate": 9, "duration": "1m",
                       "preAllocatedVUs": 3, "maxVUs": 6}}
            }}, "executionSegment": "{segment}", "executionSegmentSequence": "0,1/3,2/3,1"}}"#
        )
    };
    let shares: Vec<Plan> = ["0:1/3", "1/3:2/3", "2/3:1"]
        .iter()
        .map(|s| plan_of(&json(s)))
        .collect();
    let total = |f: fn(&Executor) -> u64, i: usize| -> u64 {
        shares.iter().map(|p| f(&p.scenarios[i].executor)).sum()
    };
    let iterations = |e: &Executor| match e {
        Executor::SharedIterations { iterations, .. } => *iterations,
        _ => 0,
    };
    assert_eq!(total(iterations, 0), 10);
    assert_eq!(total(|e| u64::from(e.max_vus()), 0), 3);
    assert_eq!(total(|e| u64::from(e.max_vus()), 1), 5);
    assert_eq!(total(|e| u64::from(e.initial_vus()), 2), 3);
    assert_eq!(total(|e| u64::from(e.max_vus()), 2), 6);
    // Each of the three shared-iterations VUs went to one instance, with
    // the iterations it would have run in the whole test (4, 3, 3).
    let mut split: Vec<u64> = shares
        .iter()
        .map(|p| iterations(&p.scenarios[0].executor))
        .collect();
    split.sort_unstable();
    assert_eq!(split, vec![3, 3, 4]);
    assert_eq!(shares[1].segment.to_string(), "1/3:2/3");
    // Two VUs over three instances: one instance has no VU, and so no
    // iterations; the other two run all ten.
    let few: Vec<(u32, u64)> = ["0:1/3", "1/3:2/3", "2/3:1"]
        .iter()
        .map(|s| {
            let plan = plan_of(&format!(
                r#"{{"vus": 2, "iterations": 10, "executionSegment": "{s}",
                    "executionSegmentSequence": "0,1/3,2/3,1"}}"#
            ));
            let e = &plan.scenarios[0].executor;
            (e.max_vus(), iterations(e))
        })
        .collect();
    assert_eq!(few.iter().map(|(v, _)| v).sum::<u32>(), 2);
    assert_eq!(few.iter().map(|(_, i)| i).sum::<u64>(), 10);
    assert!(few.iter().all(|&(v, i)| (v == 0) == (i == 0)), "{few:?}");

    let env = from_env(|k| match k {
        "BARRAGE_EXECUTION_SEGMENT" => Some("1/2:1".into()),
        "BARRAGE_EXECUTION_SEGMENT_SEQUENCE" => Some("0,1/2,1".into()),
        _ => None,
    })
    .expect("valid");
    let layer = from_scenario(r#"{"vus": 4, "duration": "10s"}"#)
        .expect("valid")
        .overlay(&env);
    let plan = resolve(&layer).expect("valid").plan;
    assert_eq!(plan.scenarios[0].executor.max_vus(), 2);

    assert!(error_of(r#"{"executionSegment": "2:3"}"#).contains("executionSegment"));
    let no_vus = json("2/3:1").replace(
        r#""preAllocatedVUs": 3, "maxVUs": 6"#,
        r#""preAllocatedVUs": 1, "maxVUs": 1"#,
    );
    let err = resolve(&from_scenario(&no_vus).expect("valid")).unwrap_err();
    assert!(err.to_string().contains("gets none of its 1 VUs"), "{err}");
    let alone =
        from_scenario(r#"{"vus": 2, "executionSegmentSequence": "0,1/2,1"}"#).expect("valid");
    assert!(
        resolve(&alone)
            .unwrap_err()
            .to_string()
            .contains("without `executionSegment`")
    );
}
