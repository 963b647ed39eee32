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
    toolchain::run(
        Command::new(componentize)
            .arg("-d")
            .arg(&wit)
            .args(["-w", "scenario", "componentize", "barrage._entry", "-p"])
            .arg(&sdk_dir)
            .arg("-p")
            .arg(&project.dir)
            .arg("-o")
            .arg(out),
    )?;
    Ok(())
}
