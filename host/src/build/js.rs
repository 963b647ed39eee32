//! JavaScript (and TypeScript): esbuild bundles the scenario with the SDK
//! into one module, and componentize-js embeds it in a SpiderMonkey
//! component.
//!
//! The scenario imports the SDK as `barrage`, as a k6 script imports
//! `k6/http`; the build resolves that name to the SDK this Barrage
//! carries. A generated entry module adapts the k6-shaped exports
//! (`options`, `setup`, `default`, `teardown`, `handleSummary`) to the
//! contract's.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{BuildError, Project, sdk, toolchain, write_if_changed, write_wit};

const INSTALL: &str = "npm install -g @bytecodealliance/componentize-js@0.23.0 esbuild@0.27.7";

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
    let componentize = toolchain::find(&["componentize-js"], "BARRAGE_COMPONENTIZE_JS", &bin)
        .ok_or(BuildError::MissingTool {
            what: "componentize-js (to make a JavaScript component)",
            hint: INSTALL,
        })?;
    let source = entry(project)?;
    let sdk_dir = work.join("sdk").join("js");
    sdk::write(&sdk_dir, sdk::JS)?;
    let wit = write_wit(&work.join("wit"))?;
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
            .args(["--external:barrage:*", "--external:wasi:*"])
            .arg("--alias:barrage=./.barrage/sdk/js/index.js")
            .arg("--outfile=.barrage/bundle.js"),
    )?;
    toolchain::run(
        Command::new(componentize)
            .arg(&bundle)
            .arg("--wit")
            .arg(&wit)
            .args(["--world-name", "scenario", "-o"])
            .arg(out),
    )?;
    Ok(())
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

/// The module componentize-js builds from: the contract's exports, made
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
