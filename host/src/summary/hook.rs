//! What a scenario's `handle-summary` returned, delivered: contents for
//! `stdout` and `stderr` printed, the rest written as files.
//!
//! A scenario may come from someone else, so the files stay inside the
//! directory Barrage runs in: a path that is absolute, climbs out with
//! `..`, or leads out through a symbolic link is refused.

use std::io::Write;
use std::path::{Component, Path, PathBuf};

/// Prints or writes each (path, content) pair; returns one message per
/// file that could not be delivered.
pub fn deliver(files: &[(String, String)]) -> Vec<String> {
    let mut problems = Vec::new();
    for (path, content) in files {
        let result = match path.as_str() {
            "stdout" => std::io::stdout()
                .write_all(content.as_bytes())
                .map_err(|e| e.to_string()),
            "stderr" => std::io::stderr()
                .write_all(content.as_bytes())
                .map_err(|e| e.to_string()),
            _ => write_inside(Path::new("."), path, content),
        };
        if let Err(e) = result {
            problems.push(format!("handle-summary: cannot write `{path}`: {e}"));
        }
    }
    problems
}

/// Writes `content` to `path` under `base`, creating its directories.
fn write_inside(base: &Path, path: &str, content: &str) -> Result<(), String> {
    let relative = Path::new(path);
    let plain = relative
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if path.is_empty() || !plain {
        return Err("only relative paths inside the current directory are written".into());
    }
    let target: PathBuf = base.join(relative);
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        let root = base.canonicalize().map_err(|e| e.to_string())?;
        let real = parent.canonicalize().map_err(|e| e.to_string())?;
        if !real.starts_with(&root) {
            return Err("it leads out of the current directory".into());
        }
    }
    if target.is_symlink() {
        return Err("it is a symbolic link".into());
    }
    std::fs::write(&target, content).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_stay_inside_the_directory() {
        let base = std::env::temp_dir().join(format!("barrage-hook-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        std::fs::create_dir_all(&base).unwrap();
        write_inside(&base, "reports/summary.txt", "ok").unwrap();
        assert_eq!(
            std::fs::read_to_string(base.join("reports/summary.txt")).unwrap(),
            "ok"
        );
        for bad in ["/etc/passwd", "../escape.txt", "a/../../escape.txt", ""] {
            assert!(write_inside(&base, bad, "x").is_err(), "{bad}");
        }
        std::os::unix::fs::symlink(std::env::temp_dir(), base.join("out")).unwrap();
        let e = write_inside(&base, "out/escape.txt", "x").unwrap_err();
        assert_eq!(e, "it leads out of the current directory");
        let _ = std::fs::remove_dir_all(&base);
    }
}
