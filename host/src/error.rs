//! Exit codes and the failures that choose them.
//!
//! Barrage exits with the codes k6 users already script against, so a CI
//! job that checks `$? -eq 99` for failed thresholds keeps working.

/// Process exit codes, the same numbers as k6's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    Ok = 0,
    ThresholdsFailed = 99,
    SetupTimeout = 100,
    TeardownTimeout = 101,
    InvalidConfig = 104,
    ExternalAbort = 105,
    ScenarioError = 107,
    /// `--require-signed`: the scenario is unsigned, tampered with or
    /// signed by no trusted key.
    SignatureRejected = 110,
}

impl ExitCode {
    pub fn code(self) -> i32 {
        self as i32
    }
}

/// An error that ends a command, with the exit code it calls for.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Failure {
    pub code: ExitCode,
    pub message: String,
}

impl Failure {
    pub fn config(message: impl Into<String>) -> Self {
        Failure {
            code: ExitCode::InvalidConfig,
            message: message.into(),
        }
    }

    pub fn scenario(message: impl Into<String>) -> Self {
        Failure {
            code: ExitCode::ScenarioError,
            message: message.into(),
        }
    }
}
