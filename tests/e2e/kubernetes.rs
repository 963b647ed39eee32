//! The Kubernetes deployment in `deploy/kubernetes`: its manifests
//! against the API's schemas, offline, and the script with which each
//! pod of the run Job finds its execution segment, run by `sh` with a
//! stand-in for `barrage`.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use barrage_tests::{Run, finish, scratch, workspace};

const LIMIT: Duration = Duration::from_secs(30);
const START_AT: &str = "2026-12-04T12:00:00Z";

fn deploy() -> PathBuf {
    workspace().join("deploy").join("kubernetes")
}

#[test]
fn manifests_validate_offline() {
    let script = deploy().join("validate.sh");
    let out = Command::new("bash")
        .arg(&script)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{} failed ({}):\nstdout:\n{}\nstderr:\n{}",
        script.display(),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The objects of a manifest, as JSON: PyYAML reads the YAML (it comes
/// with kubernetes-validate, which `tests/toolchains.sh` installs).
fn objects(file: &str) -> Vec<serde_json::Value> {
    const TO_JSON: &str = "import json, sys, yaml; \
        print(json.dumps([o for o in yaml.safe_load_all(open(sys.argv[1])) if o]))";
    let path = deploy().join(file);
    let out = Command::new("python3")
        .args(["-c", TO_JSON])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python3 could not read {} (run tests/toolchains.sh): {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    json.as_array().unwrap().clone()
}

/// The `sh -c` script of the `barrage` container of each run Job (the
/// Indexed Jobs of `job-run.yaml` and `job-run-oci.yaml`), by Job name.
fn run_scripts() -> Vec<(String, String)> {
    let mut scripts = Vec::new();
    for file in ["job-run.yaml", "job-run-oci.yaml"] {
        for job in objects(file) {
            if job["kind"] != "Job" || job["spec"]["completionMode"] != "Indexed" {
                continue;
            }
            let name = job["metadata"]["name"].as_str().unwrap().to_owned();
            let containers = job["spec"]["template"]["spec"]["containers"]
                .as_array()
                .unwrap();
            let barrage = containers
                .iter()
                .find(|c| c["name"] == "barrage")
                .unwrap_or_else(|| panic!("{name} has no container named barrage"));
            let command = &barrage["command"];
            assert_eq!(command[0], "/bin/sh", "{name}");
            assert_eq!(command[1], "-c", "{name}");
            let script = command[2].as_str().unwrap().to_owned();
            scripts.push((name, script));
        }
    }
    assert_eq!(
        scripts.len(),
        3,
        "barrage-run, barrage-run-image, barrage-run-copy"
    );
    scripts
}

/// Stands in for the `barrage` binary: a shell function, which `sh`
/// finds before any file on PATH. It prints its arguments one a line
/// and returns $FAKE_EXIT; with $FAKE_READY set, it makes that file
/// instead and waits for SIGTERM, on which it exits 105 as barrage does.
const FAKE_BARRAGE: &str = r#"barrage() {
    printf '%s\n' "$@"
    if [ -n "${FAKE_READY:-}" ]; then
        trap 'echo terminated; exit 105' TERM
        : > "$FAKE_READY"
        n=0
        while [ "$n" -lt 60 ]; do
            sleep 1 >/dev/null 2>&1 &
            wait "$!"
            n=$((n + 1))
        done
        return 1
    fi
    return "${FAKE_EXIT:-0}"
}
"#;

/// A run pod: `script` as its container runs it (`sh -c SCRIPT
/// barrage-run ARGS...`), with only PATH and `env` in its environment.
fn pod(script: &str, env: &[(&str, &str)], args: &[&str]) -> Command {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!("{FAKE_BARRAGE}{script}"))
        .arg("barrage-run")
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

fn run_pod(script: &str, env: &[(&str, &str)], args: &[&str]) -> Run {
    finish(pod(script, env, args).spawn().unwrap(), LIMIT)
}

/// The value after `flag` in the arguments `barrage` was given.
fn value<'a>(args: &[&'a str], flag: &str) -> &'a str {
    let at = args
        .iter()
        .position(|a| *a == flag)
        .unwrap_or_else(|| panic!("{flag} missing in {args:?}"));
    args.get(at + 1)
        .copied()
        .unwrap_or_else(|| panic!("{flag} has no value in {args:?}"))
}

#[test]
fn each_run_pod_computes_its_segment() {
    let sequence = "0,1/3,2/3,1";
    for (job, script) in run_scripts() {
        for (index, segment) in [("0", "0:1/3"), ("1", "1/3:2/3"), ("2", "2/3:1")] {
            let env = [
                ("INSTANCES", "3"),
                ("JOB_COMPLETION_INDEX", index),
                ("START_AT", START_AT),
            ];
            let run = run_pod(&script, &env, &["--vus", "7"]);
            assert_eq!(run.code, 0, "{job}, pod {index}: {}", run.stderr);
            let args: Vec<&str> = run.stdout.lines().collect();
            assert!(
                args.starts_with(&["run", "/scenario/test.wasm"]),
                "{args:?}"
            );
            assert_eq!(value(&args, "--execution-segment"), segment, "{job}");
            assert_eq!(
                value(&args, "--execution-segment-sequence"),
                sequence,
                "{job}"
            );
            assert_eq!(value(&args, "--start-at"), START_AT, "{job}");
            assert_eq!(value(&args, "--setup-data"), "/shared/setup.json", "{job}");
            assert_eq!(
                value(&args, "--out"),
                format!("result=/results/part-{index}.bres"),
                "{job}"
            );
            assert!(args.contains(&"--no-setup"), "{args:?}");
            assert!(args.contains(&"--no-teardown"), "{args:?}");
            // The Job's own `args` come last, as given.
            assert!(args.ends_with(&["--vus", "7"]), "{args:?}");
            // The pod's log says which share it runs.
            let said =
                format!("--execution-segment {segment} --execution-segment-sequence {sequence}");
            assert!(run.stderr.contains(&said), "{job}: {}", run.stderr);
        }
    }
}

#[test]
fn segments_for_other_numbers_of_pods() {
    let scripts = run_scripts();
    let (_, script) = &scripts[0];
    let cases = [
        ("1", "0", "0:1", "0,1"),
        ("2", "1", "1/2:1", "0,1/2,1"),
        ("4", "0", "0:1/4", "0,1/4,2/4,3/4,1"),
        ("4", "2", "2/4:3/4", "0,1/4,2/4,3/4,1"),
        (
            "12",
            "11",
            "11/12:1",
            "0,1/12,2/12,3/12,4/12,5/12,6/12,7/12,8/12,9/12,10/12,11/12,1",
        ),
    ];
    for (instances, index, segment, sequence) in cases {
        let env = [
            ("INSTANCES", instances),
            ("JOB_COMPLETION_INDEX", index),
            ("START_AT", START_AT),
        ];
        let run = run_pod(script, &env, &[]);
        assert_eq!(run.code, 0, "{instances} pods, pod {index}: {}", run.stderr);
        let args: Vec<&str> = run.stdout.lines().collect();
        assert_eq!(value(&args, "--execution-segment"), segment);
        assert_eq!(value(&args, "--execution-segment-sequence"), sequence);
    }
}

#[test]
fn a_run_pod_leaves_the_verdict_to_the_merge() {
    let scripts = run_scripts();
    let (_, script) = &scripts[0];
    // barrage's exit code, and the pod's: a threshold crossed in one
    // share is judged again by `barrage merge` over the whole test.
    for (exit, expected) in [
        ("0", 0),
        ("99", 0),
        ("105", 105),
        ("107", 107),
        ("137", 137),
    ] {
        let env = [
            ("INSTANCES", "3"),
            ("JOB_COMPLETION_INDEX", "1"),
            ("START_AT", START_AT),
            ("FAKE_EXIT", exit),
        ];
        let run = run_pod(script, &env, &[]);
        assert_eq!(run.code, expected, "barrage exited {exit}: {}", run.stderr);
    }
}

#[test]
fn a_run_pod_refuses_a_wrong_configuration() {
    let scripts = run_scripts();
    let (_, script) = &scripts[0];
    let cases: [&[(&str, &str)]; 6] = [
        // More pods than instances: INSTANCES is not the completions.
        &[
            ("INSTANCES", "3"),
            ("JOB_COMPLETION_INDEX", "3"),
            ("START_AT", START_AT),
        ],
        &[
            ("INSTANCES", "0"),
            ("JOB_COMPLETION_INDEX", "0"),
            ("START_AT", START_AT),
        ],
        &[
            ("INSTANCES", "three"),
            ("JOB_COMPLETION_INDEX", "0"),
            ("START_AT", START_AT),
        ],
        &[("JOB_COMPLETION_INDEX", "0"), ("START_AT", START_AT)],
        // Not an Indexed Job.
        &[("INSTANCES", "3"), ("START_AT", START_AT)],
        &[("INSTANCES", "3"), ("JOB_COMPLETION_INDEX", "0")],
    ];
    for env in cases {
        let run = run_pod(script, env, &[]);
        // 104, bad options: the Job's podFailurePolicy stops every pod.
        assert_eq!(run.code, 104, "{env:?}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "barrage ran with {env:?}");
        assert!(
            run.stderr.contains("barrage-run: "),
            "{env:?}: {}",
            run.stderr
        );
    }
}

#[test]
fn a_run_pod_passes_sigterm_on_to_barrage() {
    let scripts = run_scripts();
    let (_, script) = &scripts[0];
    let ready = scratch("kubernetes-ready");
    let _ = std::fs::remove_file(&ready);
    let env = [
        ("INSTANCES", "3"),
        ("JOB_COMPLETION_INDEX", "1"),
        ("START_AT", START_AT),
        ("FAKE_READY", ready.to_str().unwrap()),
    ];
    let mut child = pod(script, &env, &[]).spawn().unwrap();
    let deadline = Instant::now() + LIMIT;
    while !ready.exists() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the stand-in barrage did not start");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    assert!(status.is_ok_and(|s| s.success()));
    let run = finish(child, LIMIT);
    // barrage got the signal, and the pod exits with barrage's code.
    assert!(run.stdout.contains("terminated"), "{}", run.stdout);
    assert_eq!(run.code, 105, "{}", run.stderr);
}
