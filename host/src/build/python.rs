//! Python: componentize-py embeds CPython, the SDK and the scenario in a
//! component, with bindings it generates from the contract.

use std::path::Path;
use std::process::Command;

use super::{BuildError, Project, sdk, toolchain, write_wit};

pub fn build(project: &Project, work: &Path, out: &Path) -> Result<(), BuildError> {
    let componentize = toolchain::find(&["componentize-py"], "BARRAGE_COMPONENTIZE_PY", &[])
        .ok_or(BuildError::MissingTool {
            what: "componentize-py (to make a Python component)",
            hint: "pip install componentize-py==0.25.1",
        })?;
    if !project.dir.join("scenario.py").is_file() {
        return Err(BuildError::Incomplete {
            dir: project.dir.clone(),
            what: "scenario.py",
            hint: "a Python scenario is the module `scenario.py`".to_owned(),
        });
    }
    let sdk_dir = work.join("sdk").join("python");
    sdk::write(&sdk_dir, sdk::PYTHON)?;
    let wit = write_wit(&work.join("wit"))?;
    // The packages the scenario may import besides the SDK: the project's
    // own virtual environment, else none. Left unset, componentize-py
    // would take whatever the Python running it has installed.
    let venv = project.dir.join(".venv");
    let venv = if venv.is_dir() {
        venv
    } else {
        let empty = work.join("venv");
        let site = empty.join("lib").join("python3.14").join("site-packages");
        std::fs::create_dir_all(&site).map_err(|e| BuildError::Write(site.clone(), e))?;
        empty
    };
    toolchain::run(
        Command::new(componentize)
            .env("VIRTUAL_ENV", &venv)
            // A failure's Python error, not a page of Rust backtrace.
            .env("RUST_BACKTRACE", "0")
            .arg("-q")
            .arg("-d")
            .arg(&wit)
            .args(["-w", "scenario", "componentize", "barrage._entry", "-p"])
            .arg(&sdk_dir)
            .arg("-p")
            .arg(&project.dir)
            .arg("-o")
            .arg(out),
    )?;
    // CPython's reference counts, written all over the image by every VU,
    // are a large part of what a VU pays for: see `immortal`.
    let mut component = std::fs::read(out).map_err(|e| BuildError::Read(out.to_owned(), e))?;
    match super::immortal::immortalize(&mut component) {
        Some(done) => {
            tracing::debug!(
                "{} objects of the image made immortal, {} left as they were",
                done.objects,
                done.skipped
            );
            std::fs::write(out, component).map_err(|e| BuildError::Write(out.to_owned(), e))?;
        }
        None => tracing::debug!("no list of the image's objects: built as componentize-py left it"),
    }
    Ok(())
}
