//! Hello, Barrage: the smallest useful scenario.
//!
//! Every iteration fetches one page, checks that it answered 200 and then
//! thinks for a moment, like a user reading it. The scenario exports no
//! options of its own (the default `Scenario::options` is `None`), so the
//! number of VUs and the duration come from the command line.
//!
//! Variables, all optional:
//! - `TARGET`: the URL to fetch; by default the built-in target server.
//! - `SLEEP`: seconds to think after each request (default 1; 0 skips the
//!   pause entirely, for a closed loop as fast as the server allows).
//!
//! Build it, start the built-in target and run it for 30 seconds:
//!
//! ```text
//! cargo build --release --target wasm32-wasip2 -p hello
//! barrage target &
//! barrage run target/wasm32-wasip2/release/hello.wasm --vus 10 --duration 30s
//! barrage run target/wasm32-wasip2/release/hello.wasm -e SLEEP=0 --vus 2 --duration 10s
//! ```

use barrage_sdk::prelude::*;

struct Hello {
    target: String,
    pause: f64,
}

impl Scenario for Hello {
    fn init(_setup_data: &str) -> Result<Self> {
        Ok(Hello {
            target: env("TARGET").unwrap_or_else(|| "http://127.0.0.1:8080/".into()),
            pause: env_parse("SLEEP")?.unwrap_or(1.0),
        })
    }

    fn iteration(&mut self) -> Result<()> {
        let res = http::get(&self.target).send();
        check!(res, "status is 200" => |r| r.status == 200);
        if self.pause > 0.0 {
            sleep(self.pause);
        }
        Ok(())
    }
}

barrage_sdk::scenario!(Hello);
