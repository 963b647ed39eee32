//! Reading, checking and compiling a scenario file.
//!
//! Every way a file can fail to be a Barrage scenario gets its own message,
//! found before anything runs: a missing file, a file that is not
//! WebAssembly, a core module where a component belongs, a component built
//! against another version of the contract, or one for another world.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use wasmtime::Engine;
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Component, Linker};

use super::cache;
use crate::bindings::{ScenarioPre, WIT_PACKAGE, WIT_VERSION};
use crate::vu::VuState;

/// The exports a scenario must have.
const EXPORTS: [&str; 5] = ["options", "setup", "init", "iteration", "teardown"];

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(
        "scenario file `{0}` does not exist\n\n\
         hint: build one with `cargo build --release --target wasm32-wasip2 -p hello`"
    )]
    NotFound(PathBuf),
    #[error("cannot read scenario file `{0}`: {1}")]
    Read(PathBuf, std::io::Error),
    #[error(
        "`{0}` is not a WebAssembly file (it does not start with `\\0asm`)\n\n\
         hint: pass the `.wasm` component your scenario's build produced"
    )]
    NotWasm(PathBuf),
    #[error(
        "`{0}` is a core WebAssembly module, not a component\n\n\
         hint: build for `--target wasm32-wasip2`, which produces a component, \
         or wrap the module with `wasm-tools component new`"
    )]
    CoreModule(PathBuf),
    #[error("`{0}` is not a valid WebAssembly component: {1}")]
    Invalid(PathBuf, String),
    #[error(
        "`{path}` was built against {WIT_PACKAGE}@{found}, but this Barrage implements \
         {WIT_PACKAGE}@{WIT_VERSION}\n\n\
         hint: rebuild the scenario with a barrage-sdk that matches this Barrage"
    )]
    WrongVersion { path: PathBuf, found: String },
    #[error(
        "`{path}` is not a Barrage scenario: it does not export {missing}\n\n\
         hint: a scenario targets the `{WIT_PACKAGE}/scenario` world in `wit/`"
    )]
    NotAScenario { path: PathBuf, missing: String },
    #[error("`{path}` needs something Barrage does not provide: {reason}")]
    Link { path: PathBuf, reason: String },
    #[error(
        "{0}\n\nhint: `--require-signed` runs only scenarios signed by a key given with `--trust`"
    )]
    Rejected(crate::signing::Rejection),
}

/// A compiled, linked scenario, ready to instantiate VUs from.
pub struct Scenario {
    pub name: PathBuf,
    pub component: Component,
    pub pre: ScenarioPre<VuState>,
    pub compile_time: Duration,
    pub cached: bool,
}

impl std::fmt::Debug for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scenario")
            .field("name", &self.name)
            .field("cached", &self.cached)
            .finish()
    }
}

/// Reads and loads the scenario at `path`, keeping its compiled form in
/// `cache` (see [`cache::dir`]) when given.
pub fn load(
    engine: &Engine,
    linker: &Linker<VuState>,
    path: &Path,
    cache: Option<&Path>,
) -> Result<Scenario, LoadError> {
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => LoadError::NotFound(path.to_owned()),
        _ => LoadError::Read(path.to_owned(), e),
    })?;
    load_bytes(engine, linker, path, &bytes, cache)
}

/// Like [`load`], but refuses a scenario that no key `policy` trusts
/// signed, checking the very bytes that are then compiled.
pub fn load_signed(
    engine: &Engine,
    linker: &Linker<VuState>,
    path: &Path,
    cache: Option<&Path>,
    policy: &crate::signing::Policy,
) -> Result<Scenario, LoadError> {
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => LoadError::NotFound(path.to_owned()),
        _ => LoadError::Read(path.to_owned(), e),
    })?;
    let signers = policy.check(path, &bytes).map_err(LoadError::Rejected)?;
    tracing::debug!(?signers, "scenario signature verified");
    load_bytes(engine, linker, path, &bytes, cache)
}

/// Loads a scenario from memory; `name` is used in messages.
pub fn load_bytes(
    engine: &Engine,
    linker: &Linker<VuState>,
    name: &Path,
    bytes: &[u8],
    cache: Option<&Path>,
) -> Result<Scenario, LoadError> {
    check_header(name, bytes)?;
    let start = Instant::now();
    let (component, cached) = compile(engine, name, bytes, cache)?;
    check_contract(engine, name, &component)?;
    let pre = linker
        .instantiate_pre(&component)
        .and_then(ScenarioPre::new)
        .map_err(|e| LoadError::Link {
            path: name.to_owned(),
            reason: format!("{e:#}"),
        })?;
    let compile_time = start.elapsed();
    tracing::debug!(?compile_time, cached, "scenario ready");
    Ok(Scenario {
        name: name.to_owned(),
        component,
        pre,
        compile_time,
        cached,
    })
}

fn check_header(name: &Path, bytes: &[u8]) -> Result<(), LoadError> {
    if bytes.len() < 8 || &bytes[..4] != b"\0asm" {
        return Err(LoadError::NotWasm(name.to_owned()));
    }
    // Bytes 4..8 are the version and layer: 1 and 0 for a core module.
    if bytes[4..8] == [1, 0, 0, 0] {
        return Err(LoadError::CoreModule(name.to_owned()));
    }
    Ok(())
}

fn compile(
    engine: &Engine,
    name: &Path,
    bytes: &[u8],
    cache: Option<&Path>,
) -> Result<(Component, bool), LoadError> {
    let invalid = |e: wasmtime::Error| LoadError::Invalid(name.to_owned(), format!("{e:#}"));
    let Some(dir) = cache else {
        return Ok((Component::new(engine, bytes).map_err(invalid)?, false));
    };
    let key = cache::key(engine, bytes);
    if let Some(component) = cache::load(engine, dir, &key) {
        return Ok((component, true));
    }
    let compiled = engine.precompile_component(bytes).map_err(invalid)?;
    cache::store(dir, &key, &compiled);
    // Load what was just written, so a cached and a fresh run execute the
    // same code; compile in memory if the cache could not be written.
    match cache::load(engine, dir, &key) {
        Some(component) => Ok((component, false)),
        None => Ok((Component::new(engine, bytes).map_err(invalid)?, false)),
    }
}

/// Checks the component's imports and exports against the contract, so
/// that a mismatch is reported in the contract's terms rather than as a
/// linker error.
fn check_contract(engine: &Engine, name: &Path, component: &Component) -> Result<(), LoadError> {
    let ty = component.component_type();
    let prefix = format!("{WIT_PACKAGE}/");
    for (import, _) in ty.imports(engine) {
        let Some(rest) = import.strip_prefix(&prefix) else {
            continue;
        };
        let version = rest.split_once('@').map_or("", |(_, v)| v);
        if !compatible(version) {
            return Err(LoadError::WrongVersion {
                path: name.to_owned(),
                found: version.to_owned(),
            });
        }
    }
    let exports: Vec<String> = ty
        .exports(engine)
        .filter(|(_, item)| matches!(item.ty, ComponentItem::ComponentFunc(_)))
        .map(|(n, _)| n.to_owned())
        .collect();
    let missing: Vec<String> = EXPORTS
        .iter()
        .filter(|e| !exports.iter().any(|x| x == *e))
        .map(|e| format!("`{e}`"))
        .collect();
    if !missing.is_empty() {
        return Err(LoadError::NotAScenario {
            path: name.to_owned(),
            missing: missing.join(", "),
        });
    }
    Ok(())
}

/// Semver compatibility for 0.x versions: the same minor version.
fn compatible(version: &str) -> bool {
    let minor = |v: &str| v.split('.').take(2).collect::<Vec<_>>().join(".");
    minor(version) == minor(WIT_VERSION)
}

/// The WIT package version a component imports, if it imports any of ours.
pub fn wit_version(engine: &Engine, component: &Component) -> Option<String> {
    let prefix = format!("{WIT_PACKAGE}/");
    component
        .component_type()
        .imports(engine)
        .find_map(|(import, _)| {
            import
                .strip_prefix(&prefix)
                .and_then(|r| r.split_once('@'))
                .map(|(_, v)| v.to_owned())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_classified() {
        let p = Path::new("x.wasm");
        assert!(matches!(
            check_header(p, b"hello world"),
            Err(LoadError::NotWasm(_))
        ));
        assert!(matches!(
            check_header(p, b"\0asm"),
            Err(LoadError::NotWasm(_))
        ));
        assert!(matches!(
            check_header(p, b"\0asm\x01\0\0\0"),
            Err(LoadError::CoreModule(_))
        ));
        assert!(check_header(p, b"\0asm\x0d\0\x01\0").is_ok());
    }

    #[test]
    fn only_the_same_minor_version_is_compatible() {
        assert!(compatible("0.1.0"));
        assert!(compatible("0.1.7"));
        assert!(!compatible("0.2.0"));
        assert!(!compatible(""));
    }
}
