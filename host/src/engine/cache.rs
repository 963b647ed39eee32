//! Compiled components on disk, so a scenario is compiled once per engine
//! build rather than once per run (a JavaScript component takes seconds).
//!
//! A file is named after the SHA-256 of the component's bytes and of the
//! engine's compilation settings, is written atomically, and is only ever
//! read back from Barrage's own cache directory. A compiled artifact is
//! native code that Wasmtime runs without checking it, so one is loaded
//! only if this user owns it and its directory and nobody else may write
//! either: what another user could have planted is compiled afresh.
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
    if let Err(why) = ours(dir).and_then(|()| ours(&path)) {
        tracing::warn!(
            "not using the compiled scenario in `{}`: {why}; compiling it instead",
            path.display()
        );
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

/// Whether `path` is owned by this user and writable by no one else.
fn ours(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::symlink_metadata(path).map_err(|e| e.to_string())?;
    if meta.file_type().is_symlink() {
        return Err("it is a symbolic link".into());
    }
    if meta.uid() != rustix::process::geteuid().as_raw() {
        return Err("another user owns it".into());
    }
    if meta.mode() & 0o022 != 0 {
        return Err("others may write to it".into());
    }
    Ok(())
}

/// Writes a compiled component; failures only cost the next run a compile.
pub fn store(dir: &Path, key: &str, compiled: &[u8]) {
    use std::io::Write;
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    let result = std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .and_then(|()| {
            let tmp = dir.join(format!("{key}.{}.tmp", std::process::id()));
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&tmp)?;
            file.write_all(compiled)?;
            std::fs::rename(&tmp, dir.join(format!("{key}.cwasm")))
        });
    if let Err(e) = result {
        tracing::debug!(dir = %dir.display(), error = %e, "cannot cache the compiled scenario");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_files_nobody_else_could_write_are_loaded() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("barrage-cache-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        store(&dir, "k", b"not really compiled");
        let file = dir.join("k.cwasm");
        assert_eq!(ours(&dir), Ok(()));
        assert_eq!(ours(&file), Ok(()));
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).unwrap();
        assert_eq!(ours(&file), Err("others may write to it".into()));
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert_eq!(ours(&dir), Err("others may write to it".into()));
        let engine = Engine::default();
        assert!(load(&engine, &dir, "k").is_none());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
