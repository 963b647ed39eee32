// Barrage's JavaScript SDK: the scenario contract (wit/scenario.wit) with
// the names a k6 script uses.
//
// A scenario imports it as "barrage"; `barrage build` bundles it in. Every
// function here calls the host, so it only works while a test runs: at
// the top level of a module, which runs when the component is built, only
// define things (metrics, options); call nothing.

import { send, batch as sendBatch } from "barrage:scenario/http@0.1.0";
import {
  Metric,
  check as recordCheck,
  groupStart,
  groupEnd,
} from "barrage:scenario/metrics@0.1.0";
import {
  vu as vuInfo,
  env as readEnv,
  sleep as hostSleep,
} from "barrage:scenario/execution@0.1.0";
import { write } from "barrage:scenario/log@0.1.0";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

// ---------------------------------------------------------------- http

/** The value of a `timeout` parameter in milliseconds. */
function timeoutMs(value) {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "number") return Math.max(0, Math.round(value));
  const ms = parseDuration(String(value));
  if (ms === undefined) throw new Error(`invalid timeout \`${value}\`: use milliseconds or a duration such as "10s"`);
  return ms;
}

/** `"1m30s"`, `"250ms"`, `"2.5s"` to milliseconds; a bare number is ms. */
function parseDuration(text) {
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text));
  const units = { ms: 1, s: 1000, m: 60000, h: 3600000 };
  let total = 0;
  let rest = text;
  while (rest.length > 0) {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)/.exec(rest);
    if (!m) return undefined;
    total += Number(m[1]) * units[m[2]];
    rest = rest.slice(m[0].length);
  }
  return Math.round(total);
}

function pairs(object) {
  if (!object) return [];
  if (Array.isArray(object)) return object.map(([k, v]) => [String(k), String(v)]);
  return Object.entries(object).map(([k, v]) => [k, String(v)]);
}

/** A request body as bytes, and the content type it implies. */
function encodeBody(body) {
  if (body === undefined || body === null) return [undefined, undefined];
  if (typeof body === "string") return [encoder.encode(body), undefined];
  if (body instanceof Uint8Array) return [body, undefined];
  if (body instanceof ArrayBuffer) return [new Uint8Array(body), undefined];
  if (ArrayBuffer.isView(body)) {
    return [new Uint8Array(body.buffer, body.byteOffset, body.byteLength), undefined];
  }
  // As in k6, an object is sent as a form.
  const form = Object.entries(body)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join("&");
  return [encoder.encode(form), "application/x-www-form-urlencoded"];
}

function toRequest(method, url, body, params = {}) {
  const [bytes, impliedType] = encodeBody(body);
  const headers = pairs(params.headers);
  if (impliedType && !headers.some(([k]) => k.toLowerCase() === "content-type")) {
    headers.push(["Content-Type", impliedType]);
  }
  const tags = pairs(params.tags).filter(([k]) => k !== "name");
  const name = params.name ?? params.tags?.name;
  const responseType = params.responseType ?? "text";
  return {
    request: {
      method: String(method).toUpperCase(),
      url: String(url),
      headers,
      body: bytes,
      timeoutMs: timeoutMs(params.timeout),
      name: name === undefined ? undefined : String(name),
      tags,
      bodyMode: responseType === "none" ? "discard" : "keep",
    },
    responseType,
  };
}

/**
 * A response as a k6 script knows it: `status`, `headers` (an object of
 * canonical names), `body` (a string, an ArrayBuffer for
 * `responseType: "binary"`, or null for `"none"`), `timings`, `error` and
 * `error_code`, plus `json()`.
 */
export class Response {
  constructor(raw, responseType, request) {
    this.status = raw.status;
    this.url = raw.url;
    this.proto = raw.proto;
    this.headers = {};
    for (const [k, v] of raw.headers) {
      const key = canonical(k);
      this.headers[key] = key in this.headers ? `${this.headers[key]}, ${v}` : v;
    }
    this.error = raw.error;
    this.error_code = raw.errorCode;
    const t = raw.timings;
    this.timings = {
      blocked: t.blocked,
      connecting: t.connecting,
      tls_handshaking: t.tlsHandshaking,
      sending: t.sending,
      waiting: t.waiting,
      receiving: t.receiving,
      duration: t.duration,
    };
    this.request = request;
    if (responseType === "none") this.body = null;
    else if (responseType === "binary") this.body = raw.body.slice().buffer;
    else this.body = decoder.decode(raw.body);
  }

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

/** `content-type` to `Content-Type`, as k6 shows header names. */
function canonical(name) {
  return name
    .split("-")
    .map((w) => (w ? w[0].toUpperCase() + w.slice(1).toLowerCase() : w))
    .join("-");
}

function request(method, url, body, params) {
  const { request: req, responseType } = toRequest(method, url, body, params);
  return new Response(send(req), responseType, { method: req.method, url: req.url });
}

/** One entry of `http.batch`: `[method, url, body?, params?]` or an object. */
function batchEntry(entry) {
  if (typeof entry === "string") return toRequest("GET", entry);
  if (Array.isArray(entry)) return toRequest(entry[0], entry[1], entry[2], entry[3]);
  return toRequest(entry.method ?? "GET", entry.url, entry.body, entry.params);
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
    const raws = sendBatch(entries.map((e) => e.request));
    const responses = raws.map(
      (raw, i) => new Response(raw, entries[i].responseType, { method: entries[i].request.method, url: entries[i].request.url }),
    );
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
  const tagList = pairs(tags);
  let all = true;
  for (const [name, predicate] of Object.entries(checks)) {
    let passed;
    try {
      passed = typeof predicate === "function" ? Boolean(predicate(value)) : Boolean(predicate);
    } catch (_) {
      passed = false;
    }
    recordCheck(name, passed, tagList);
    all = all && passed;
  }
  return all;
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
    if (this.handle === undefined) this.handle = Metric.define(this.name, this.kind, this.isTime);
    this.handle.add(Number(value), pairs(tags));
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

function errorText(e) {
  if (e instanceof Error) {
    const where = e.stack ? `\n${String(e.stack).trim()}` : "";
    return `${e.name}: ${e.message}${where}`;
  }
  return String(e);
}

/** Runs `body`; an exception becomes the contract's error string. */
async function guarded(body) {
  try {
    return await body();
  } catch (e) {
    // componentize-js passes a thrown value's `payload` as the error.
    throw { payload: errorText(e) };
  }
}

function parseData(text) {
  return text ? JSON.parse(text) : undefined;
}

/**
 * The contract's exports, made from a k6-shaped scenario module:
 * `options`, `setup`, `init` (per VU), `default` (and other functions
 * the options' scenarios name in `exec`), `teardown`, `handleSummary`.
 * `barrage build` calls this; scenarios never need to.
 */
export function __exports(scenario) {
  let data;
  return {
    options: () => (scenario.options ? JSON.stringify(scenario.options) : ""),
    setup: () =>
      guarded(async () => {
        const value = scenario.setup ? await scenario.setup() : undefined;
        return value === undefined ? "" : JSON.stringify(value);
      }),
    init: (setupData) =>
      guarded(async () => {
        data = parseData(setupData);
        if (scenario.init) await scenario.init(data);
      }),
    iteration: (exec) =>
      guarded(async () => {
        const name = exec === "default" ? "default" : exec;
        const fn = scenario[name];
        if (typeof fn !== "function") {
          throw new Error(`the scenario exports no function \`${name}\``);
        }
        await fn(data);
      }),
    teardown: (setupData) =>
      guarded(async () => {
        if (scenario.teardown) await scenario.teardown(parseData(setupData));
      }),
    handleSummary: (summary) =>
      guarded(async () => {
        if (!scenario.handleSummary) return { builtin: true, files: [] };
        const reports = (await scenario.handleSummary(JSON.parse(summary))) ?? {};
        const files = Object.entries(reports).map(([path, content]) => [
          path,
          typeof content === "string" ? content : JSON.stringify(content, null, 2),
        ]);
        // Barrage's own summary stays unless the scenario prints its own.
        return { builtin: !("stdout" in reports), files };
      }),
  };
}
