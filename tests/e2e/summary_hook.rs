//! The scenario's `handle-summary`: its reports replace or join the
//! built-in summary, a failing hook falls back to the built-in one, and
//! its files cannot leave the directory Barrage runs in.

use std::time::Duration;

use barrage_tests::{Run, Server, command, finish, guest, scratch};

const LIMIT: Duration = Duration::from_secs(60);

/// Runs `misbehave` for 5 iterations in a fresh directory, with `env`.
fn run_in(name: &str, server: &Server, env: &[&str]) -> (Run, std::path::PathBuf) {
    let dir = scratch(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let wasm = guest("misbehave");
    let target = format!("TARGET={}", server.url());
    let mut args = vec![
        "run",
        wasm.to_str().unwrap(),
        "-q",
        "--iterations",
        "5",
        "-e",
        &target,
    ];
    for e in env {
        args.extend(["-e", e]);
    }
    let child = command(&args).current_dir(&dir).spawn().unwrap();
    (finish(child, LIMIT), dir)
}

#[test]
fn the_hook_replaces_the_summary_and_writes_its_reports() {
    let server = Server::start();
    let (run, dir) = run_in(
        "hook-replace",
        &server,
        &["SUMMARY_REPLACE=1", "SUMMARY_FILE=reports/summary.json"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "custom summary: 5 requests\n");
    let text = std::fs::read_to_string(dir.join("reports/summary.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["metrics"]["http_reqs"]["count"], 5.0);
    assert_eq!(server.requests(), 5);
}

#[test]
fn the_hook_may_keep_the_built_in_summary() {
    let server = Server::start();
    let (run, dir) = run_in("hook-keep", &server, &["SUMMARY_FILE=summary.json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("TOTAL RESULTS"), "{}", run.stdout);
    assert!(dir.join("summary.json").exists());
}

#[test]
fn a_failing_hook_falls_back_to_the_built_in_summary() {
    let server = Server::start();
    for (phase_env, message) in [
        (
            "ERR_IN=summary",
            "handle-summary failed: planned failure in summary",
        ),
        (
            "TRAP_IN=summary",
            "handle-summary failed: the guest trapped",
        ),
    ] {
        let (run, _) = run_in("hook-fails", &server, &[phase_env, "SUMMARY_REPLACE=1"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(run.stderr.contains(message), "{}", run.stderr);
        assert!(
            run.stderr.contains("the built-in summary follows"),
            "{}",
            run.stderr
        );
        assert!(run.stdout.contains("TOTAL RESULTS"), "{}", run.stdout);
    }
}

#[test]
fn the_hook_cannot_write_outside_the_directory() {
    let server = Server::start();
    for path in ["../escape.txt", "/tmp/barrage-escape.txt"] {
        let (run, dir) = run_in("hook-escape", &server, &[&format!("SUMMARY_FILE={path}")]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(
            run.stderr.contains(&format!(
                "handle-summary: cannot write `{path}`: only relative paths inside the current \
                 directory are written"
            )),
            "{}",
            run.stderr
        );
        assert!(!dir.join(path).exists(), "{path} was written");
        assert!(run.stdout.contains("TOTAL RESULTS"), "{}", run.stdout);
    }
}
