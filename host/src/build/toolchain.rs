//! Finding each language's toolchain and running it.
//!
//! Tools are looked up on `PATH` (and, for a JavaScript project, in its
//! own `node_modules/.bin`); a `BARRAGE_<TOOL>` variable names one
//! explicitly. A tool that is missing is reported with the command that
//! installs it; a tool that fails is reported with the end of its output.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::BuildError;

/// How many lines of a failed tool's output are shown.
const OUTPUT_LINES: usize = 60;

/// The first of `names` found: the file `override_var` names, then each
/// directory of `extra`, then `PATH`.
pub fn find(names: &[&str], override_var: &str, extra: &[PathBuf]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(override_var).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs = extra.iter().cloned().chain(std::env::split_paths(&path));
    for dir in dirs {
        for name in names {
            let candidate = dir.join(name);
            if is_executable(&candidate) {
                return Some(candidate);
            }
        }
    }
    None
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Runs `command` to completion, its output captured; a failure carries
/// the end of that output.
pub fn run(command: &mut Command) -> Result<std::process::Output, BuildError> {
    let shown = describe(command);
    tracing::debug!(command = %shown, "running a build step");
    let output = command.output().map_err(|e| BuildError::Failed {
        command: shown.clone(),
        status: "it could not be started".to_owned(),
        output: e.to_string(),
    })?;
    if output.status.success() {
        return Ok(output);
    }
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    let lines: Vec<&str> = text.lines().collect();
    let tail = lines[lines.len().saturating_sub(OUTPUT_LINES)..].join("\n");
    Err(BuildError::Failed {
        command: shown,
        status: output.status.to_string(),
        output: tail,
    })
}

/// `program arg arg ...`, for messages.
fn describe(command: &Command) -> String {
    let program = Path::new(command.get_program())
        .file_name()
        .unwrap_or(OsStr::new("?"))
        .to_string_lossy()
        .into_owned();
    let args = command.get_args().map(|a| a.to_string_lossy().into_owned());
    std::iter::once(program)
        .chain(args)
        .collect::<Vec<_>>()
        .join(" ")
}
