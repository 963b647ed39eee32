// Hello, Barrage: the smallest useful scenario, in JavaScript.
//
// Every iteration fetches one page, checks that it answered 200 and then
// thinks for a moment, like a user reading it. It exports no options, so
// the number of VUs and the duration come from the command line.
//
// Variables, all optional:
// - TARGET: the URL to fetch; by default the built-in target server.
// - SLEEP: seconds to think after each request (default 1; 0 skips the
//   pause, for a closed loop as fast as the server allows).
//
// Build and run it against the built-in target:
//
//   barrage target &
//   barrage run examples/js/hello --vus 10 --duration 30s
//   barrage run examples/js/hello -e SLEEP=0 --vus 2 --duration 10s

import { http, check, sleep, env } from "barrage";

export default function () {
  const res = http.get(env("TARGET", "http://127.0.0.1:8080/"));
  check(res, { "status is 200": (r) => r.status === 200 });
  const pause = Number(env("SLEEP", "1"));
  if (pause > 0) sleep(pause);
}
