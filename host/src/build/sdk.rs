//! The SDKs this Barrage carries, written into a project's `.barrage/`
//! when it is built: a project needs no copy of its own, and a new
//! Barrage brings a matching SDK with it.

use std::path::Path;

use super::{BuildError, write_if_changed};

/// (path under the SDK's directory, contents)
pub type Files = &'static [(&'static str, &'static str)];

pub const RUST: Files = &[
    ("Cargo.toml", include_str!("templates/rust/sdk-Cargo.toml")),
    (
        "src/bindings.rs",
        include_str!("../../../guest-sdk/src/bindings.rs"),
    ),
    (
        "src/check.rs",
        include_str!("../../../guest-sdk/src/check.rs"),
    ),
    (
        "src/error.rs",
        include_str!("../../../guest-sdk/src/error.rs"),
    ),
    (
        "src/execution.rs",
        include_str!("../../../guest-sdk/src/execution.rs"),
    ),
    (
        "src/group.rs",
        include_str!("../../../guest-sdk/src/group.rs"),
    ),
    ("src/lib.rs", include_str!("../../../guest-sdk/src/lib.rs")),
    ("src/log.rs", include_str!("../../../guest-sdk/src/log.rs")),
    (
        "src/metrics.rs",
        include_str!("../../../guest-sdk/src/metrics.rs"),
    ),
    (
        "src/scenario.rs",
        include_str!("../../../guest-sdk/src/scenario.rs"),
    ),
    (
        "src/summary.rs",
        include_str!("../../../guest-sdk/src/summary.rs"),
    ),
    (
        "src/http/mod.rs",
        include_str!("../../../guest-sdk/src/http/mod.rs"),
    ),
    (
        "src/http/request.rs",
        include_str!("../../../guest-sdk/src/http/request.rs"),
    ),
    (
        "src/http/response.rs",
        include_str!("../../../guest-sdk/src/http/response.rs"),
    ),
];

pub const JS: Files = &[
    ("index.js", include_str!("../../../guest-sdk/js/index.js")),
    (
        "index.d.ts",
        include_str!("../../../guest-sdk/js/index.d.ts"),
    ),
];

pub const PYTHON: Files = &[
    (
        "barrage/__init__.py",
        include_str!("../../../guest-sdk/python/barrage/__init__.py"),
    ),
    (
        "barrage/_entry.py",
        include_str!("../../../guest-sdk/python/barrage/_entry.py"),
    ),
    (
        "barrage/_runtime.py",
        include_str!("../../../guest-sdk/python/barrage/_runtime.py"),
    ),
    (
        "barrage/_snapshot.py",
        include_str!("../../../guest-sdk/python/barrage/_snapshot.py"),
    ),
    (
        "barrage/http.py",
        include_str!("../../../guest-sdk/python/barrage/http.py"),
    ),
    (
        "barrage/log.py",
        include_str!("../../../guest-sdk/python/barrage/log.py"),
    ),
    (
        "barrage/metrics.py",
        include_str!("../../../guest-sdk/python/barrage/metrics.py"),
    ),
];

pub const GO: Files = &[
    ("go.mod", include_str!("../../../guest-sdk/go/go.mod")),
    ("doc.go", include_str!("../../../guest-sdk/go/doc.go")),
    ("host.go", include_str!("../../../guest-sdk/go/host.go")),
    (
        "host_other.go",
        include_str!("../../../guest-sdk/go/host_other.go"),
    ),
    (
        "host_wasip1.go",
        include_str!("../../../guest-sdk/go/host_wasip1.go"),
    ),
    (
        "abi_wasip1.go",
        include_str!("../../../guest-sdk/go/abi_wasip1.go"),
    ),
    (
        "exports_wasip1.go",
        include_str!("../../../guest-sdk/go/exports_wasip1.go"),
    ),
    ("http.go", include_str!("../../../guest-sdk/go/http.go")),
    ("tags.go", include_str!("../../../guest-sdk/go/tags.go")),
    ("check.go", include_str!("../../../guest-sdk/go/check.go")),
    ("group.go", include_str!("../../../guest-sdk/go/group.go")),
    (
        "metrics.go",
        include_str!("../../../guest-sdk/go/metrics.go"),
    ),
    (
        "execution.go",
        include_str!("../../../guest-sdk/go/execution.go"),
    ),
    ("log.go", include_str!("../../../guest-sdk/go/log.go")),
    (
        "reseed_snapshot.go",
        include_str!("../../../guest-sdk/go/reseed_snapshot.go"),
    ),
    (
        "reseed_other.go",
        include_str!("../../../guest-sdk/go/reseed_other.go"),
    ),
    (
        "scenario.go",
        include_str!("../../../guest-sdk/go/scenario.go"),
    ),
    (
        "summary.go",
        include_str!("../../../guest-sdk/go/summary.go"),
    ),
];

/// Writes `files` under `dir`.
pub fn write(dir: &Path, files: Files) -> Result<(), BuildError> {
    for (path, contents) in files {
        write_if_changed(&dir.join(path), contents.as_bytes())?;
    }
    Ok(())
}
