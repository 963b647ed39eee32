// Types of Barrage's JavaScript SDK, imported as "barrage".

/** Name and value pairs attached to samples. */
export type Tags = Record<string, string | number | boolean>;

/** Request parameters, as k6's `Params`. */
export interface Params {
  /** Header fields to send; names may be in any case. */
  headers?: Record<string, string>;
  /** Tags for this request's samples. `name` here is the same as `name` below. */
  tags?: Tags;
  /**
   * Groups the samples of URLs that differ only in ids under one name
   * (k6's `name` tag); the URL itself by default.
   */
  name?: string;
  /** Whole-request timeout: milliseconds, or a duration such as `"10s"`. Default 60 s. */
  timeout?: number | string;
  /**
   * What `body` holds: `"text"` (default), `"binary"` (an ArrayBuffer), or
   * `"none"` (the body is read and counted but not kept).
   */
  responseType?: "text" | "binary" | "none";
}

/**
 * A request body: text, bytes, or an object sent as a form
 * (`application/x-www-form-urlencoded`).
 */
export type Body = string | ArrayBuffer | ArrayBufferView | Record<string, unknown> | null | undefined;

/** Phases of one request in milliseconds, with k6's meanings. */
export interface Timings {
  blocked: number;
  connecting: number;
  tls_handshaking: number;
  sending: number;
  waiting: number;
  receiving: number;
  /** `sending + waiting + receiving`. */
  duration: number;
}

/** A response; a transport failure has status 0 and an `error`. */
export declare class Response {
  /** HTTP status; 0 when no response arrived. */
  status: number;
  /** The URL of the last request after redirects. */
  url: string;
  /** `HTTP/1.1`, `HTTP/2.0`, or empty when no response arrived. */
  proto: string;
  /** Header fields by canonical name (`Content-Type`); repeats joined with `, `. */
  headers: Record<string, string>;
  /** Text, an ArrayBuffer for `responseType: "binary"`, or null for `"none"`. */
  body: string | ArrayBuffer | null;
  /** What went wrong, empty on success. */
  error: string;
  /** k6's error code: 1212 refused, 1050 timeout, 1000 + status for 4xx/5xx, ... */
  error_code: number;
  timings: Timings;
  /** The method and URL that were requested. */
  request: { method: string; url: string };
  /** The body parsed as JSON; with a dotted `selector` (`"items.0.id"`), one value in it. */
  json(selector?: string): any;
}

/** A request for `http.batch`. */
export type BatchRequest =
  | string
  | [method: string, url: string, body?: Body, params?: Params]
  | { method?: string; url: string; body?: Body; params?: Params };

/** HTTP requests, measured in the `http_req_*` metrics. Redirects are followed. */
export declare const http: {
  request(method: string, url: string, body?: Body, params?: Params): Response;
  get(url: string, params?: Params): Response;
  head(url: string, params?: Params): Response;
  post(url: string, body?: Body, params?: Params): Response;
  put(url: string, body?: Body, params?: Params): Response;
  patch(url: string, body?: Body, params?: Params): Response;
  /** DELETE (`delete` is a reserved word). */
  del(url: string, body?: Body, params?: Params): Response;
  options(url: string, body?: Body, params?: Params): Response;
  /** Sends requests in parallel; responses come back in the argument's shape. */
  batch(requests: BatchRequest[]): Response[];
  batch(requests: Record<string, BatchRequest>): Record<string, Response>;
};

/**
 * Runs each named predicate on `value` and records it in the `checks`
 * rate; a predicate that throws fails. Returns whether all passed.
 */
export declare function check<T>(
  value: T,
  checks: Record<string, ((value: T) => unknown) | boolean>,
  tags?: Tags,
): boolean;

/**
 * Runs `body` in a group: its requests, checks and metrics are tagged
 * with the group path, and its time goes into `group_duration`.
 */
export declare function group<T>(name: string, body: () => T): T;

/** Throws, failing the iteration with `message`. */
export declare function fail(message?: string): never;

/** Suspends this VU for `seconds` without holding a thread. */
export declare function sleep(seconds: number): void;

/** A variable passed with `-e KEY=VALUE`, or `fallback`. */
export declare function env(key: string): string | undefined;
export declare function env(key: string, fallback: string): string;

/** The calling VU; id 0 in `setup` and `teardown`. */
export declare function vu(): { id: number; iteration: number; scenario: string };

/** The `-e` variables, as k6's `__ENV`. */
export declare const __ENV: Record<string, string | undefined>;

/** Messages for the person running the test, tagged with the VU. */
export declare const log: {
  debug(...parts: unknown[]): void;
  info(...parts: unknown[]): void;
  warn(...parts: unknown[]): void;
  error(...parts: unknown[]): void;
};

declare class CustomMetric {
  readonly name: string;
  /** Adds a sample, with tags of its own if given. */
  add(value: number | boolean, tags?: Tags): void;
}

/** A sum, shown with its rate per second. */
export declare class Counter extends CustomMetric {
  constructor(name: string);
}
/** The last value set, with its minimum and maximum. */
export declare class Gauge extends CustomMetric {
  constructor(name: string);
}
/** The share of true (non-zero) samples. */
export declare class Rate extends CustomMetric {
  constructor(name: string);
}
/** A distribution; `isTime` shows it in milliseconds. */
export declare class Trend extends CustomMetric {
  constructor(name: string, isTime?: boolean);
}

/** What a scenario module may export (for `satisfies` or reference). */
export interface ScenarioModule<Data = unknown> {
  /** k6's options: `vus`, `duration`, `iterations`, `scenarios`, `thresholds`, ... */
  options?: Record<string, unknown>;
  /** Runs once before any VU; its JSON-able result is every VU's `data`. */
  setup?(): Data | Promise<Data>;
  /** Runs once in each VU before its first iteration. */
  init?(data: Data): void | Promise<void>;
  /** One iteration; other exported functions can be named by `exec`. */
  default?(data: Data): void | Promise<void>;
  /** Runs once after the last iteration. */
  teardown?(data: Data): void | Promise<void>;
  /**
   * Turns the summary into reports: `{ "stdout": text, "path": text }`.
   * The built-in summary is printed too unless `stdout` is returned.
   */
  handleSummary?(summary: Record<string, unknown>): Record<string, string | object> | Promise<Record<string, string | object>>;
}

/** Used by `barrage build`; scenarios never call it. */
export declare function __exports(scenario: ScenarioModule): unknown;
