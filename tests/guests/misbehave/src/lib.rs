//! A scenario that misbehaves on request, for the host's failure tests.
//!
//! Each test of the host picks the misbehaviour it needs with `-e`
//! variables, so one component covers every failure path. All variables
//! are optional; with none set, every phase succeeds and an iteration does
//! nothing at all.
//!
//! | variable | effect |
//! |---|---|
//! | `TARGET=URL` | each iteration GETs `URL` once and checks "status is 200" |
//! | `TIMEOUT_MS=N` | that request gives up after `N` milliseconds |
//! | `EXPECT_ERROR_CODE=N` | that request is also checked for "error code is N" |
//! | `FAIL_EVERY=N` | an iteration fails with "planned failure" when `(iteration + 1) % N == 0` |
//! | `TRAP_EVERY=N` | the same rule, but the iteration panics with "planned trap": a wasm trap |
//! | `TRAP_IN=PHASE` | `setup`, `init`, `teardown` or `summary` panics ("planned trap in PHASE") |
//! | `ERR_IN=PHASE` | PHASE returns `Err("planned failure in PHASE")` |
//! | `SLEEP_IN=PHASE` | `setup`, `init` or `teardown` first sleeps 30 s (the host's `sleep`) |
//! | `SPIN=1` | the iteration loops forever without calling the host |
//! | `HOG=1` | the iteration allocates 1 MiB chunks, touching each page, without bound |
//! | `OPTIONS=JSON` | the `options` export returns this text verbatim, valid JSON or not |
//! | `CHECK_ODD=1` | every iteration records "odd iteration", passing when the iteration is odd |
//! | `SETUP_DATA=S` | `setup` returns `S`; `init` fails with "setup data mismatch" on other data |
//! | `BAD_METRIC=1` | `init` defines the counter `bad name!` and returns the host's error |
//! | `RECURSE=1` | the iteration recurses without end until its stack overflows |
//! | `PRINT=N` | each iteration prints `N` lines on stdout and one on stderr |
//! | `SUMMARY_FILE=PATH` | `handle-summary` writes the summary it got to `PATH` |
//! | `SUMMARY_REPLACE=1` | `handle-summary` prints "custom summary: N requests" alone |
//!
//! Besides `default`, the scenario function `visit` (chosen with a
//! scenario's `exec`) GETs `{VISIT_BASE}count/{scenario}-{WHO}`, reading
//! both variables at each iteration so that a scenario's own `env` shows;
//! `WHO` defaults to `nobody`.
//!
//! `iteration` is the VU's count of iterations started before the current
//! one (`vu().iteration`), so with `FAIL_EVERY=3` the third, sixth, ...
//! iterations of each VU fail. In an iteration the checks run first, then
//! the planned failure or trap, then `SPIN` and `HOG`. An unparsable `N`
//! fails `init` with an error naming the variable.
//!
//! Build it with:
//!
//! ```text
//! cargo build --release --target wasm32-wasip2 -p misbehave
//! ```

use std::hint::black_box;

use barrage_sdk::prelude::*;

/// The phases that `TRAP_IN` and `ERR_IN` can name.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Setup,
    Init,
    Teardown,
    Summary,
}

impl Phase {
    fn name(self) -> &'static str {
        match self {
            Phase::Setup => "setup",
            Phase::Init => "init",
            Phase::Teardown => "teardown",
            Phase::Summary => "summary",
        }
    }
}

/// Sleeps, traps or fails in `phase` if `SLEEP_IN`, `TRAP_IN` or `ERR_IN` names it.
fn misbehave_in(phase: Phase) -> Result<()> {
    if env("SLEEP_IN").as_deref() == Some(phase.name()) {
        sleep(30.0);
    }
    if env("TRAP_IN").as_deref() == Some(phase.name()) {
        panic!("planned trap in {}", phase.name());
    }
    if env("ERR_IN").as_deref() == Some(phase.name()) {
        return Err(Error::new(format!("planned failure in {}", phase.name())));
    }
    Ok(())
}

fn enabled(key: &str) -> bool {
    env(key).is_some_and(|value| value == "1")
}

/// Whether the iteration numbered `iteration` is one that `every` picks.
fn is_due(every: Option<u64>, iteration: u64) -> bool {
    every.is_some_and(|n| n != 0 && (iteration + 1).is_multiple_of(n))
}

struct Misbehave {
    target: Option<String>,
    timeout_ms: Option<u64>,
    expect_error_code: Option<u32>,
    fail_every: Option<u64>,
    trap_every: Option<u64>,
    spin: bool,
    hog: bool,
    check_odd: bool,
    print: u64,
    recurse: bool,
}

impl Scenario for Misbehave {
    fn options_json() -> String {
        env("OPTIONS").unwrap_or_default()
    }

    fn setup() -> Result<String> {
        misbehave_in(Phase::Setup)?;
        Ok(env("SETUP_DATA").unwrap_or_default())
    }

    fn init(setup_data: &str) -> Result<Self> {
        misbehave_in(Phase::Init)?;
        if setup_data != env("SETUP_DATA").unwrap_or_default() {
            return Err("setup data mismatch".into());
        }
        if enabled("BAD_METRIC") {
            Counter::new("bad name!")?;
        }
        Ok(Misbehave {
            target: env("TARGET"),
            timeout_ms: env_parse("TIMEOUT_MS")?,
            expect_error_code: env_parse("EXPECT_ERROR_CODE")?,
            fail_every: env_parse("FAIL_EVERY")?,
            trap_every: env_parse("TRAP_EVERY")?,
            spin: enabled("SPIN"),
            hog: enabled("HOG"),
            check_odd: enabled("CHECK_ODD"),
            print: env_parse("PRINT")?.unwrap_or(0),
            recurse: enabled("RECURSE"),
        })
    }

    fn exec(&mut self, name: &str) -> Result<()> {
        match name {
            "default" => self.iteration(),
            "visit" => {
                let base = env("VISIT_BASE").ok_or("`visit` needs VISIT_BASE")?;
                let who = env("WHO").unwrap_or_else(|| "nobody".into());
                let res = http::get(format!("{base}count/{}-{who}", vu().scenario)).send();
                check!(res, "visit counted" => |r| r.status == 200);
                Ok(())
            }
            other => Err(format!("unknown scenario function `{other}`").into()),
        }
    }

    fn iteration(&mut self) -> Result<()> {
        let iteration = vu().iteration;
        if let Some(target) = &self.target {
            let mut req = http::get(target);
            if let Some(ms) = self.timeout_ms {
                req = req.timeout(std::time::Duration::from_millis(ms));
            }
            let res = req.send();
            check!(res, "status is 200" => |r| r.status == 200);
            if let Some(code) = self.expect_error_code {
                check(&format!("error code is {code}"), res.error_code == code);
            }
        }
        if self.check_odd {
            check("odd iteration", !iteration.is_multiple_of(2));
        }
        if self.print > 0 {
            for line in 0..self.print {
                println!("line {line} of iteration {iteration}");
            }
            eprintln!("a complaint from iteration {iteration}");
        }
        if is_due(self.trap_every, iteration) {
            panic!("planned trap");
        }
        if is_due(self.fail_every, iteration) {
            return Err("planned failure".into());
        }
        if self.recurse {
            black_box(dive(0));
        }
        if self.spin {
            spin();
        }
        if self.hog {
            hog();
        }
        Ok(())
    }

    fn teardown(_setup_data: &str) -> Result<()> {
        misbehave_in(Phase::Teardown)
    }

    fn handle_summary(summary: &str) -> Result<SummaryOutput> {
        misbehave_in(Phase::Summary)?;
        let mut output = if enabled("SUMMARY_REPLACE") {
            let json: serde_json::Value = serde_json::from_str(summary)?;
            let requests = json["metrics"]["http_reqs"]["count"]
                .as_f64()
                .unwrap_or(0.0);
            SummaryOutput::replace().stdout(format!("custom summary: {requests} requests\n"))
        } else {
            SummaryOutput::builtin()
        };
        if let Some(path) = env("SUMMARY_FILE") {
            output = output.file(path, summary);
        }
        Ok(output)
    }
}

/// Recurses until the stack overflows; the frame is kept busy so that it
/// cannot be turned into a loop.
fn dive(depth: u64) -> u64 {
    if depth == u64::MAX {
        return 0;
    }
    let frame = black_box([depth; 16]);
    dive(depth + 1).wrapping_add(frame[depth as usize % 16])
}

/// Burns CPU until the host interrupts the instance.
fn spin() -> ! {
    let mut counter = 0_u64;
    loop {
        // `black_box` keeps the optimiser from proving the loop useless.
        counter = black_box(counter.wrapping_add(1));
    }
}

/// Allocates memory until the host's limit stops the instance.
fn hog() -> ! {
    const CHUNK: usize = 1 << 20;
    const PAGE: usize = 4096;
    let mut hoard: Vec<Vec<u8>> = Vec::new();
    loop {
        let mut chunk = vec![0_u8; CHUNK];
        // Writing every page makes the memory real, not just reserved.
        for page in chunk.iter_mut().step_by(PAGE) {
            *page = 1;
        }
        hoard.push(black_box(chunk));
    }
}

barrage_sdk::scenario!(Misbehave);
