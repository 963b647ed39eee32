//! What the end-to-end tests share: the real `barrage` binary, the guest
//! components built from this workspace, and a real server on loopback.
//!
//! cargo builds the binary before the tests run; the guests are built on
//! first use with the same cargo, so `cargo test` alone is enough.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

pub use barrage::target::Target;

/// The workspace's target directory and the profile the tests run in.
fn target_dir() -> (PathBuf, &'static str) {
    let exe = std::env::current_exe().expect("the test binary has a path");
    // target/<profile>/deps/e2e-<hash>
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("inside target/<profile>/deps");
    let profile = if profile_dir.ends_with("release") {
        "release"
    } else {
        "debug"
    };
    let target = profile_dir.parent().expect("inside target/").to_path_buf();
    (target, profile)
}

fn cargo(args: &[&str]) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let (target, _) = target_dir();
    let status = Command::new(cargo)
        .args(args)
        .arg("--target-dir")
        .arg(&target)
        .arg("--quiet")
        .status()
        .expect("cargo runs");
    assert!(status.success(), "`cargo {}` failed", args.join(" "));
}

/// The `barrage` binary. The e2e tests are a test target of the `barrage`
/// package, so cargo has built it, with the tests' own features, before
/// they run.
pub fn binary() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let (target, profile) = target_dir();
        let bin = target.join(profile).join("barrage");
        assert!(
            bin.exists(),
            "`{}` is missing: run the tests with `cargo test`",
            bin.display()
        );
        bin
    })
}

/// A guest component of the workspace (`hello`, `flow`, `misbehave`),
/// built once per test run.
pub fn guest(name: &str) -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let dir = BUILT.get_or_init(|| {
        let installed = Command::new("rustup")
            .args(["target", "list", "--installed"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).contains("wasm32-wasip2"))
            .unwrap_or(true);
        assert!(
            installed,
            "the tests build guests: run `rustup target add wasm32-wasip2` first"
        );
        cargo(&[
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "-p",
            "hello",
            "-p",
            "flow",
            "-p",
            "misbehave",
        ]);
        target_dir().0.join("wasm32-wasip2").join("release")
    });
    dir.join(format!("{name}.wasm"))
}

/// A target server on 127.0.0.1 with its own runtime, for tests that
/// drive the binary synchronously.
pub struct Server {
    pub target: Target,
    _runtime: tokio::runtime::Runtime,
}

impl Server {
    pub fn start() -> Server {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        let target = runtime
            .block_on(Target::start(([127, 0, 0, 1], 0).into()))
            .expect("the target binds an ephemeral port");
        Server {
            target,
            _runtime: runtime,
        }
    }

    pub fn url(&self) -> String {
        self.target.url()
    }

    pub fn requests(&self) -> u64 {
        self.target.counts.requests()
    }

    /// Requests to `/count/{name}`, by name.
    pub fn named(&self) -> std::collections::BTreeMap<String, u64> {
        self.target.counts.named()
    }
}

/// A finished run of the binary.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub took: Duration,
}

/// `barrage` with `args`, killed if it runs longer than `limit`.
pub fn barrage(args: &[&str], limit: Duration) -> Run {
    let child = command(args).spawn().expect("barrage starts");
    finish(child, limit)
}

/// A command for the binary, with a private compile cache and no colour.
pub fn command(args: &[&str]) -> Command {
    let mut cmd = Command::new(binary());
    cmd.args(args)
        .env("BARRAGE_CACHE_DIR", cache_dir())
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

fn cache_dir() -> PathBuf {
    target_dir().0.join("e2e-cache")
}

/// Waits for `child` at most `limit`, then kills it and fails the test.
pub fn finish(mut child: Child, limit: Duration) -> Run {
    let start = Instant::now();
    loop {
        if child.try_wait().expect("waitable").is_some() {
            break;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "barrage ran past {limit:?}\nstdout:\n{}\nstderr:\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let took = start.elapsed();
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().expect("output");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        took,
    }
}

/// Runs `guest` against `server` (`-e TARGET=... -e SLEEP=0 -q`) with
/// `extra` arguments, exporting the summary; returns the run and the
/// export, `Null` when none was written.
pub fn run_against(guest_name: &str, server: &Server, extra: &[&str]) -> (Run, serde_json::Value) {
    run_component(&guest(guest_name), server, extra)
}

/// A fresh path for a file the test writes.
pub fn scratch(name: &str) -> PathBuf {
    let dir = target_dir().0.join("e2e-scratch");
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir.join(format!("{}-{name}", std::process::id()))
}

/// Reads a `--summary-export` file.
pub fn export(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).expect("the summary export exists");
    serde_json::from_str(&text).expect("the summary export is JSON")
}

/// A metric field of an export, e.g. `metric(&j, "http_reqs", "count")`.
pub fn metric(export: &serde_json::Value, name: &str, field: &str) -> f64 {
    export["metrics"][name][field]
        .as_f64()
        .unwrap_or_else(|| panic!("metrics.{name}.{field} missing in {export:#}"))
}

/// Like [`raw_server`], and counts the bytes it read from all
/// connections (each request arrives in one read: they are small).
pub fn counting_raw_server(reply: &'static [u8], connections: usize) -> (String, Arc<AtomicU64>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    let read = Arc::new(AtomicU64::new(0));
    let counter = read.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(connections) {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 4096];
            let n = stream.read(&mut buf).unwrap_or(0);
            counter.fetch_add(n as u64, Ordering::SeqCst);
            let _ = stream.write_all(reply);
        }
    });
    (format!("http://{addr}/"), read)
}

/// A TCP server on 127.0.0.1 that answers every connection with `reply`
/// (raw bytes, not necessarily HTTP) and then closes it. Serves at most
/// `connections` connections, then stops.
pub fn raw_server(reply: &'static [u8], connections: usize) -> String {
    counting_raw_server(reply, connections).0
}

/// The workspace's root directory.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is inside the workspace")
        .to_path_buf()
}

/// A fresh copy of the project `path` (relative to the workspace) in the
/// scratch directory, as a clean checkout has it: without what builds
/// leave behind.
pub fn project_copy(path: &str) -> PathBuf {
    static COPIES: AtomicU64 = AtomicU64::new(0);
    let n = COPIES.fetch_add(1, Ordering::Relaxed);
    let name = Path::new(path).file_name().expect("a project name");
    let to = scratch(&format!("projects-{n}")).join(name);
    copy_tree(&workspace().join(path), &to);
    to
}

fn copy_tree(from: &Path, to: &Path) {
    const LEFT_OUT: [&str; 4] = [".barrage", "node_modules", "target", "__pycache__"];
    std::fs::create_dir_all(to).expect("a scratch project directory");
    for entry in std::fs::read_dir(from).expect("the project exists") {
        let entry = entry.expect("a directory entry");
        let name = entry.file_name();
        let path = entry.path();
        if LEFT_OUT.iter().any(|l| name == *l) || path.extension().is_some_and(|e| e == "wasm") {
            continue;
        }
        if entry.file_type().expect("a file type").is_dir() {
            copy_tree(&path, &to.join(&name));
        } else {
            std::fs::copy(&path, to.join(&name)).expect("a copied file");
        }
    }
}

/// The component `barrage build` makes of a clean copy of the project
/// `path`, built once per test run.
pub fn built(path: &'static str) -> PathBuf {
    use std::collections::HashMap;
    use std::sync::Mutex;
    /// Each project's component, built by the first test that asks.
    type Slots = Mutex<HashMap<&'static str, Arc<OnceLock<PathBuf>>>>;
    static BUILT: OnceLock<Slots> = OnceLock::new();
    let slot = BUILT
        .get_or_init(Default::default)
        .lock()
        .expect("not poisoned")
        .entry(path)
        .or_default()
        .clone();
    slot.get_or_init(|| {
        // A member of this workspace builds where it is: its manifest
        // inherits from the workspace's.
        let source = workspace().join(path);
        let member = std::fs::read_to_string(source.join("Cargo.toml"))
            .is_ok_and(|m| m.contains("workspace = true"));
        let dir = if member { source } else { project_copy(path) };
        let out = scratch(&format!("{}.wasm", path.replace('/', "-")));
        let run = build_into(&dir, &out, Duration::from_secs(300));
        assert_eq!(
            run.code, 0,
            "`barrage build {path}` failed (run tests/toolchains.sh to install the guest \
             toolchains):\n{}",
            run.stderr
        );
        out
    })
    .clone()
}

/// `barrage build DIR -o OUT`, given `timeout` to finish.
pub fn build_into(dir: &Path, out: &Path, timeout: Duration) -> Run {
    barrage(
        &[
            "build",
            dir.to_str().unwrap_or_default(),
            "-o",
            out.to_str().unwrap_or_default(),
        ],
        timeout,
    )
}

/// Runs the component `wasm` against `server` as [`run_against`] does.
pub fn run_component(wasm: &Path, server: &Server, extra: &[&str]) -> (Run, serde_json::Value) {
    static RUNS: AtomicU64 = AtomicU64::new(0);
    let n = RUNS.fetch_add(1, Ordering::Relaxed);
    let out = scratch(&format!("component-run-{n}.json"));
    let target = format!("TARGET={}", server.url());
    let mut args = vec![
        "run",
        wasm.to_str().unwrap_or_default(),
        "-e",
        &target,
        "-e",
        "SLEEP=0",
        "-q",
        "--summary-export",
        out.to_str().unwrap_or_default(),
    ];
    args.extend(extra);
    let run = barrage(&args, Duration::from_secs(120));
    let json = if out.exists() {
        export(&out)
    } else {
        serde_json::Value::Null
    };
    (run, json)
}
