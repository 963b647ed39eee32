//! Compiled components on disk, so a scenario is compiled once per engine
//! build rather than once per run (a JavaScript component takes seconds).
//!
//! A file is named after the SHA-256 of the component's bytes and of the
//! engine's compilation settings, is written atomically, and is only ever
//! read back from Barrage's own cache directory.
#![allow(
    unsafe_code,
    reason = "loading a compiled artifact is unsafe in Wasmtime's API"
)]

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// The cache directory: `$BARRAGE_CACHE_DIR`, else `$XDG_CACHE_HOME/barrage`,
/// else `~/.cache/barrage`. `None` when no home is known: then nothing is
/// cached.
pub fn dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("BARRAGE_CACHE_DIR") {
        return Some(PathBuf::from(dir));
    }
    let base = match std::env::var_os("XDG_CACHE_HOME") {
        Some(xdg) => PathBuf::from(xdg),
        None => PathBuf::from(std::env::var_os("HOME")?).join(".cache"),
    };
    Some(base.join("barrage"))
}

/// The key of `bytes` compiled by `engine`.
pub fn key(engine: &Engine, bytes: &[u8]) -> String {
    let mut sha = Sha256::new();
    sha.update(bytes);
    let mut settings = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut settings);
    sha.update(settings.finish().to_le_bytes());
    sha.update(env!("CARGO_PKG_VERSION").as_bytes());
    let digest = sha.finalize();
    digest.iter().take(20).map(|b| format!("{b:02x}")).collect()
}

/// Loads a component compiled earlier, or `None` when there is none or it
/// cannot be used (it is then recompiled and rewritten).
pub fn load(engine: &Engine, dir: &Path, key: &str) -> Option<Component> {
    let path = dir.join(format!("{key}.cwasm"));
    if !path.is_file() {
        return None;
    }
    // SAFETY: the file sits in Barrage's cache directory under a name that
    // only `store` writes, atomically, from `Engine::precompile_component`;
    // Wasmtime further checks that it was made by a compatible engine.
    match unsafe { Component::deserialize_file(engine, &path) } {
        Ok(component) => {
            tracing::debug!(path = %path.display(), "using cached compiled scenario");
            Some(component)
        }
        Err(e) => {
            tracing::debug!(path = %path.display(), error = %e, "ignoring unusable cache entry");
            None
        }
    }
}

/// Writes a compiled component; failures only cost the next run a compile.
pub fn store(dir: &Path, key: &str, compiled: &[u8]) {
    let result = std::fs::create_dir_all(dir).and_then(|()| {
        let tmp = dir.join(format!("{key}.{}.tmp", std::process::id()));
        std::fs::write(&tmp, compiled)?;
        std::fs::rename(&tmp, dir.join(format!("{key}.cwasm")))
    });
    if let Err(e) = result {
        tracing::debug!(dir = %dir.display(), error = %e, "cannot cache the compiled scenario");
    }
}
