//! Signed scenarios: Ed25519 signatures over the component's bytes, in
//! the format of the WebAssembly signatures proposal (`wasmsign2`).
//!
//! The signature lives in a custom section at the front of the file, so a
//! signed scenario stays one artifact that any WebAssembly tool still
//! reads; several signatures (an author's, a reviewer's) sit side by side.
//! Every signature carries its key's id, so that verification can tell a
//! module signed by a trusted key and then changed (tampered) from one
//! signed only by keys nobody trusts (untrusted). Verification happens on
//! the bytes, before anything is compiled.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use wasmsign2::{KeyPair, Module, PublicKey, PublicKeySet, SecretKey, WSError};

/// Why a scenario was refused under `--require-signed`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("`{0}` is not signed")]
    Unsigned(PathBuf),
    #[error(
        "`{0}` was changed after it was signed: its signature by a trusted key does not match \
         its contents"
    )]
    Tampered(PathBuf),
    #[error("`{0}` is signed, but by no trusted key")]
    Untrusted(PathBuf),
    #[error("cannot read the signatures of `{0}`: {1}")]
    Malformed(PathBuf, String),
}

/// What `--require-signed` checks a scenario against: the trusted keys,
/// and a detached signature if the scenario's is not embedded.
#[derive(Debug, Clone)]
pub struct Policy {
    pub trusted: PublicKeySet,
    pub detached: Option<Vec<u8>>,
}

impl Policy {
    /// Checks `bytes`, read from `path`; see [`verify`].
    pub fn check(&self, path: &Path, bytes: &[u8]) -> Result<Vec<String>, Rejection> {
        verify(path, bytes, self.detached.as_deref(), &self.trusted)
    }
}

/// Writes a new key pair: the secret key to `secret` and the public key
/// beside it, with the extension `.pub`. Returns the public key's path.
pub fn generate(secret: &Path) -> Result<PathBuf, String> {
    let pair = KeyPair::generate();
    let public = secret.with_extension("pub");
    write_new(secret, pair.sk.to_pem().as_bytes())?;
    write_new(&public, pair.pk.to_pem().as_bytes())?;
    Ok(public)
}

/// Creates `path` (never overwriting a key), readable by its owner only.
fn write_new(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("cannot create `{}`: {e}", path.display()))?;
    file.write_all(bytes)
        .map_err(|e| format!("cannot write `{}`: {e}", path.display()))
}

fn read_secret(path: &Path) -> Result<SecretKey, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the key `{}`: {e}", path.display()))?;
    SecretKey::from_pem(&text).map_err(|e| format!("`{}` is not a secret key: {e}", path.display()))
}

/// The public key in `path`, with its id attached as signatures carry it.
pub fn read_public(path: &Path) -> Result<PublicKey, String> {
    let bytes = std::fs::read(path)
        .map_err(|e| format!("cannot read the key `{}`: {e}", path.display()))?;
    PublicKey::from_any(&bytes)
        .map(PublicKey::attach_default_key_id)
        .map_err(|e| format!("`{}` is not a public key: {e}", path.display()))
}

/// Reads trusted keys: each path is a public key file, or a directory
/// whose `*.pub` files are.
pub fn trust(paths: &[PathBuf]) -> Result<PublicKeySet, String> {
    let mut set = PublicKeySet::empty();
    for path in paths {
        let files: Vec<PathBuf> = if path.is_dir() {
            let entries = std::fs::read_dir(path)
                .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
            let mut files: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "pub"))
                .collect();
            files.sort();
            files
        } else {
            vec![path.clone()]
        };
        for file in files {
            let key = read_public(&file)?;
            set.insert(key)
                .map_err(|e| format!("cannot trust `{}`: {e}", file.display()))?;
        }
    }
    if set.is_empty() {
        return Err(
            "no trusted keys were found (give `--trust KEY.pub` or a directory of \
                    `.pub` files)"
                .into(),
        );
    }
    Ok(set)
}

/// Where a signature goes.
#[derive(Debug, Clone, Copy)]
pub enum Placement<'a> {
    /// Into the component written to this path (which may be the input):
    /// signatures already there are kept.
    Embedded(&'a Path),
    /// Into a file of its own; the component is left as it is.
    Detached(&'a Path),
}

/// Signs the component in `input` with the key in `key`.
pub fn sign(input: &Path, key: &Path, placement: Placement<'_>) -> Result<(), String> {
    let secret = read_secret(key)?;
    let public = PublicKey {
        pk: secret.sk.public_key(),
        key_id: None,
    }
    .attach_default_key_id();
    let module = Module::deserialize_from_file(input)
        .map_err(|e| format!("cannot read `{}` as WebAssembly: {e}", input.display()))?;
    let detached = matches!(placement, Placement::Detached(_));
    let (signed, signature) = secret
        .sign_multi(module, public.key_id(), detached, false)
        .map_err(|e| format!("cannot sign `{}`: {e}", input.display()))?;
    match placement {
        Placement::Embedded(output) => signed
            .serialize_to_file(output)
            .map_err(|e| format!("cannot write `{}`: {e}", output.display())),
        Placement::Detached(output) => std::fs::write(output, signature)
            .map_err(|e| format!("cannot write `{}`: {e}", output.display())),
    }
}

/// The ids of the keys that signed `bytes` (or the `detached`
/// signature of them), hex-encoded; empty if none.
pub fn signers(bytes: &[u8], detached: Option<&[u8]>) -> Result<Vec<String>, String> {
    match wasmsign2::signature_info_from_reader(&mut std::io::Cursor::new(bytes), detached) {
        Ok(info) => Ok(info.key_ids().iter().map(|id| hex(id)).collect()),
        Err(WSError::NoSignatures) => Ok(Vec::new()),
        Err(e) => Err(e.to_string()),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks that a trusted key signed exactly `bytes`, with the signature
/// embedded or `detached`; returns the ids of the trusted keys whose
/// signatures hold.
pub fn verify(
    path: &Path,
    bytes: &[u8],
    detached: Option<&[u8]>,
    trusted: &PublicKeySet,
) -> Result<Vec<String>, Rejection> {
    let signed_by =
        signers(bytes, detached).map_err(|e| Rejection::Malformed(path.to_owned(), e))?;
    if signed_by.is_empty() {
        return Err(Rejection::Unsigned(path.to_owned()));
    }
    match trusted.verify(&mut std::io::Cursor::new(bytes), detached) {
        Ok(keys) => {
            let ids: HashSet<String> = keys
                .iter()
                .filter_map(|k| k.key_id().map(|id| hex(id)))
                .collect();
            let mut ids: Vec<String> = ids.into_iter().collect();
            ids.sort();
            Ok(ids)
        }
        Err(WSError::VerificationFailed | WSError::NoSignatures) => {
            let trusted_ids: HashSet<String> = trusted
                .items()
                .iter()
                .filter_map(|k| k.key_id().map(|id| hex(id)))
                .collect();
            if signed_by.iter().any(|id| trusted_ids.contains(id)) {
                Err(Rejection::Tampered(path.to_owned()))
            } else {
                Err(Rejection::Untrusted(path.to_owned()))
            }
        }
        // A file changed so that it no longer parses was also tampered
        // with, if it carries a trusted key's signature.
        Err(e) => Err(Rejection::Malformed(path.to_owned(), e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal component: the preamble with the component layer, and
    /// one custom section named `note`.
    const COMPONENT: &[u8] = b"\0asm\x0d\0\x01\0\x00\x05\x04note";

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("barrage-signing-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        let _ = std::fs::remove_file(&path);
        path
    }

    #[test]
    fn sign_then_verify_and_every_way_to_fail() {
        let author = scratch("author.key");
        let reviewer = scratch("reviewer.key");
        let stranger = scratch("stranger.key");
        let _ = std::fs::remove_file(author.with_extension("pub"));
        let _ = std::fs::remove_file(reviewer.with_extension("pub"));
        let _ = std::fs::remove_file(stranger.with_extension("pub"));
        let author_pub = generate(&author).unwrap();
        let reviewer_pub = generate(&reviewer).unwrap();
        generate(&stranger).unwrap();
        assert!(generate(&author).is_err(), "a key is never overwritten");

        let wasm = scratch("s.wasm");
        std::fs::write(&wasm, COMPONENT).unwrap();
        let bytes = std::fs::read(&wasm).unwrap();
        let trusted = trust(std::slice::from_ref(&author_pub)).unwrap();
        assert_eq!(
            verify(&wasm, &bytes, None, &trusted),
            Err(Rejection::Unsigned(wasm.clone()))
        );

        // Detached: the component is left as it is.
        let sig = scratch("s.wasm.sig");
        sign(&wasm, &author, Placement::Detached(&sig)).unwrap();
        assert_eq!(std::fs::read(&wasm).unwrap(), bytes);
        let detached = std::fs::read(&sig).unwrap();
        let ok = verify(&wasm, &bytes, Some(&detached), &trusted).unwrap();
        assert_eq!(ok.len(), 1);

        sign(&wasm, &author, Placement::Embedded(&wasm)).unwrap();
        sign(&wasm, &reviewer, Placement::Embedded(&wasm)).unwrap();
        let bytes = std::fs::read(&wasm).unwrap();
        assert_eq!(signers(&bytes, None).unwrap().len(), 2);
        assert_eq!(verify(&wasm, &bytes, None, &trusted).unwrap().len(), 1);
        let both = trust(&[author_pub, reviewer_pub]).unwrap();
        assert_eq!(verify(&wasm, &bytes, None, &both).unwrap().len(), 2);

        let mut changed = bytes.clone();
        *changed.last_mut().unwrap() ^= 1;
        assert_eq!(
            verify(&wasm, &changed, None, &trusted),
            Err(Rejection::Tampered(wasm.clone()))
        );
        let others = trust(&[stranger.with_extension("pub")]).unwrap();
        assert_eq!(
            verify(&wasm, &bytes, None, &others),
            Err(Rejection::Untrusted(wasm.clone()))
        );
    }
}
