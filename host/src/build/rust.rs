//! Rust: cargo builds the crate for `wasm32-wasip2`, which makes a
//! component directly.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{BuildError, Project, sdk, toolchain, write_wit};

/// Writes the SDK this Barrage carries into `dir`, with the contract
/// where its bindings look for it.
pub fn write_sdk(work: &Path) -> Result<(), BuildError> {
    let sdk_dir = work.join("sdk");
    sdk::write(&sdk_dir.join("rust"), sdk::RUST)?;
    write_wit(&sdk_dir.join("wit"))?;
    Ok(())
}

pub fn build(project: &Project, out: &Path) -> Result<(), BuildError> {
    let cargo =
        toolchain::find(&["cargo"], "BARRAGE_CARGO", &[]).ok_or(BuildError::MissingTool {
            what: "cargo",
            hint: "install Rust with rustup, then `rustup target add wasm32-wasip2`",
        })?;
    let manifest = project.dir.join("Cargo.toml");
    // A project made by `barrage new` depends on the SDK in `.barrage/`;
    // one inside Barrage's own workspace, on the workspace's.
    let text =
        std::fs::read_to_string(&manifest).map_err(|e| BuildError::Read(manifest.clone(), e))?;
    if text.contains(".barrage/sdk/rust") {
        write_sdk(&project.work_dir())?;
    }
    let output = toolchain::run(
        Command::new(cargo)
            .args(["build", "--release", "--target", "wasm32-wasip2"])
            .args([
                "--message-format",
                "json-render-diagnostics",
                "--manifest-path",
            ])
            .arg(&manifest),
    )?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let built = artifact(&stdout, &manifest).ok_or_else(|| BuildError::Incomplete {
        dir: project.dir.clone(),
        what: "WebAssembly library",
        hint: "a Rust scenario is a `cdylib` crate: add `[lib] crate-type = [\"cdylib\"]` \
               to Cargo.toml"
            .to_owned(),
    })?;
    if built != out {
        std::fs::copy(&built, out).map_err(|e| BuildError::Write(out.to_owned(), e))?;
    }
    Ok(())
}

/// The `.wasm` file cargo built for the package of `manifest`, from its
/// JSON messages.
fn artifact(messages: &str, manifest: &Path) -> Option<PathBuf> {
    let manifest = std::fs::canonicalize(manifest).ok()?;
    messages
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact")
        .filter(|m| {
            m["manifest_path"]
                .as_str()
                .and_then(|p| std::fs::canonicalize(p).ok())
                .is_some_and(|p| p == manifest)
        })
        .flat_map(|m| {
            m["filenames"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
        })
        .filter_map(|f| f.as_str().map(PathBuf::from))
        .find(|f| f.extension().is_some_and(|e| e == "wasm"))
}
