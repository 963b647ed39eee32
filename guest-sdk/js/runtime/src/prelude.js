// The standard globals a script expects, on the host's functions
// (`__barrage`, see host.rs). Evaluated once, before the scenario, at
// build time.
(() => {
  "use strict";
  const host = globalThis.__barrage;
  const define = (name, value) =>
    Object.defineProperty(globalThis, name, { value, writable: true, configurable: true });

  // ------------------------------------------------------------ console
  const show = (v) => {
    if (typeof v === "string") return v;
    if (v instanceof Error) return v.stack ? `${v.name}: ${v.message}\n${v.stack}` : `${v.name}: ${v.message}`;
    if (typeof v === "object" && v !== null) {
      try {
        return JSON.stringify(v);
      } catch (_) {
        return String(v);
      }
    }
    return String(v);
  };
  const line = (parts) => parts.map(show).join(" ");
  define("console", {
    log: (...parts) => host.write("info", line(parts)),
    info: (...parts) => host.write("info", line(parts)),
    debug: (...parts) => host.write("debug", line(parts)),
    warn: (...parts) => host.write("warn", line(parts)),
    error: (...parts) => host.write("error", line(parts)),
  });

  // ---------------------------------------------------------- encoding
  const bytes = (input) => {
    if (input instanceof Uint8Array) return input;
    if (input instanceof ArrayBuffer) return new Uint8Array(input);
    if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    throw new TypeError("expected an ArrayBuffer or a view of one");
  };
  class TextEncoder {
    get encoding() {
      return "utf-8";
    }
    encode(text = "") {
      return host.utf8Encode(String(text));
    }
  }
  class TextDecoder {
    constructor(label = "utf-8", options = {}) {
      const name = String(label).toLowerCase();
      if (name !== "utf-8" && name !== "utf8") throw new RangeError(`unsupported encoding \`${label}\``);
      this.fatal = Boolean(options.fatal);
    }
    get encoding() {
      return "utf-8";
    }
    decode(input) {
      if (input === undefined) return "";
      return host.utf8Decode(bytes(input), this.fatal);
    }
  }
  define("TextEncoder", TextEncoder);
  define("TextDecoder", TextDecoder);

  const invalidCharacter = (message) => Object.assign(new Error(message), { name: "InvalidCharacterError" });
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  define("btoa", (text) => {
    text = String(text);
    let out = "";
    for (let i = 0; i < text.length; i += 3) {
      const codes = [text.charCodeAt(i), text.charCodeAt(i + 1), text.charCodeAt(i + 2)];
      if (codes.some((c) => c > 255)) throw invalidCharacter("btoa: a character is outside Latin-1");
      const [a, b, c] = codes;
      const n = (a << 16) | ((b || 0) << 8) | (c || 0);
      out += alphabet[n >> 18] + alphabet[(n >> 12) & 63];
      out += Number.isNaN(b) ? "=" : alphabet[(n >> 6) & 63];
      out += Number.isNaN(c) ? "=" : alphabet[n & 63];
    }
    return out;
  });
  define("atob", (data) => {
    const text = String(data).replace(/[\t\n\f\r ]/g, "").replace(/==?$/, "");
    if (text.length % 4 === 1 || /[^A-Za-z0-9+/]/.test(text)) {
      throw invalidCharacter("atob: the text is not base64");
    }
    let out = "";
    let bits = 0;
    let value = 0;
    for (const ch of text) {
      value = (value << 6) | alphabet.indexOf(ch);
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        out += String.fromCharCode((value >> bits) & 255);
      }
    }
    return out;
  });

  // ------------------------------------------------------------ random
  Object.defineProperty(Math, "random", { value: host.random, writable: true, configurable: true });
  define("crypto", {
    getRandomValues(array) {
      if (!ArrayBuffer.isView(array) || array instanceof Float32Array || array instanceof Float64Array) {
        throw new TypeError("getRandomValues takes an integer typed array");
      }
      bytes(array).set(host.randomBytes(array.byteLength));
      return array;
    },
    randomUUID() {
      const b = host.randomBytes(16);
      b[6] = (b[6] & 0x0f) | 0x40;
      b[8] = (b[8] & 0x3f) | 0x80;
      const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    },
  });

  // ------------------------------------------------------------- fetch
  class Headers {
    #map = new Map();
    constructor(init) {
      if (init instanceof Headers) init = [...init];
      else if (init && typeof init === "object" && !Array.isArray(init)) init = Object.entries(init);
      for (const [k, v] of init ?? []) this.append(k, v);
    }
    append(name, value) {
      const key = String(name).toLowerCase();
      const old = this.#map.get(key);
      this.#map.set(key, old === undefined ? String(value) : `${old}, ${value}`);
    }
    set(name, value) {
      this.#map.set(String(name).toLowerCase(), String(value));
    }
    get(name) {
      return this.#map.get(String(name).toLowerCase()) ?? null;
    }
    has(name) {
      return this.#map.has(String(name).toLowerCase());
    }
    delete(name) {
      this.#map.delete(String(name).toLowerCase());
    }
    forEach(callback, self) {
      for (const [k, v] of this) callback.call(self, v, k, this);
    }
    *entries() {
      yield* [...this.#map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    }
    *keys() {
      for (const [k] of this.entries()) yield k;
    }
    *values() {
      for (const [, v] of this.entries()) yield v;
    }
    [Symbol.iterator]() {
      return this.entries();
    }
  }

  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const bodyBytes = (body) => {
    if (body === undefined || body === null) return [undefined, undefined];
    if (typeof body === "string") return [encoder.encode(body), "text/plain;charset=UTF-8"];
    return [bytes(body), undefined];
  };

  class Response {
    #body;
    constructor(body, init = {}) {
      const [b] = bodyBytes(body);
      this.#body = b ?? new Uint8Array(0);
      this.status = init.status ?? 200;
      this.statusText = init.statusText ?? "";
      this.headers = new Headers(init.headers);
      this.url = init.url ?? "";
      this.bodyUsed = false;
    }
    get ok() {
      return this.status >= 200 && this.status < 300;
    }
    #take() {
      if (this.bodyUsed) return Promise.reject(new TypeError("the body was already read"));
      this.bodyUsed = true;
      return Promise.resolve(this.#body);
    }
    arrayBuffer() {
      return this.#take().then((b) => b.slice().buffer);
    }
    bytes() {
      return this.#take().then((b) => b.slice());
    }
    text() {
      return this.#take().then((b) => decoder.decode(b));
    }
    json() {
      return this.text().then((t) => JSON.parse(t));
    }
  }

  const fetch = (input, init = {}) => {
    try {
      const url = typeof input === "string" ? input : String(input.url ?? input);
      const method = String(init.method ?? input.method ?? "GET").toUpperCase();
      const headers = new Headers(init.headers ?? input.headers);
      const [body, type] = bodyBytes(init.body);
      if (type && !headers.has("content-type")) headers.set("content-type", type);
      const raw = host.fetch(method, url, [...headers], body);
      const response = new Response(raw.body, { status: raw.status, headers: raw.headers, url });
      return Promise.resolve(response);
    } catch (e) {
      return Promise.reject(e);
    }
  };
  define("Headers", Headers);
  define("Response", Response);
  define("fetch", fetch);
})();
