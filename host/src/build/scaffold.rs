//! `barrage new`: a ready project per language, made from the `hello`
//! example of that language, so that what a user starts from is what the
//! tests build and run.

use std::path::{Path, PathBuf};

use super::{BuildError, Language, sdk, write_if_changed};

/// (path in the project, contents); `{{name}}` becomes the project's name.
type Template = &'static [(&'static str, &'static str)];

const RUST: Template = &[
    ("Cargo.toml", include_str!("templates/rust/Cargo.toml")),
    (
        "src/lib.rs",
        include_str!("../../../examples/rust/hello/src/lib.rs"),
    ),
    ("README.md", include_str!("templates/rust/README.md")),
    (".gitignore", "/target\n/.barrage\n*.wasm\n"),
];

const JS: Template = &[
    ("package.json", include_str!("templates/js/package.json")),
    (
        "scenario.js",
        include_str!("../../../examples/js/hello/scenario.js"),
    ),
    ("jsconfig.json", include_str!("templates/js/jsconfig.json")),
    ("README.md", include_str!("templates/js/README.md")),
    (".gitignore", "/node_modules\n/.barrage\n*.wasm\n"),
];

const PYTHON: Template = &[
    (
        "pyproject.toml",
        include_str!("templates/python/pyproject.toml"),
    ),
    (
        "scenario.py",
        include_str!("../../../examples/python/hello/scenario.py"),
    ),
    ("README.md", include_str!("templates/python/README.md")),
    (".gitignore", "/.barrage\n/.venv\n__pycache__/\n*.wasm\n"),
];

const GO: Template = &[
    ("go.mod", include_str!("templates/go/go.mod")),
    (
        "main.go",
        include_str!("../../../examples/go/hello/main.go"),
    ),
    ("README.md", include_str!("templates/go/README.md")),
    (".gitignore", "/.barrage\n*.wasm\n"),
];

#[derive(Debug, thiserror::Error)]
pub enum NewError {
    #[error("`{0}` already exists and is not empty\n\nhint: choose a new directory")]
    NotEmpty(PathBuf),
    #[error(transparent)]
    Write(#[from] BuildError),
}

/// Makes a `language` project in `dir`, which must be new or empty.
pub fn create(dir: &Path, language: Language) -> Result<(), NewError> {
    if std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some()) {
        return Err(NewError::NotEmpty(dir.to_owned()));
    }
    let name = dir.file_name().map_or_else(
        || "scenario".to_owned(),
        |n| n.to_string_lossy().into_owned(),
    );
    let template = match language {
        Language::Rust => RUST,
        Language::JavaScript => JS,
        Language::Python => PYTHON,
        Language::Go => GO,
    };
    for (path, contents) in template {
        let text = contents.replace("{{name}}", &name);
        write_if_changed(&dir.join(path), text.as_bytes())?;
    }
    // What an editor needs to know the SDK: its sources or typings.
    let work = dir.join(".barrage");
    match language {
        Language::Rust => super::rust::write_sdk(&work)?,
        Language::JavaScript => sdk::write(&work.join("sdk").join("js"), sdk::JS)?,
        Language::Python => sdk::write(&work.join("sdk").join("python"), sdk::PYTHON)?,
        Language::Go => sdk::write(&work.join("sdk").join("go"), sdk::GO)?,
    }
    Ok(())
}
