//! `barrage build`: a scenario project, in any of the languages Barrage
//! has an SDK for, to a component.
//!
//! A project is a directory; its build file tells its language
//! (`Cargo.toml`, `package.json`, `go.mod`, `pyproject.toml` or a bare
//! `scenario.py`). Each language's own toolchain compiles it, with the
//! SDK and the contract that this Barrage carries inside it: a project
//! needs nothing from a package registry but the toolchain. Everything
//! the build writes besides the component goes under the project's
//! `.barrage/` directory.

pub mod componentize;
mod go;
mod immortal;
mod js;
mod python;
mod rust;
pub mod scaffold;
mod sdk;
mod snapshot;
mod toolchain;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// A language Barrage has an SDK for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    Rust,
    JavaScript,
    Go,
    Python,
}

impl Language {
    pub const ALL: [Language; 4] = [
        Language::Rust,
        Language::JavaScript,
        Language::Go,
        Language::Python,
    ];

    /// The language of the project in `dir`, by its build file.
    pub fn detect(dir: &Path) -> Option<Language> {
        let has = |name: &str| dir.join(name).is_file();
        if has("Cargo.toml") {
            Some(Language::Rust)
        } else if has("go.mod") {
            Some(Language::Go)
        } else if has("package.json") {
            Some(Language::JavaScript)
        } else if has("pyproject.toml") || has("scenario.py") {
            Some(Language::Python)
        } else {
            None
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Language::Rust => "rust",
            Language::JavaScript => "js",
            Language::Go => "go",
            Language::Python => "python",
        }
    }
}

impl std::str::FromStr for Language {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "rust" | "rs" => Ok(Language::Rust),
            "js" | "javascript" | "ts" | "typescript" => Ok(Language::JavaScript),
            "go" | "golang" => Ok(Language::Go),
            "python" | "py" => Ok(Language::Python),
            _ => Err(format!(
                "unknown language `{s}`: expected one of rust, js, go, python"
            )),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("`{0}` is not a directory")]
    NotADirectory(PathBuf),
    #[error(
        "cannot tell the language of the project in `{0}`: it has no Cargo.toml, \
         package.json, go.mod, pyproject.toml or scenario.py\n\n\
         hint: `barrage new --lang js DIR` makes a project to start from"
    )]
    UnknownLanguage(PathBuf),
    #[error("{what} was not found\n\nhint: {hint}")]
    MissingTool {
        what: &'static str,
        hint: &'static str,
    },
    #[error("`{command}` failed ({status})\n{output}")]
    Failed {
        command: String,
        status: String,
        output: String,
    },
    #[error("the project in `{dir}` has no {what}\n\nhint: {hint}")]
    Incomplete {
        dir: PathBuf,
        what: &'static str,
        hint: String,
    },
    #[error("cannot write `{0}`: {1}")]
    Write(PathBuf, std::io::Error),
    #[error("cannot read `{0}`: {1}")]
    Read(PathBuf, std::io::Error),
    #[error("cannot make a component of `{0}`: {1}")]
    Componentize(PathBuf, String),
}

/// A scenario project on disk.
#[derive(Debug, Clone)]
pub struct Project {
    pub dir: PathBuf,
    pub language: Language,
    /// The directory's name: the component is `NAME.wasm`.
    pub name: String,
}

/// What a build made.
#[derive(Debug)]
pub struct Built {
    pub component: PathBuf,
    pub took: Duration,
}

impl Project {
    pub fn open(dir: &Path) -> Result<Project, BuildError> {
        if !dir.is_dir() {
            return Err(BuildError::NotADirectory(dir.to_owned()));
        }
        let language =
            Language::detect(dir).ok_or_else(|| BuildError::UnknownLanguage(dir.to_owned()))?;
        let name = std::fs::canonicalize(dir)
            .ok()
            .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "scenario".to_owned());
        Ok(Project {
            dir: dir.to_owned(),
            language,
            name,
        })
    }

    /// Where `build` puts the component unless told otherwise.
    pub fn default_output(&self) -> PathBuf {
        self.dir.join(format!("{}.wasm", self.name))
    }

    /// Where a build keeps what it writes besides the component.
    pub(crate) fn work_dir(&self) -> PathBuf {
        self.dir.join(".barrage")
    }

    /// Whether `component` is missing or older than any source file of
    /// the project or than this Barrage (which carries the SDKs).
    pub fn is_stale(&self, component: &Path) -> bool {
        let Some(built) = modified(component) else {
            return true;
        };
        let barrage = std::env::current_exe().ok().and_then(|p| modified(&p));
        if barrage.is_some_and(|b| b > built) {
            return true;
        }
        newest_source(&self.dir).is_some_and(|newest| newest > built)
    }

    /// Builds the component into `out`.
    pub fn build(&self, out: &Path) -> Result<Built, BuildError> {
        let start = Instant::now();
        let work = self.work_dir();
        std::fs::create_dir_all(&work).map_err(|e| BuildError::Write(work.clone(), e))?;
        match self.language {
            Language::Rust => rust::build(self, out)?,
            Language::JavaScript => js::build(self, &work, out)?,
            Language::Go => go::build(self, &work, out)?,
            Language::Python => python::build(self, &work, out)?,
        }
        Ok(Built {
            component: out.to_owned(),
            took: start.elapsed(),
        })
    }
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Directories that hold no sources: build output, installed packages,
/// caches.
const SKIPPED: [&str; 6] = [
    "target",
    "node_modules",
    ".barrage",
    ".git",
    "__pycache__",
    ".venv",
];

/// The newest modification time of the files under `dir` that a build
/// reads, components excluded.
fn newest_source(dir: &Path) -> Option<SystemTime> {
    let mut newest = None;
    let mut pending = vec![dir.to_owned()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                if !SKIPPED.iter().any(|s| name == *s) {
                    pending.push(path);
                }
            } else if path.extension().is_none_or(|e| e != "wasm") {
                newest = newest.max(modified(&path));
            }
        }
    }
    newest
}

/// Writes `contents` to `path` unless it already holds exactly that, so
/// that an unchanged file keeps its time.
fn write_if_changed(path: &Path, contents: &[u8]) -> Result<(), BuildError> {
    if std::fs::read(path).is_ok_and(|old| old == contents) {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| BuildError::Write(parent.to_owned(), e))?;
    }
    std::fs::write(path, contents).map_err(|e| BuildError::Write(path.to_owned(), e))
}

/// Writes the contract into `dir/scenario.wit`, for toolchains that
/// generate bindings from it.
fn write_wit(dir: &Path) -> Result<PathBuf, BuildError> {
    let path = dir.join("scenario.wit");
    write_if_changed(&path, componentize::WIT.as_bytes())?;
    Ok(dir.to_owned())
}
