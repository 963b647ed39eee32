//! JavaScript (and TypeScript): esbuild bundles the scenario with the SDK
//! into one module, and Barrage's JavaScript runtime (QuickJS in a
//! component, `guest-sdk/js/runtime`) evaluates it once, at build time:
//! the snapshot it leaves is the scenario's component.
//!
//! The scenario imports the SDK as `barrage`, as a k6 script imports
//! `k6/http`; the build resolves that name to the SDK this Barrage
//! carries. A generated entry module adapts the k6-shaped exports
//! (`options`, `setup`, `default`, `teardown`, `handleSummary`) to the
//! contract's.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{BuildError, Project, sdk, toolchain, write_if_changed};

const INSTALL: &str = "npm install -g esbuild@0.27.7";

/// The runtime, prebuilt from `guest-sdk/js/runtime` (rebuild it with
/// `guest-sdk/js/runtime/build.sh`; a test checks that it is current).
/// `BARRAGE_JS_RUNTIME=FILE` builds with another, such as one just built
/// from source.
pub const RUNTIME: &[u8] = include_bytes!("../../assets/js-runtime.wasm");

/// The files a scenario's entry may be, in the order they are looked for
/// when `package.json` names no `main`.
const ENTRIES: [&str; 4] = ["scenario.js", "scenario.ts", "index.js", "index.ts"];

pub fn build(project: &Project, work: &Path, out: &Path) -> Result<(), BuildError> {
    let bin = [project.dir.join("node_modules").join(".bin")];
    let esbuild =
        toolchain::find(&["esbuild"], "BARRAGE_ESBUILD", &bin).ok_or(BuildError::MissingTool {
            what: "esbuild (to bundle a JavaScript scenario)",
            hint: INSTALL,
        })?;
    let source = entry(project)?;
    let sdk_dir = work.join("sdk").join("js");
    sdk::write(&sdk_dir, sdk::JS)?;
    let entry = work.join("entry.js");
    write_if_changed(&entry, entry_module(&source).as_bytes())?;
    let bundle = work.join("bundle.js");
    toolchain::run(
        Command::new(esbuild)
            .current_dir(&project.dir)
            .arg(".barrage/entry.js")
            .args([
                "--bundle",
                "--format=esm",
                "--platform=neutral",
                "--log-level=warning",
            ])
            .arg("--alias:barrage=./.barrage/sdk/js/index.js")
            .arg("--outfile=.barrage/bundle.js"),
    )?;
    let code = std::fs::read(&bundle).map_err(|e| BuildError::Read(bundle.clone(), e))?;
    let runtime = match std::env::var_os("BARRAGE_JS_RUNTIME") {
        Some(path) => {
            let path = PathBuf::from(path);
            std::fs::read(&path).map_err(|e| BuildError::Read(path, e))?
        }
        None => RUNTIME.to_vec(),
    };
    let component = super::snapshot::snapshot(&runtime, &code)
        .map_err(|e| BuildError::Componentize(source.clone(), e))?;
    std::fs::write(out, component).map_err(|e| BuildError::Write(out.to_owned(), e))
}

/// The scenario's main module, relative to the project.
fn entry(project: &Project) -> Result<PathBuf, BuildError> {
    let manifest = project.dir.join("package.json");
    let text =
        std::fs::read_to_string(&manifest).map_err(|e| BuildError::Read(manifest.clone(), e))?;
    let main = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v["main"].as_str().map(PathBuf::from));
    let found = main.or_else(|| {
        ENTRIES
            .iter()
            .map(PathBuf::from)
            .find(|e| project.dir.join(e).is_file())
    });
    found
        .filter(|e| project.dir.join(e).is_file())
        .ok_or_else(|| BuildError::Incomplete {
            dir: project.dir.clone(),
            what: "scenario module",
            hint: "name it in package.json's `main`, or call it scenario.js or scenario.ts"
                .to_owned(),
        })
}

/// The module the runtime evaluates: the contract's exports, made
/// by the SDK from the scenario's own.
fn entry_module(source: &Path) -> String {
    let path = source.to_string_lossy().replace('\\', "/");
    format!(
        "// Written by `barrage build`: the contract's exports, from the scenario's.\n\
         import * as scenario from \"../{path}\";\n\
         import {{ __exports }} from \"barrage\";\n\
         export const {{ options, setup, init, iteration, teardown, handleSummary }} =\n    \
         __exports(scenario);\n"
    )
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use sha2::{Digest, Sha256};

    /// The runtime's sources, as `build.sh` lists them.
    fn sources(dir: &Path, root: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("the runtime's sources") {
            let path = entry.expect("a directory entry").path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if path.is_dir() {
                sources(&path, root, out);
            } else if name.ends_with(".rs") || name.ends_with(".js") || name == "Cargo.toml" {
                let relative = path.strip_prefix(root).expect("under the root");
                out.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }

    /// The embedded runtime was built from the sources as they are now:
    /// a change to them needs `guest-sdk/js/runtime/build.sh`.
    #[test]
    fn the_embedded_runtime_is_built_from_the_current_sources() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("the workspace");
        let mut files = Vec::new();
        sources(&root.join("guest-sdk/js/runtime"), root, &mut files);
        files.sort();
        let now: String = files
            .iter()
            .map(|file| {
                let bytes = std::fs::read(root.join(file)).expect("a source");
                let hash: String = Sha256::digest(&bytes)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                format!("{hash}  {file}\n")
            })
            .collect();
        let recorded = include_str!("../../assets/js-runtime.sources");
        assert_eq!(
            now, recorded,
            "the JavaScript runtime's sources changed since host/assets/js-runtime.wasm was \
             built: run guest-sdk/js/runtime/build.sh"
        );
    }

    #[test]
    fn the_embedded_runtime_matches_the_contract() {
        let engine = crate::engine::engine().expect("engine");
        let linker = crate::imports::linker(&engine).expect("linker");
        let name = Path::new("js-runtime.wasm");
        let loaded = crate::engine::load_bytes(&engine, &linker, name, super::RUNTIME, None);
        assert!(loaded.is_ok(), "{:?}", loaded.err());
    }
}
