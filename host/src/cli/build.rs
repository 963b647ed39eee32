//! `barrage new`, `barrage build`, and the build `barrage run DIR` does
//! first.

use std::path::{Path, PathBuf};

use clap::Args;

use crate::build::{Language, Project, scaffold};
use crate::error::Failure;

#[derive(Debug, Args)]
pub struct NewCmd {
    /// The project's language: rust, js, go or python.
    #[arg(long, short = 'l', default_value = "js")]
    pub lang: Language,
    /// The directory to make; it must be new or empty.
    pub dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct BuildCmd {
    /// The project directory.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Where to write the component; `DIR/NAME.wasm` by default.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ComponentizeCmd {
    /// The core module.
    pub module: PathBuf,
    /// Where to write the component.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
}

pub fn new(cmd: &NewCmd) -> Result<i32, Failure> {
    scaffold::create(&cmd.dir, cmd.lang).map_err(|e| Failure::config(e.to_string()))?;
    eprintln!(
        "made a {} scenario in {}\n\nnext: barrage run {} --vus 1 --iterations 1",
        cmd.lang.name(),
        cmd.dir.display(),
        cmd.dir.display()
    );
    Ok(0)
}

pub fn build(cmd: &BuildCmd) -> Result<i32, Failure> {
    let project = open(&cmd.dir)?;
    let out = cmd
        .output
        .clone()
        .unwrap_or_else(|| project.default_output());
    build_project(&project, &out)?;
    Ok(0)
}

fn open(dir: &Path) -> Result<Project, Failure> {
    Project::open(dir).map_err(|e| Failure::config(e.to_string()))
}

fn build_project(project: &Project, out: &Path) -> Result<(), Failure> {
    eprintln!(
        "building {} ({})...",
        project.dir.display(),
        project.language.name()
    );
    let built = project
        .build(out)
        .map_err(|e| Failure::scenario(format!("cannot build `{}`: {e}", project.dir.display())))?;
    eprintln!(
        "built {} in {}",
        built.component.display(),
        crate::duration::format(built.took)
    );
    Ok(())
}

/// The component to run for `path`: the file itself, or a project's
/// component, built first if it is missing or older than its sources.
pub fn ensure_built(path: &Path) -> Result<PathBuf, Failure> {
    if !path.is_dir() {
        return Ok(path.to_owned());
    }
    let project = open(path)?;
    let out = project.default_output();
    if project.is_stale(&out) {
        build_project(&project, &out)?;
    }
    Ok(out)
}

pub fn componentize(cmd: &ComponentizeCmd) -> Result<i32, Failure> {
    let bytes = std::fs::read(&cmd.module)
        .map_err(|e| Failure::config(format!("cannot read `{}`: {e}", cmd.module.display())))?;
    let component = crate::build::componentize::componentize(&bytes).map_err(|e| {
        Failure::scenario(format!(
            "cannot make a component of `{}`: {e:#}",
            cmd.module.display()
        ))
    })?;
    std::fs::write(&cmd.output, component)
        .map_err(|e| Failure::config(format!("cannot write `{}`: {e}", cmd.output.display())))?;
    Ok(0)
}
