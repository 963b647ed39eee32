// A JavaScript scenario for the tests: what `MODE` asks for.
//
// - `sdk` (default): one SDK request to TARGET, checked.
// - `fetch`: one request with the standard `fetch()`, checked.
// - `both`: one of each.
// - `refused`: requests to a closed port through the SDK and `fetch()`;
//   checks that each failure reaches the scenario as an error.
// - `throw`: the iteration throws.
// - `random`: prints "random X Y", X from `Math.random()` and Y from
//   `crypto.getRandomValues`, with `console.log`.

import { http, check, env } from "barrage";

const target = () => env("TARGET", "http://127.0.0.1:8080/");

async function viaFetch(url) {
  const res = await fetch(url);
  const text = await res.text();
  check(res, { "fetch status is 200": (r) => r.status === 200 }, { via: "fetch" });
  return text;
}

export default async function () {
  const mode = env("MODE", "sdk");
  if (mode === "sdk" || mode === "both") {
    const res = http.get(target());
    check(res, { "sdk status is 200": (r) => r.status === 200 });
  }
  if (mode === "fetch" || mode === "both") {
    await viaFetch(target());
  }
  if (mode === "refused") {
    const res = http.get("http://127.0.0.1:1/");
    check(res, {
      "sdk refusal is status 0": (r) => r.status === 0,
      "sdk refusal carries an error": (r) => r.error.length > 0 && r.error_code === 1212,
    });
    let rejected = false;
    try {
      await fetch("http://127.0.0.1:1/");
    } catch (_) {
      rejected = true;
    }
    check(rejected, { "fetch refusal rejects": (r) => r });
  }
  if (mode === "random") {
    const bytes = crypto.getRandomValues(new Uint8Array(8));
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    console.log(`random ${Math.random()} ${hex}`);
  }
  if (mode === "throw") {
    throw new Error("thrown on purpose");
  }
}
