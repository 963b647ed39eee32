//! Signed scenarios through the real binary: keys, signing in place and to
//! a copy, verification, and `run --require-signed` refusing an unsigned,
//! tampered or untrusted component with exit 110 before it runs.

use std::path::PathBuf;
use std::time::Duration;

use barrage_tests::{Run, Server, barrage, guest, scratch};

const LIMIT: Duration = Duration::from_secs(60);

fn cli(args: &[&str]) -> Run {
    barrage(args, LIMIT)
}

/// A fresh key pair in the scratch directory: (secret, public).
fn key(name: &str) -> (PathBuf, PathBuf) {
    let secret = scratch(&format!("{name}.key"));
    let public = secret.with_extension("pub");
    let _ = std::fs::remove_file(&secret);
    let _ = std::fs::remove_file(&public);
    let run = cli(&["key", "generate", "--out", secret.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(public.exists());
    (secret, public)
}

fn run_signed(wasm: &std::path::Path, server: &Server, trust: &std::path::Path) -> Run {
    cli(&[
        "run",
        wasm.to_str().unwrap(),
        "-q",
        "--iterations",
        "2",
        "-e",
        &format!("TARGET={}", server.url()),
        "-e",
        "SLEEP=0",
        "--require-signed",
        "--trust",
        trust.to_str().unwrap(),
    ])
}

#[test]
fn signed_scenarios_run_and_the_rest_are_refused() {
    let server = Server::start();
    let (author, author_pub) = key("author");
    let (reviewer, reviewer_pub) = key("reviewer");
    let (_, stranger_pub) = key("stranger");
    let unsigned = scratch("unsigned.wasm");
    std::fs::copy(guest("hello"), &unsigned).unwrap();
    let signed = scratch("signed.wasm");

    // Unsigned: refused before anything runs.
    let run = run_signed(&unsigned, &server, &author_pub);
    assert_eq!(run.code, 110, "{}", run.stderr);
    assert!(run.stderr.contains("is not signed"), "{}", run.stderr);
    assert_eq!(server.requests(), 0);

    // Signed by the author into a copy, then by the reviewer in place.
    let run = cli(&[
        "sign",
        unsigned.to_str().unwrap(),
        "--key",
        author.to_str().unwrap(),
        "-o",
        signed.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = cli(&[
        "sign",
        signed.to_str().unwrap(),
        "--key",
        reviewer.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("2 signature(s)"), "{}", run.stderr);
    let run = cli(&["inspect", signed.to_str().unwrap()]);
    assert!(run.stdout.contains("signed by keys: "), "{}", run.stdout);
    let run = cli(&[
        "verify",
        signed.to_str().unwrap(),
        "--trust",
        reviewer_pub.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);

    // Signing changes nothing the scenario does: it runs as before.
    let run = run_signed(&signed, &server, &author_pub);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(server.requests(), 2);

    // A directory of trusted keys works too.
    let dir = scratch("trusted-keys");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(&reviewer_pub, dir.join("reviewer.pub")).unwrap();
    let run = run_signed(&signed, &server, &dir);
    assert_eq!(run.code, 0, "{}", run.stderr);

    // Untrusted: signed, but by nobody the runner trusts.
    let run = run_signed(&signed, &server, &stranger_pub);
    assert_eq!(run.code, 110, "{}", run.stderr);
    assert!(run.stderr.contains("by no trusted key"), "{}", run.stderr);

    // Tampered: one byte changed after signing.
    let tampered = scratch("tampered.wasm");
    let mut bytes = std::fs::read(&signed).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    std::fs::write(&tampered, bytes).unwrap();
    let run = run_signed(&tampered, &server, &author_pub);
    assert_eq!(run.code, 110, "{}", run.stderr);
    assert!(
        run.stderr.contains("was changed after it was signed"),
        "{}",
        run.stderr
    );
    let run = cli(&[
        "verify",
        tampered.to_str().unwrap(),
        "--trust",
        author_pub.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 110, "{}", run.stderr);
    assert_eq!(server.requests(), 4, "refused scenarios sent nothing");
}

#[test]
fn require_signed_needs_keys_and_keys_are_never_overwritten() {
    let server = Server::start();
    let run = cli(&["run", guest("hello").to_str().unwrap(), "--require-signed"]);
    assert_eq!(run.code, 104, "{}", run.stderr);
    assert!(run.stderr.contains("--trust"), "{}", run.stderr);
    let (secret, _) = key("kept");
    let run = cli(&["key", "generate", "--out", secret.to_str().unwrap()]);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("cannot create"), "{}", run.stderr);
    drop(server);
}

#[test]
fn a_detached_signature_leaves_the_component_as_it_is() {
    let server = Server::start();
    let (author, author_pub) = key("detached-author");
    let wasm = scratch("detached.wasm");
    std::fs::copy(guest("hello"), &wasm).unwrap();
    let before = std::fs::read(&wasm).unwrap();
    let sig = scratch("detached.wasm.sig");
    let run = cli(&[
        "sign",
        wasm.to_str().unwrap(),
        "--key",
        author.to_str().unwrap(),
        "--detached",
        sig.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(std::fs::read(&wasm).unwrap(), before);
    let run = cli(&[
        "run",
        wasm.to_str().unwrap(),
        "-q",
        "--iterations",
        "1",
        "-e",
        &format!("TARGET={}", server.url()),
        "--require-signed",
        "--trust",
        author_pub.to_str().unwrap(),
        "--signature",
        sig.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(server.requests(), 1);
    // Without the signature file, the component is unsigned.
    let run = run_signed(&wasm, &server, &author_pub);
    assert_eq!(run.code, 110, "{}", run.stderr);
}
