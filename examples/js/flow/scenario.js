// A user's journey, in JavaScript: log in, list the items, create one.
//
// The same scenario as examples/rust/flow, with the same checks and
// metrics, written as a k6 user would write it:
// - groups (`list`, `create`), so the summary breaks results down by step;
// - JSON bodies both ways, and a bearer token carried between requests;
// - checks on every response;
// - custom metrics: the time trend `flow_create_duration`, fed from the
//   create request's own timings, and the counter `items_created`;
// - a `name` for the list request, whose cache-busting query parameter
//   would otherwise make every URL a line of its own in the summary.
//
// Each VU logs in once, in `init`, and keeps its token: a real user logs
// in once per session, not before every click.
//
// Variables, all optional:
// - TARGET: the base URL; by default the built-in target server.
// - SLEEP: seconds to think at the end of each iteration (default 1).
//
//   barrage target &
//   barrage run examples/js/flow --vus 5 --duration 30s

import { http, check, group, sleep, env, vu, log, Counter, Trend } from "barrage";

const createDuration = new Trend("flow_create_duration", true);
const itemsCreated = new Counter("items_created");

let base;
let auth;

export function init() {
  base = env("TARGET", "http://127.0.0.1:8080").replace(/\/+$/, "");
  const login = group("login", () => {
    const credentials = { username: `vu-${vu().id}`, password: "secret" };
    const res = http.post(`${base}/login`, JSON.stringify(credentials), {
      headers: { "Content-Type": "application/json" },
    });
    check(res, { "login status is 200": (r) => r.status === 200 });
    if (res.status !== 200) throw new Error(`login failed: ${res.status} ${res.error}`);
    return res.json();
  });
  auth = `Bearer ${login.token}`;
}

export default function () {
  group("list", list);
  group("create", create);
  const pause = Number(env("SLEEP", "1"));
  if (pause > 0) sleep(pause);
}

function list() {
  const me = vu();
  const res = http.get(`${base}/items?fresh=${me.id}-${me.iteration}`, {
    headers: { Authorization: auth },
    name: `${base}/items?fresh={vu}-{iteration}`,
  });
  check(res, {
    "list status is 200": (r) => r.status === 200,
    "list is a JSON array of items": (r) => Array.isArray(r.json()),
  });
}

// A failed create fails the iteration: it is the step this flow measures.
function create() {
  const me = vu();
  const name = `pen from vu-${me.id} #${me.iteration}`;
  const res = http.post(`${base}/items`, JSON.stringify({ name }), {
    headers: { Authorization: auth, "Content-Type": "application/json" },
  });
  createDuration.add(res.timings.duration);
  check(res, { "create status is 201": (r) => r.status === 201 });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${res.error}`);
  const item = res.json();
  check(item, { "created item has the name sent": (i) => i.name === name });
  itemsCreated.add(1);
  log.debug(`created item ${item.id}`);
}
