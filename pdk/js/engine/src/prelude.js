// The globals npm code expects, over the engine's natives (`__wasmfn_host`). Evaluated once
// per instance, before the function's bundle.
(function () {
  "use strict";
  const host = globalThis.__wasmfn_host;

  // --- console: into the host's tracing, inside the call's span.
  const show = (value) => {
    if (typeof value === "string") return value;
    if (value instanceof Error) return value.stack ? `${value}\n${value.stack}` : String(value);
    if (typeof value === "bigint") return `${value}n`;
    if (typeof value === "function") return `[Function ${value.name || "anonymous"}]`;
    try {
      const text = JSON.stringify(value);
      return text === undefined ? String(value) : text;
    } catch {
      return String(value);
    }
  };
  const logger = (level) => (...args) => host.log(level, args.map(show).join(" "), "{}");
  globalThis.console = {
    log: logger("info"),
    info: logger("info"),
    warn: logger("warn"),
    error: logger("error"),
    debug: logger("debug"),
    trace: logger("trace"),
  };

  // --- TextEncoder / TextDecoder (UTF-8 only, as on the web).
  class TextEncoder {
    get encoding() {
      return "utf-8";
    }
    encode(input = "") {
      const text = String(input);
      const bytes = [];
      for (let i = 0; i < text.length; i++) {
        let code = text.codePointAt(i);
        if (code > 0xffff) i++;
        else if (code >= 0xd800 && code <= 0xdfff) code = 0xfffd;
        if (code < 0x80) bytes.push(code);
        else if (code < 0x800) bytes.push(0xc0 | (code >> 6), 0x80 | (code & 63));
        else if (code < 0x10000)
          bytes.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63));
        else
          bytes.push(
            0xf0 | (code >> 18),
            0x80 | ((code >> 12) & 63),
            0x80 | ((code >> 6) & 63),
            0x80 | (code & 63),
          );
      }
      return new Uint8Array(bytes);
    }
  }
  class TextDecoder {
    constructor(label = "utf-8", options = {}) {
      const name = String(label).toLowerCase();
      if (name !== "utf-8" && name !== "utf8")
        throw new RangeError(`TextDecoder: only utf-8 is supported, not ${label}`);
      this.fatal = Boolean(options.fatal);
    }
    get encoding() {
      return "utf-8";
    }
    decode(input) {
      if (input === undefined) return "";
      const bytes =
        input instanceof Uint8Array
          ? input
          : ArrayBuffer.isView(input)
            ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength)
            : new Uint8Array(input);
      let out = "";
      for (let i = 0; i < bytes.length; ) {
        const b = bytes[i];
        let code = 0xfffd;
        let size = 1;
        if (b < 0x80) code = b;
        else if (b >= 0xc2 && b < 0xe0 && (bytes[i + 1] & 0xc0) === 0x80) {
          code = ((b & 31) << 6) | (bytes[i + 1] & 63);
          size = 2;
        } else if (b >= 0xe0 && b < 0xf0 && (bytes[i + 1] & 0xc0) === 0x80 && (bytes[i + 2] & 0xc0) === 0x80) {
          code = ((b & 15) << 12) | ((bytes[i + 1] & 63) << 6) | (bytes[i + 2] & 63);
          size = 3;
          if (code < 0x800 || (code >= 0xd800 && code <= 0xdfff)) code = 0xfffd;
        } else if (
          b >= 0xf0 && b < 0xf5 &&
          (bytes[i + 1] & 0xc0) === 0x80 && (bytes[i + 2] & 0xc0) === 0x80 && (bytes[i + 3] & 0xc0) === 0x80
        ) {
          code = ((b & 7) << 18) | ((bytes[i + 1] & 63) << 12) | ((bytes[i + 2] & 63) << 6) | (bytes[i + 3] & 63);
          size = 4;
          if (code < 0x10000 || code > 0x10ffff) code = 0xfffd;
        }
        if (code === 0xfffd && this.fatal && b !== 0xef)
          throw new TypeError("TextDecoder: the input is not valid UTF-8");
        out += String.fromCodePoint(code);
        i += size;
      }
      return out;
    }
  }
  globalThis.TextEncoder = TextEncoder;
  globalThis.TextDecoder = TextDecoder;

  // --- atob / btoa.
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  globalThis.btoa = (input) => {
    const text = String(input);
    let out = "";
    for (let i = 0; i < text.length; i += 3) {
      const codes = [text.charCodeAt(i), text.charCodeAt(i + 1), text.charCodeAt(i + 2)];
      for (const c of codes)
        if (c > 255) throw new DOMException("btoa: the string has characters outside Latin1", "InvalidCharacterError");
      const [a, b, c] = codes;
      const n = (a << 16) | ((b || 0) << 8) | (c || 0);
      out += alphabet[n >> 18] + alphabet[(n >> 12) & 63];
      out += Number.isNaN(b) ? "=" : alphabet[(n >> 6) & 63];
      out += Number.isNaN(c) ? "=" : alphabet[n & 63];
    }
    return out;
  };
  globalThis.atob = (input) => {
    const text = String(input).replace(/[\t\n\f\r ]/g, "").replace(/={1,2}$/, "");
    if (text.length % 4 === 1 || /[^A-Za-z0-9+/]/.test(text))
      throw new DOMException("atob: the string is not valid base64", "InvalidCharacterError");
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
  };

  class DOMException extends Error {
    constructor(message = "", name = "Error") {
      super(message);
      this.name = name;
    }
  }
  globalThis.DOMException = DOMException;

  // --- structuredClone: plain data, Dates, RegExps, Maps, Sets, typed arrays, cycles.
  globalThis.structuredClone = (value) => {
    const seen = new Map();
    const clone = (v) => {
      if (typeof v === "function" || typeof v === "symbol")
        throw new DOMException(`${String(v)} could not be cloned`, "DataCloneError");
      if (v === null || typeof v !== "object") return v;
      if (seen.has(v)) return seen.get(v);
      let out;
      if (v instanceof Date) out = new Date(v.getTime());
      else if (v instanceof RegExp) out = new RegExp(v.source, v.flags);
      else if (ArrayBuffer.isView(v)) out = new v.constructor(v);
      else if (v instanceof ArrayBuffer) out = v.slice(0);
      else if (v instanceof Map) {
        out = new Map();
        seen.set(v, out);
        for (const [k, x] of v) out.set(clone(k), clone(x));
        return out;
      } else if (v instanceof Set) {
        out = new Set();
        seen.set(v, out);
        for (const x of v) out.add(clone(x));
        return out;
      } else if (Array.isArray(v)) {
        out = [];
        seen.set(v, out);
        for (let i = 0; i < v.length; i++) out[i] = clone(v[i]);
        return out;
      } else if (v instanceof Error) {
        out = new v.constructor(v.message);
      } else {
        out = {};
        seen.set(v, out);
        for (const k of Object.keys(v)) out[k] = clone(v[k]);
        return out;
      }
      seen.set(v, out);
      return out;
    };
    return clone(value);
  };

  // --- crypto: randomness from the host.
  const randomBytes = (n) => new Uint8Array(host.random(n));
  globalThis.crypto = {
    getRandomValues(array) {
      if (!ArrayBuffer.isView(array) || array instanceof Float32Array || array instanceof Float64Array)
        throw new TypeError("crypto.getRandomValues: expects an integer typed array");
      if (array.byteLength > 65536)
        throw new DOMException("crypto.getRandomValues: at most 65536 bytes", "QuotaExceededError");
      new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(randomBytes(array.byteLength));
      return array;
    },
    randomUUID() {
      const b = randomBytes(16);
      b[6] = (b[6] & 0x0f) | 0x40;
      b[8] = (b[8] & 0x3f) | 0x80;
      const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    },
  };

  // --- timers, on a virtual clock: they run, in order, before the call returns. A binary
  // heap ordered by (time, id), so n timers cost O(n log n); a cleared timer is only marked
  // and skipped when it comes up. What a call leaves behind is dropped when it ends.
  let heap = [];
  const live = new Map();
  let nextTimer = 1;
  let virtualNow = 0;
  const before = (a, b) => a.at < b.at || (a.at === b.at && a.id < b.id);
  const push = (timer) => {
    heap.push(timer);
    for (let i = heap.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  };
  const pop = () => {
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0) {
      heap[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && before(heap[l], heap[m])) m = l;
        if (r < heap.length && before(heap[r], heap[m])) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m], heap[i]];
        i = m;
      }
    }
    return top;
  };
  const addTimer = (fn, ms, args, repeat) => {
    if (typeof fn !== "function") throw new TypeError("setTimeout: the callback is not a function");
    const id = nextTimer++;
    const delay = Math.max(0, Number(ms) || 0);
    const timer = { id, at: virtualNow + delay, fn, args, repeat: repeat ? Math.max(1, delay) : 0 };
    live.set(id, timer);
    push(timer);
    return id;
  };
  globalThis.setTimeout = (fn, ms, ...args) => addTimer(fn, ms, args, false);
  globalThis.setInterval = (fn, ms, ...args) => addTimer(fn, ms, args, true);
  globalThis.clearTimeout = globalThis.clearInterval = (id) => void live.delete(id);
  globalThis.queueMicrotask = (fn) => void Promise.resolve().then(fn);
  // Runs the earliest timer; false when none is left. Called by the engine once no
  // promise job is pending.
  globalThis.__wasmfn_run_timer = () => {
    while (heap.length > 0) {
      const timer = pop();
      // Cleared, or a repeat that was rescheduled as a new entry.
      if (live.get(timer.id) !== timer) continue;
      virtualNow = Math.max(virtualNow, timer.at);
      if (timer.repeat) {
        const next = { ...timer, at: virtualNow + timer.repeat };
        live.set(timer.id, next);
        push(next);
      } else live.delete(timer.id);
      timer.fn(...timer.args);
      return true;
    }
    return false;
  };
  // Called by the engine when a call ends, however it ended.
  globalThis.__wasmfn_end_call = () => {
    heap = [];
    live.clear();
  };

  // --- URL / URLSearchParams (parsing by the Rust `url` crate, WHATWG rules).
  const encodeForm = (s) => encodeURIComponent(s).replace(/%20/g, "+").replace(/[!'()~]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
  const decodeForm = (s) => {
    try {
      return decodeURIComponent(s.replace(/\+/g, " "));
    } catch {
      return s;
    }
  };
  class URLSearchParams {
    #list = [];
    #url = null;
    constructor(init = "") {
      if (typeof init === "string") this.#parse(init);
      else if (init instanceof URLSearchParams) this.#list = init.#list.map(([k, v]) => [k, v]);
      else if (init && typeof init[Symbol.iterator] === "function")
        for (const [k, v] of init) this.#list.push([String(k), String(v)]);
      else if (init && typeof init === "object")
        for (const k of Object.keys(init)) this.#list.push([k, String(init[k])]);
    }
    #parse(text) {
      this.#list = [];
      for (const part of text.replace(/^\?/, "").split("&")) {
        if (!part) continue;
        const eq = part.indexOf("=");
        const [k, v] = eq < 0 ? [part, ""] : [part.slice(0, eq), part.slice(eq + 1)];
        this.#list.push([decodeForm(k), decodeForm(v)]);
      }
    }
    static _attach(params, url) {
      params.#url = url;
    }
    static _reparse(params, text) {
      params.#parse(text);
    }
    #update() {
      if (this.#url) this.#url._setSearch(this.toString());
    }
    get size() {
      return this.#list.length;
    }
    append(k, v) {
      this.#list.push([String(k), String(v)]);
      this.#update();
    }
    delete(k) {
      this.#list = this.#list.filter(([x]) => x !== String(k));
      this.#update();
    }
    get(k) {
      const hit = this.#list.find(([x]) => x === String(k));
      return hit ? hit[1] : null;
    }
    getAll(k) {
      return this.#list.filter(([x]) => x === String(k)).map(([, v]) => v);
    }
    has(k) {
      return this.#list.some(([x]) => x === String(k));
    }
    set(k, v) {
      const key = String(k);
      const i = this.#list.findIndex(([x]) => x === key);
      if (i < 0) this.#list.push([key, String(v)]);
      else {
        this.#list[i][1] = String(v);
        this.#list = this.#list.filter(([x], j) => x !== key || j === i);
      }
      this.#update();
    }
    sort() {
      this.#list.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      this.#update();
    }
    forEach(fn, self) {
      for (const [k, v] of this.#list) fn.call(self, v, k, this);
    }
    keys() {
      return this.#list.map(([k]) => k)[Symbol.iterator]();
    }
    values() {
      return this.#list.map(([, v]) => v)[Symbol.iterator]();
    }
    entries() {
      return this.#list.map(([k, v]) => [k, v])[Symbol.iterator]();
    }
    [Symbol.iterator]() {
      return this.entries();
    }
    toString() {
      return this.#list.map(([k, v]) => `${encodeForm(k)}=${encodeForm(v)}`).join("&");
    }
  }

  const URL_PARTS = ["href", "protocol", "username", "password", "host", "hostname", "port", "pathname", "search", "hash", "origin"];
  const PARTS = Symbol("parts");
  const PARAMS = Symbol("params");
  class URL {
    constructor(url, base) {
      const parsed = host.url(String(url), base === undefined ? null : String(base));
      if (parsed == null) throw new TypeError(`Invalid URL: ${url}`);
      Object.defineProperty(this, PARTS, { value: JSON.parse(parsed), writable: true });
      Object.defineProperty(this, PARAMS, { value: new URLSearchParams(this[PARTS].search) });
      URLSearchParams._attach(this[PARAMS], this);
    }
    static canParse(url, base) {
      return host.url(String(url), base === undefined ? null : String(base)) != null;
    }
    static parse(url, base) {
      try {
        return new URL(url, base);
      } catch {
        return null;
      }
    }
    _set(part, value) {
      const updated = host.urlSet(this[PARTS].href, part, String(value));
      if (updated == null) {
        if (part === "href") throw new TypeError(`Invalid URL: ${value}`);
        return;
      }
      this[PARTS] = JSON.parse(updated);
      if (part !== "search") URLSearchParams._reparse(this[PARAMS], this[PARTS].search);
    }
    _setSearch(search) {
      this._set("search", search);
    }
    get searchParams() {
      return this[PARAMS];
    }
    toString() {
      return this[PARTS].href;
    }
    toJSON() {
      return this[PARTS].href;
    }
  }
  for (const part of URL_PARTS)
    Object.defineProperty(URL.prototype, part, {
      get() {
        return this[PARTS][part];
      },
      set(value) {
        if (part !== "origin") this._set(part, value);
      },
      enumerable: true,
    });
  globalThis.URL = URL;
  globalThis.URLSearchParams = URLSearchParams;

  // --- the call itself.
  globalThis.__wasmfn_call = (handler, inputText) =>
    new Promise((resolve) => {
      let input = null;
      if (inputText.length > 0) {
        try {
          input = JSON.parse(inputText);
        } catch (e) {
          const error = new Error(`the input is not JSON: ${e.message}`);
          error.code = "invalid_input";
          throw error;
        }
      }
      resolve(handler(input));
    }).then((output) => {
      const invalid = (why) => {
        const error = new Error(`the handler's result is not JSON-serializable: ${why}`);
        error.code = "invalid_output";
        return error;
      };
      let text;
      try {
        text = JSON.stringify(output === undefined ? null : output);
      } catch (e) {
        throw invalid(e.message);
      }
      // A function or a symbol has no JSON form at all.
      if (typeof text !== "string") throw invalid(`it is a ${typeof output}`);
      return text;
    });
})();
