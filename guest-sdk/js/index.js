// Barrage's JavaScript SDK: the scenario contract (wit/scenario.wit) with
// the names a k6 script uses.
//
// A scenario imports it as "barrage"; `barrage build` bundles it in. Every
// function here calls the host, so it only works while a test runs: at
// the top level of a module, which runs when the component is built, only
// define things (metrics, options); call nothing.

// The host's functions, which Barrage's JavaScript runtime provides.
const host = globalThis.__barrage;
const { check: recordCheck, groupStart, groupEnd, write } = host;
const vuInfo = host.vu;
const readEnv = host.env;
const hostSleep = host.sleep;

/** Tags and the like as `[name, value]` pairs of text. */
function pairs(object) {
  if (!object) return [];
  if (Array.isArray(object)) return object.map(([k, v]) => [String(k), String(v)]);
  return Object.entries(object).map(([k, v]) => [k, String(v)]);
}

// ---------------------------------------------------------------- http

/**
 * A response as a k6 script knows it: `status`, `headers` (an object of
 * canonical names), `body` (a string, an ArrayBuffer for
 * `responseType: "binary"`, or null for `"none"`), `timings`, `error` and
 * `error_code`, `request`, plus `json()`. The runtime makes them.
 */
export class Response {
  /** The body parsed as JSON; with a dotted `selector`, one value in it. */
  json(selector) {
    if (typeof this.body !== "string") throw new Error("the response body is not text");
    let value = JSON.parse(this.body);
    if (selector) {
      for (const part of String(selector).split(".")) {
        if (value === undefined || value === null) return undefined;
        value = value[part];
      }
    }
    return value;
  }
}

/**
 * Sends one request. `body` is text, bytes, or an object sent as a form;
 * `params` has k6's `headers`, `tags`, `name`, `timeout` (ms or "10s")
 * and `responseType` ("text", "binary" or "none").
 */
function request(method, url, body, params) {
  return host.request(method, url, body, params, Response.prototype);
}

/** One entry of `http.batch`: `[method, url, body?, params?]` or an object. */
function batchEntry(entry) {
  if (typeof entry === "string") return ["GET", entry];
  if (Array.isArray(entry)) return entry;
  return [entry.method ?? "GET", entry.url, entry.body, entry.params];
}

/**
 * HTTP requests, measured by Barrage in the `http_req_*` metrics. A
 * transport failure is a response with status 0 and an `error`, never an
 * exception. Redirects are followed.
 */
export const http = {
  request,
  get: (url, params) => request("GET", url, undefined, params),
  head: (url, params) => request("HEAD", url, undefined, params),
  post: (url, body, params) => request("POST", url, body, params),
  put: (url, body, params) => request("PUT", url, body, params),
  patch: (url, body, params) => request("PATCH", url, body, params),
  del: (url, body, params) => request("DELETE", url, body, params),
  options: (url, body, params) => request("OPTIONS", url, body, params),
  /**
   * Sends requests in parallel; returns their responses in the same
   * shape as the argument (an array, or an object of named requests).
   */
  batch(requests) {
    const named = !Array.isArray(requests);
    const keys = named ? Object.keys(requests) : [];
    const entries = (named ? keys.map((k) => requests[k]) : requests).map(batchEntry);
    const responses = host.batch(entries, Response.prototype);
    if (!named) return responses;
    return Object.fromEntries(keys.map((k, i) => [k, responses[i]]));
  },
};

// -------------------------------------------------- checks and groups

/**
 * Runs each named predicate on `value` and records it in `checks`, as k6
 * does; a predicate that throws fails. Returns whether all passed.
 */
export function check(value, checks, tags) {
  return recordCheck(value, checks, tags);
}

/**
 * Runs `body` inside a group: its requests, checks and metrics are tagged
 * with the group's path, and its time goes into `group_duration`.
 */
export function group(name, body) {
  groupStart(String(name));
  try {
    return body();
  } finally {
    groupEnd();
  }
}

/** Throws, failing the iteration with `message`, as k6's `fail`. */
export function fail(message) {
  throw new Error(message === undefined ? "fail() was called" : String(message));
}

// ----------------------------------------------------------- metrics

class CustomMetric {
  constructor(name, kind, isTime) {
    this.name = String(name);
    this.kind = kind;
    this.isTime = Boolean(isTime);
    this.handle = undefined;
  }

  /** Adds a sample, with tags of its own if given. */
  add(value, tags) {
    // Defined on first use: metrics are usually made at the top level,
    // which runs when the component is built, before any host exists.
    if (this.handle === undefined) this.handle = host.defineMetric(this.name, this.kind, this.isTime);
    host.addMetric(this.handle, Number(value), pairs(tags));
  }
}

/** A sum, shown with its rate per second. */
export class Counter extends CustomMetric {
  constructor(name) {
    super(name, "counter", false);
  }
}

/** The last value set, with its minimum and maximum. */
export class Gauge extends CustomMetric {
  constructor(name) {
    super(name, "gauge", false);
  }
}

/** The share of non-zero (true) samples. */
export class Rate extends CustomMetric {
  constructor(name) {
    super(name, "rate", false);
  }

  add(value, tags) {
    super.add(value ? 1 : 0, tags);
  }
}

/** A distribution; `isTime` shows it as milliseconds. */
export class Trend extends CustomMetric {
  constructor(name, isTime = false) {
    super(name, "trend", isTime);
  }
}

// --------------------------------------------------------- execution

/** Suspends this VU for `seconds` without holding a thread. */
export function sleep(seconds) {
  hostSleep(Number(seconds));
}

/** A variable passed with `-e KEY=VALUE`, or `fallback`. */
export function env(key, fallback) {
  const value = readEnv(String(key));
  return value === undefined || value === null ? fallback : value;
}

/** The calling VU: `{ id, iteration, scenario }` (id 0 in setup and teardown). */
export function vu() {
  const info = vuInfo();
  return { id: info.id, iteration: Number(info.iteration), scenario: info.scenario };
}

/** The `-e` variables, read as k6's `__ENV` is. */
export const __ENV = new Proxy(
  {},
  {
    get: (_, key) => (typeof key === "string" ? env(key) : undefined),
    has: (_, key) => typeof key === "string" && env(key) !== undefined,
  },
);

Object.defineProperty(globalThis, "__ENV", { value: __ENV, configurable: true });
Object.defineProperty(globalThis, "__VU", { get: () => vuInfo().id, configurable: true });
Object.defineProperty(globalThis, "__ITER", {
  get: () => Number(vuInfo().iteration),
  configurable: true,
});

// --------------------------------------------------------------- log

function message(parts) {
  return parts.map((p) => (typeof p === "string" ? p : JSON.stringify(p))).join(" ");
}

/** Messages for the person running the test, tagged with the VU. */
export const log = {
  debug: (...parts) => write("debug", message(parts)),
  info: (...parts) => write("info", message(parts)),
  warn: (...parts) => write("warn", message(parts)),
  error: (...parts) => write("error", message(parts)),
};

// ------------------------------------------------------ the contract

function parseData(text) {
  return text ? JSON.parse(text) : undefined;
}

/** `f(value)`, or once `value` settles if it is a promise. */
function then(value, f) {
  return value instanceof Promise ? value.then(f) : f(value);
}

/**
 * The contract's exports, made from a k6-shaped scenario module:
 * `options`, `setup`, `init` (per VU), `default` (and other functions
 * the options' scenarios name in `exec`), `teardown`, `handleSummary`.
 * `barrage build` calls this; scenarios never need to. The runtime waits
 * for a returned promise, and reports a thrown value (or a rejection) as
 * the call's error; a plain function pays for no promise.
 */
export function __exports(scenario) {
  let data;
  return {
    options: () => (scenario.options ? JSON.stringify(scenario.options) : ""),
    setup: () =>
      then(scenario.setup ? scenario.setup() : undefined, (value) =>
        value === undefined ? "" : JSON.stringify(value),
      ),
    init: (setupData) => {
      data = parseData(setupData);
      return scenario.init ? scenario.init(data) : undefined;
    },
    iteration: (exec) => {
      const fn = scenario[exec];
      if (typeof fn !== "function") {
        throw new Error(`the scenario exports no function \`${exec}\``);
      }
      return fn(data);
    },
    teardown: (setupData) => (scenario.teardown ? scenario.teardown(parseData(setupData)) : undefined),
    handleSummary: (summary) => {
      if (!scenario.handleSummary) return { builtin: true, files: [] };
      return then(scenario.handleSummary(JSON.parse(summary)), (reports) => {
        const files = Object.entries(reports ?? {}).map(([path, content]) => [
          path,
          typeof content === "string" ? content : JSON.stringify(content, null, 2),
        ]);
        // Barrage's own summary stays unless the scenario prints its own.
        return { builtin: !("stdout" in (reports ?? {})), files };
      });
    },
  };
}
