//! `barrage key generate`, `barrage sign` and `barrage verify`: making
//! and checking signed scenarios (see `signing.rs`).

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use crate::error::{ExitCode, Failure};

#[derive(Debug, Subcommand)]
pub enum KeyCmd {
    /// Write a new Ed25519 key pair: the secret key to `--out` and the
    /// public key beside it, with the extension `.pub`.
    Generate {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct SignCmd {
    /// The scenario component to sign.
    pub scenario: PathBuf,
    /// The secret key, from `barrage key generate`.
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// Write the signed component here instead of in place.
    #[arg(short = 'o', long, value_name = "FILE", conflicts_with = "detached")]
    pub out: Option<PathBuf>,
    /// Write the signature to this file and leave the component as it is.
    #[arg(long, value_name = "FILE")]
    pub detached: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VerifyCmd {
    /// The scenario component to check.
    pub scenario: PathBuf,
    #[command(flatten)]
    pub trust: TrustArgs,
}

/// The keys a signed scenario is checked against.
#[derive(Debug, Args)]
pub struct TrustArgs {
    /// A public key (`.pub`) to trust, or a directory of them; repeatable.
    #[arg(long, value_name = "KEY|DIR")]
    pub trust: Vec<PathBuf>,
    /// The scenario's detached signature, from `sign --detached`.
    #[arg(long, value_name = "FILE")]
    pub signature: Option<PathBuf>,
}

impl TrustArgs {
    pub fn policy(&self) -> Result<crate::signing::Policy, Failure> {
        let trusted = crate::signing::trust(&self.trust).map_err(Failure::config)?;
        let detached = match &self.signature {
            Some(path) => Some(std::fs::read(path).map_err(|e| {
                Failure::config(format!(
                    "cannot read the signature `{}`: {e}",
                    path.display()
                ))
            })?),
            None => None,
        };
        Ok(crate::signing::Policy { trusted, detached })
    }
}

pub fn key(cmd: KeyCmd) -> Result<i32, Failure> {
    match cmd {
        KeyCmd::Generate { out } => {
            let public = crate::signing::generate(&out).map_err(Failure::config)?;
            eprintln!(
                "wrote the secret key to `{}` (keep it to yourself) and the public key to `{}` \
                 (share it)",
                out.display(),
                public.display()
            );
            Ok(0)
        }
    }
}

pub fn sign(cmd: &SignCmd) -> Result<i32, Failure> {
    use crate::signing::Placement;
    if let Some(sig) = &cmd.detached {
        crate::signing::sign(&cmd.scenario, &cmd.key, Placement::Detached(sig))
            .map_err(Failure::config)?;
        eprintln!(
            "wrote the signature of `{}` to `{}`",
            cmd.scenario.display(),
            sig.display()
        );
        return Ok(0);
    }
    let out = cmd.out.as_deref().unwrap_or(&cmd.scenario);
    crate::signing::sign(&cmd.scenario, &cmd.key, Placement::Embedded(out))
        .map_err(Failure::config)?;
    let signers = signers_of(out)?;
    eprintln!(
        "signed `{}`; it now carries {} signature(s)",
        out.display(),
        signers.len()
    );
    Ok(0)
}

pub fn verify(cmd: &VerifyCmd) -> Result<i32, Failure> {
    let policy = cmd.trust.policy()?;
    let bytes = std::fs::read(&cmd.scenario)
        .map_err(|e| Failure::config(format!("cannot read `{}`: {e}", cmd.scenario.display())))?;
    match policy.check(&cmd.scenario, &bytes) {
        Ok(keys) => {
            println!(
                "`{}` is signed by trusted key(s) {}",
                cmd.scenario.display(),
                keys.join(", ")
            );
            Ok(0)
        }
        Err(rejection) => Err(Failure {
            code: ExitCode::SignatureRejected,
            message: rejection.to_string(),
        }),
    }
}

/// The key ids that signed the file at `path`.
pub fn signers_of(path: &Path) -> Result<Vec<String>, Failure> {
    let bytes = std::fs::read(path)
        .map_err(|e| Failure::config(format!("cannot read `{}`: {e}", path.display())))?;
    crate::signing::signers(&bytes, None).map_err(|e| {
        Failure::config(format!(
            "cannot read the signatures of `{}`: {e}",
            path.display()
        ))
    })
}
