//! Bad input gets one clear message and the right exit code, never a
//! panic.

use std::time::Duration;

use barrage_tests::{barrage, guest, scratch};

const LIMIT: Duration = Duration::from_secs(60);

fn assert_clean_failure(run: &barrage_tests::Run, code: i32, message: &str) {
    assert_eq!(run.code, code, "stderr: {}", run.stderr);
    assert!(
        run.stderr.contains(message),
        "expected `{message}` in: {}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("thread '"),
        "the host panicked: {}",
        run.stderr
    );
    assert!(!run.stderr.contains("RUST_BACKTRACE"), "{}", run.stderr);
}

#[test]
fn a_missing_file() {
    let run = barrage(&["run", "/nonexistent/scenario.wasm"], LIMIT);
    assert_clean_failure(
        &run,
        107,
        "scenario file `/nonexistent/scenario.wasm` does not exist",
    );
}

#[test]
fn a_file_that_is_not_wasm() {
    let path = scratch("text.wasm");
    std::fs::write(&path, "console.log('hi')").unwrap();
    let run = barrage(&["run", path.to_str().unwrap()], LIMIT);
    assert_clean_failure(&run, 107, "is not a WebAssembly file");
}

#[test]
fn a_core_module() {
    let path = scratch("core.wasm");
    std::fs::write(&path, b"\0asm\x01\0\0\0").unwrap();
    let run = barrage(&["run", path.to_str().unwrap()], LIMIT);
    assert_clean_failure(&run, 107, "is a core WebAssembly module, not a component");
}

#[test]
fn a_truncated_component() {
    let bytes = std::fs::read(guest("hello")).unwrap();
    let path = scratch("truncated.wasm");
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let run = barrage(&["run", path.to_str().unwrap()], LIMIT);
    assert_clean_failure(&run, 107, "is not a valid WebAssembly component");
}

/// Encodes a component for `world` in `wit` whose functions do nothing.
fn component_for(wit: &str, world: &str) -> Vec<u8> {
    let mut resolve = wit_parser::Resolve::default();
    let package = resolve.push_str("test.wit", wit).unwrap();
    let world = resolve.select_world(&[package], Some(world)).unwrap();
    let mut module =
        wit_component::dummy_module(&resolve, world, wit_parser::ManglingAndAbi::Standard32);
    wit_component::embed_component_metadata(
        &mut module,
        &resolve,
        world,
        wit_component::StringEncoding::UTF8,
    )
    .unwrap();
    wit_component::ComponentEncoder::default()
        .module(&module)
        .unwrap()
        .encode()
        .unwrap()
}

#[test]
fn a_component_built_against_another_contract_version() {
    let wit = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../wit/scenario.wit"))
        .unwrap()
        .replace("barrage:scenario@0.1.0", "barrage:scenario@0.2.0");
    let path = scratch("v2.wasm");
    std::fs::write(&path, component_for(&wit, "scenario")).unwrap();
    let run = barrage(&["run", path.to_str().unwrap()], LIMIT);
    assert_clean_failure(
        &run,
        107,
        "was built against barrage:scenario@0.2.0, \
         but this Barrage implements barrage:scenario@0.1.0",
    );
}

#[test]
fn a_component_for_another_world() {
    let wit = "package other:thing; world cmd { export run: func(); }";
    let path = scratch("other.wasm");
    std::fs::write(&path, component_for(wit, "cmd")).unwrap();
    let run = barrage(&["run", path.to_str().unwrap()], LIMIT);
    assert_clean_failure(
        &run,
        107,
        "is not a Barrage scenario: it does not export `options`",
    );
}

#[test]
fn bad_flag_values_exit_104() {
    let hello = guest("hello");
    let hello = hello.to_str().unwrap();
    for (args, message) in [
        (
            vec!["run", hello, "--vus", "many"],
            "invalid value 'many' for '--vus <N>'",
        ),
        (
            vec!["run", hello, "--duration", "soon"],
            "invalid duration `soon`",
        ),
        (vec!["run", hello, "-e", "NOEQUALS"], "expected KEY=VALUE"),
        (
            vec!["run", hello, "--vus", "0", "--duration", "1s"],
            "invalid options: vus: must be at least 1",
        ),
        (
            vec!["run", hello, "--vus", "5", "--iterations", "2"],
            "5 VUs cannot share only 2 iterations",
        ),
    ] {
        let run = barrage(&args, LIMIT);
        assert_clean_failure(&run, 104, message);
    }
}

#[test]
fn bad_scenario_options_exit_104_naming_the_field() {
    let run = barrage(
        &[
            "run",
            guest("misbehave").to_str().unwrap(),
            "-e",
            r#"OPTIONS={"vus": -1}"#,
        ],
        LIMIT,
    );
    assert_clean_failure(&run, 104, "invalid options from the scenario");
    let run = barrage(
        &[
            "run",
            guest("misbehave").to_str().unwrap(),
            "-e",
            r#"OPTIONS={"duraton": "1s"}"#,
        ],
        LIMIT,
    );
    assert_clean_failure(
        &run,
        104,
        "duraton: unknown option (did you mean `duration`?)",
    );
}

#[test]
fn bad_environment_options_exit_104() {
    let mut cmd = barrage_tests::command(&["run", guest("hello").to_str().unwrap()]);
    cmd.env("BARRAGE_VUS", "lots");
    let run = barrage_tests::finish(cmd.spawn().unwrap(), LIMIT);
    assert_clean_failure(
        &run,
        104,
        "`BARRAGE_VUS`: expected a whole number, got `lots`",
    );
}
