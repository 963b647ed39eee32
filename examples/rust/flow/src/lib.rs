//! A user's journey: log in, list the items, create one.
//!
//! This scenario shows the parts of Barrage a real test leans on:
//! - groups (`login`, `list`, `create`), so the summary breaks results
//!   down by step;
//! - JSON bodies in both directions, and a bearer token carried from one
//!   request to the next;
//! - checks on every response;
//! - custom metrics: the time trend `flow_create_duration`, fed from the
//!   create request's own timings, and the counter `items_created`;
//! - `.name()`: the list request carries a cache-busting query parameter,
//!   so that no cache in front of the server can answer for it, and the
//!   name keeps those thousands of distinct URLs one line in the summary.
//!
//! Each VU logs in once, in `init`, and reuses its token: a real user
//! logs in once per session, not before every click, and a login that
//! fails then fails the VU's start loudly instead of every iteration.
//!
//! Variables, all optional:
//! - `TARGET`: the base URL; by default the built-in target server.
//! - `SLEEP`: seconds to think at the end of each iteration (default 1; 0
//!   skips the pause).
//!
//! Build it, start the built-in target and run it:
//!
//! ```text
//! cargo build --release --target wasm32-wasip2 -p flow
//! barrage target &
//! barrage run target/wasm32-wasip2/release/flow.wasm --vus 5 --duration 30s
//! ```

use barrage_sdk::prelude::*;
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
struct Login {
    token: String,
}

#[derive(Deserialize)]
struct Item {
    id: u64,
    name: String,
}

struct Flow {
    base: String,
    auth: String,
    pause: f64,
    create_duration: Trend,
    items_created: Counter,
}

impl Scenario for Flow {
    fn init(_setup_data: &str) -> Result<Self> {
        let base = env("TARGET").unwrap_or_else(|| "http://127.0.0.1:8080".into());
        let base = base.trim_end_matches('/').to_owned();
        let login: Login = group("login", || {
            let credentials =
                json!({ "username": format!("vu-{}", vu().id), "password": "secret" });
            let res = http::post(format!("{base}/login"))
                .json(&credentials)
                .send();
            check!(res, "login status is 200" => |r| r.status == 200);
            res.error_for_status()?.json()
        })?;
        Ok(Flow {
            auth: format!("Bearer {}", login.token),
            base,
            pause: env_parse("SLEEP")?.unwrap_or(1.0),
            create_duration: Trend::time("flow_create_duration")?,
            items_created: Counter::new("items_created")?,
        })
    }

    fn iteration(&mut self) -> Result<()> {
        group("list", || self.list());
        group("create", || self.create())?;
        if self.pause > 0.0 {
            sleep(self.pause);
        }
        Ok(())
    }
}

impl Flow {
    fn list(&self) {
        let me = vu();
        let res = http::get(format!(
            "{}/items?fresh={}-{}",
            self.base, me.id, me.iteration
        ))
        .name(format!("{}/items?fresh={{vu}}-{{iteration}}", self.base))
        .header("Authorization", &self.auth)
        .send();
        check!(res,
            "list status is 200" => |r| r.status == 200,
            "list is a JSON array of items" => |r| r.json::<Vec<Item>>().is_ok(),
        );
    }

    /// Creates an item. A failed create fails the iteration: it is the
    /// step this flow exists to measure.
    fn create(&self) -> Result<()> {
        let me = vu();
        let name = format!("pen from vu-{} #{}", me.id, me.iteration);
        let res = http::post(format!("{}/items", self.base))
            .header("Authorization", &self.auth)
            .json(&json!({ "name": name }))
            .send();
        self.create_duration.add(res.timings.duration);
        check!(res, "create status is 201" => |r| r.status == 201);
        let item: Item = res.error_for_status()?.json()?;
        check!(item, "created item has the name sent" => |item| item.name == name);
        self.items_created.add(1.0);
        log::debug(format!("created item {}", item.id));
        Ok(())
    }
}

barrage_sdk::scenario!(Flow);
