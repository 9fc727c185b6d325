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

  // --- HTTP: Headers, Blob, File, FormData, AbortController, Request, Response, fetch.
  // Bodies are held whole (a Uint8Array); `body` is a one-chunk stream-like reader.
  const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
  const headerName = (name) => {
    const text = String(name);
    if (!TOKEN.test(text)) throw new TypeError(`Headers: ${JSON.stringify(text)} is not a header name`);
    return text.toLowerCase();
  };
  const headerValue = (value) => {
    const text = String(value).replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, "");
    if (/[\0\r\n]/.test(text)) throw new TypeError(`Headers: ${JSON.stringify(text)} is not a header value`);
    return text;
  };
  class Headers {
    #list = [];
    constructor(init) {
      if (init == null) return;
      if (init instanceof Headers) this.#list = init.#list.map(([k, v]) => [k, v]);
      else if (typeof init[Symbol.iterator] === "function")
        for (const pair of init) {
          const [k, v] = Array.from(pair);
          if (pair.length !== undefined && pair.length !== 2)
            throw new TypeError("Headers: each pair must have a name and a value");
          this.append(k, v);
        }
      else if (typeof init === "object") for (const k of Object.keys(init)) this.append(k, init[k]);
      else throw new TypeError("Headers: expects an object, pairs or Headers");
    }
    static _list(headers) {
      return headers.#list.map(([k, v]) => [k, v]);
    }
    append(name, value) {
      this.#list.push([headerName(name), headerValue(value)]);
    }
    delete(name) {
      const key = headerName(name);
      this.#list = this.#list.filter(([k]) => k !== key);
    }
    get(name) {
      const key = headerName(name);
      const values = this.#list.filter(([k]) => k === key).map(([, v]) => v);
      return values.length === 0 ? null : values.join(", ");
    }
    getSetCookie() {
      return this.#list.filter(([k]) => k === "set-cookie").map(([, v]) => v);
    }
    has(name) {
      const key = headerName(name);
      return this.#list.some(([k]) => k === key);
    }
    set(name, value) {
      const key = headerName(name);
      const i = this.#list.findIndex(([k]) => k === key);
      if (i < 0) this.#list.push([key, headerValue(value)]);
      else {
        this.#list[i][1] = headerValue(value);
        this.#list = this.#list.filter(([k], j) => k !== key || j === i);
      }
    }
    // Sorted by name, values of one name combined (but each set-cookie on its own), as on the web.
    *entries() {
      const names = [...new Set(this.#list.map(([k]) => k))].sort();
      for (const name of names) {
        if (name === "set-cookie") for (const v of this.getSetCookie()) yield [name, v];
        else yield [name, this.get(name)];
      }
    }
    *keys() {
      for (const [k] of this.entries()) yield k;
    }
    *values() {
      for (const [, v] of this.entries()) yield v;
    }
    forEach(fn, self) {
      for (const [k, v] of this.entries()) fn.call(self, v, k, this);
    }
    [Symbol.iterator]() {
      return this.entries();
    }
  }
  globalThis.Headers = Headers;

  const toBytes = (view) => new Uint8Array(view.buffer, view.byteOffset, view.byteLength).slice();
  const concat = (chunks) => {
    const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  };
  class Blob {
    #bytes;
    #type;
    constructor(parts = [], options = {}) {
      const chunks = [];
      for (const part of parts) {
        if (part instanceof Blob) chunks.push(part.#bytes);
        else if (part instanceof ArrayBuffer) chunks.push(new Uint8Array(part.slice(0)));
        else if (ArrayBuffer.isView(part)) chunks.push(toBytes(part));
        else chunks.push(host.utf8Encode(String(part)));
      }
      this.#bytes = concat(chunks);
      this.#type = options.type ? String(options.type).toLowerCase() : "";
    }
    get size() {
      return this.#bytes.length;
    }
    get type() {
      return this.#type;
    }
    slice(start = 0, end = this.#bytes.length, type = "") {
      return new Blob([this.#bytes.slice(start, end)], { type });
    }
    async bytes() {
      return this.#bytes.slice();
    }
    async arrayBuffer() {
      return this.#bytes.slice().buffer;
    }
    async text() {
      return host.utf8Decode(this.#bytes);
    }
    static _bytes(blob) {
      return blob.#bytes;
    }
  }
  class File extends Blob {
    constructor(parts, name, options = {}) {
      super(parts, options);
      this.name = String(name);
      this.lastModified = options.lastModified ?? 0;
    }
  }
  globalThis.Blob = Blob;
  globalThis.File = File;

  class FormData {
    #list = [];
    static _entry(name, value, filename) {
      if (value instanceof Blob) {
        const file = value instanceof File && filename === undefined ? value : new File([value], filename ?? "blob", { type: value.type });
        return [String(name), file];
      }
      return [String(name), String(value)];
    }
    append(name, value, filename) {
      this.#list.push(FormData._entry(name, value, filename));
    }
    set(name, value, filename) {
      this.delete(name);
      this.append(name, value, filename);
    }
    delete(name) {
      this.#list = this.#list.filter(([k]) => k !== String(name));
    }
    get(name) {
      const hit = this.#list.find(([k]) => k === String(name));
      return hit ? hit[1] : null;
    }
    getAll(name) {
      return this.#list.filter(([k]) => k === String(name)).map(([, v]) => v);
    }
    has(name) {
      return this.#list.some(([k]) => k === String(name));
    }
    *entries() {
      yield* this.#list.map(([k, v]) => [k, v]);
    }
    *keys() {
      for (const [k] of this.#list) yield k;
    }
    *values() {
      for (const [, v] of this.#list) yield v;
    }
    forEach(fn, self) {
      for (const [k, v] of this.#list) fn.call(self, v, k, this);
    }
    [Symbol.iterator]() {
      return this.entries();
    }
  }
  globalThis.FormData = FormData;

  // multipart/form-data, on Latin-1 strings (one character per byte).
  const latin1 = (bytes) => {
    let out = "";
    for (let i = 0; i < bytes.length; i += 8192) out += String.fromCharCode(...bytes.subarray(i, i + 8192));
    return out;
  };
  const fromLatin1 = (text) => {
    const out = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
    return out;
  };
  const encodeMultipart = (form) => {
    const boundary = "----wasmfn" + Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, "0")).join("");
    const chunks = [];
    const quote = (s) => s.replace(/"/g, "%22").replace(/\r?\n|\r/g, " ");
    for (const [name, value] of form) {
      let head = `--${boundary}\r\nContent-Disposition: form-data; name="${quote(name)}"`;
      if (value instanceof File) {
        head += `; filename="${quote(value.name)}"\r\nContent-Type: ${value.type || "application/octet-stream"}\r\n\r\n`;
        chunks.push(host.utf8Encode(head), Blob._bytes(value), host.utf8Encode("\r\n"));
      } else chunks.push(host.utf8Encode(`${head}\r\n\r\n${value}\r\n`));
    }
    chunks.push(host.utf8Encode(`--${boundary}--\r\n`));
    return { bytes: concat(chunks), type: `multipart/form-data; boundary=${boundary}` };
  };
  const parseMultipart = (bytes, boundary) => {
    const form = new FormData();
    const text = latin1(bytes);
    const parts = text.split(`--${boundary}`);
    for (const part of parts.slice(1)) {
      if (part.startsWith("--")) break;
      const end = part.indexOf("\r\n\r\n");
      if (end < 0) continue;
      const head = part.slice(2, end);
      const content = part.slice(end + 4, part.endsWith("\r\n") ? -2 : undefined);
      const disposition = /content-disposition:[^\r\n]*/i.exec(head)?.[0] ?? "";
      const name = /\bname="([^"]*)"/.exec(disposition)?.[1];
      if (name === undefined) continue;
      const filename = /\bfilename="([^"]*)"/.exec(disposition)?.[1];
      const type = /content-type:\s*([^\r\n]*)/i.exec(head)?.[1] ?? "";
      const decodedName = host.utf8Decode(fromLatin1(name));
      if (filename === undefined) form.append(decodedName, host.utf8Decode(fromLatin1(content)));
      else form.append(decodedName, new File([fromLatin1(content)], host.utf8Decode(fromLatin1(filename)), { type }));
    }
    return form;
  };

  // --- AbortController / AbortSignal (a request runs to its end once sent: an abort only
  // stops one that has not been sent yet).
  class AbortSignal {
    #listeners = [];
    aborted = false;
    reason = undefined;
    onabort = null;
    static _abort(signal, reason) {
      if (signal.aborted) return;
      signal.aborted = true;
      signal.reason = reason ?? new DOMException("This operation was aborted", "AbortError");
      const event = { type: "abort", target: signal };
      if (typeof signal.onabort === "function") signal.onabort(event);
      for (const fn of signal.#listeners) fn.call(signal, event);
    }
    addEventListener(type, fn) {
      if (type === "abort" && typeof fn === "function") this.#listeners.push(fn);
    }
    removeEventListener(type, fn) {
      this.#listeners = this.#listeners.filter((x) => x !== fn);
    }
    throwIfAborted() {
      if (this.aborted) throw this.reason;
    }
    static abort(reason) {
      const signal = new AbortSignal();
      AbortSignal._abort(signal, reason);
      return signal;
    }
    static timeout(ms) {
      const signal = new AbortSignal();
      setTimeout(() => AbortSignal._abort(signal, new DOMException("The operation timed out", "TimeoutError")), ms);
      return signal;
    }
    static any(signals) {
      const signal = new AbortSignal();
      for (const s of signals) {
        if (s.aborted) AbortSignal._abort(signal, s.reason);
        else s.addEventListener("abort", () => AbortSignal._abort(signal, s.reason));
      }
      return signal;
    }
  }
  class AbortController {
    signal = new AbortSignal();
    abort(reason) {
      AbortSignal._abort(this.signal, reason);
    }
  }
  globalThis.AbortSignal = AbortSignal;
  globalThis.AbortController = AbortController;

  // A body, its content type when the headers have none.
  const extractBody = (body) => {
    if (body == null) return { bytes: null, type: null };
    if (typeof body === "string") return { bytes: host.utf8Encode(body), type: "text/plain;charset=UTF-8" };
    if (body instanceof URLSearchParams)
      return { bytes: host.utf8Encode(body.toString()), type: "application/x-www-form-urlencoded;charset=UTF-8" };
    if (body instanceof Blob) return { bytes: Blob._bytes(body).slice(), type: body.type || null };
    if (body instanceof FormData) return encodeMultipart(body);
    if (body instanceof ArrayBuffer) return { bytes: new Uint8Array(body.slice(0)), type: null };
    if (ArrayBuffer.isView(body)) return { bytes: toBytes(body), type: null };
    return { bytes: host.utf8Encode(String(body)), type: "text/plain;charset=UTF-8" };
  };
  const BYTES = Symbol("bytes");
  class BodyMixin {
    [BYTES] = null;
    #used = false;
    _consume() {
      if (this.#used) throw new TypeError("Body is unusable: it has already been read");
      this.#used = true;
      return this[BYTES] ?? new Uint8Array(0);
    }
    get bodyUsed() {
      return this.#used;
    }
    get body() {
      if (this[BYTES] === null) return null;
      const owner = this;
      let done = false;
      const read = async () => {
        if (done) return { done: true, value: undefined };
        done = true;
        return { done: false, value: owner._consume() };
      };
      return {
        locked: false,
        getReader: () => ({ read, releaseLock() {}, cancel: async () => void (done = true), closed: Promise.resolve() }),
        [Symbol.asyncIterator]: () => ({ next: read }),
      };
    }
    async bytes() {
      return this._consume().slice();
    }
    async arrayBuffer() {
      return this._consume().slice().buffer;
    }
    async text() {
      return host.utf8Decode(this._consume());
    }
    async json() {
      return JSON.parse(await this.text());
    }
    async blob() {
      return new Blob([this._consume()], { type: this.headers.get("content-type") ?? "" });
    }
    async formData() {
      const type = this.headers.get("content-type") ?? "";
      const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(type);
      if (/^multipart\/form-data/i.test(type) && boundary) return parseMultipart(this._consume(), boundary[1] ?? boundary[2]);
      if (/^application\/x-www-form-urlencoded/i.test(type)) {
        const form = new FormData();
        for (const [k, v] of new URLSearchParams(await this.text())) form.append(k, v);
        return form;
      }
      throw new TypeError(`formData: the body is not a form (content-type: ${type || "none"})`);
    }
  }
  const METHODS = ["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH"];
  class Request extends BodyMixin {
    #url;
    #method;
    #headers;
    #signal;
    #redirect;
    constructor(input, init = {}) {
      super();
      const from = input instanceof Request ? input : null;
      const url = from ? from.url : String(input instanceof URL ? input.href : input);
      if (!URL.canParse(url)) throw new TypeError(`Request: ${JSON.stringify(url)} is not an absolute URL`);
      this.#url = new URL(url).href;
      const method = String(init.method ?? from?.method ?? "GET");
      this.#method = METHODS.includes(method.toUpperCase()) ? method.toUpperCase() : method;
      this.#headers = new Headers(init.headers ?? from?.headers);
      this.#signal = init.signal ?? from?.signal ?? new AbortSignal();
      this.#redirect = init.redirect ?? from?.redirect ?? "follow";
      if (init.body != null) {
        if (this.#method === "GET" || this.#method === "HEAD")
          throw new TypeError(`Request: a ${this.#method} request cannot have a body`);
        const { bytes, type } = extractBody(init.body);
        this[BYTES] = bytes;
        if (type && !this.#headers.has("content-type")) this.#headers.set("content-type", type);
      } else if (from && init.body === undefined) this[BYTES] = from[BYTES] && from._consume().slice();
    }
    get url() {
      return this.#url;
    }
    get method() {
      return this.#method;
    }
    get headers() {
      return this.#headers;
    }
    get signal() {
      return this.#signal;
    }
    get redirect() {
      return this.#redirect;
    }
    get credentials() {
      return "same-origin";
    }
    get mode() {
      return "cors";
    }
    get cache() {
      return "default";
    }
    clone() {
      if (this.bodyUsed) throw new TypeError("Request.clone: the body has already been read");
      const copy = new Request(this.#url, { method: this.#method, headers: this.#headers, signal: this.#signal, redirect: this.#redirect });
      copy[BYTES] = this[BYTES] && this[BYTES].slice();
      return copy;
    }
  }
  const NULL_BODY = [101, 204, 205, 304];
  class Response extends BodyMixin {
    #status;
    #statusText;
    #headers;
    #url = "";
    #redirected = false;
    #type = "default";
    constructor(body = null, init = {}) {
      super();
      const status = init.status === undefined ? 200 : Number(init.status);
      if (!Number.isInteger(status) || status < 200 || status > 599)
        throw new RangeError(`Response: status ${init.status} is not in the range 200 to 599`);
      this.#status = status;
      this.#statusText = String(init.statusText ?? "");
      this.#headers = new Headers(init.headers);
      if (body != null) {
        if (NULL_BODY.includes(status)) throw new TypeError(`Response: a ${status} response cannot have a body`);
        const { bytes, type } = extractBody(body);
        this[BYTES] = bytes;
        if (type && !this.#headers.has("content-type")) this.#headers.set("content-type", type);
      }
    }
    static json(data, init = {}) {
      const text = JSON.stringify(data);
      if (text === undefined) throw new TypeError("Response.json: the data is not JSON-serializable");
      const headers = new Headers(init.headers);
      if (!headers.has("content-type")) headers.set("content-type", "application/json");
      return new Response(text, { ...init, headers });
    }
    static redirect(url, status = 302) {
      if (![301, 302, 303, 307, 308].includes(status)) throw new RangeError(`Response.redirect: ${status} is not a redirect status`);
      return new Response(null, { status, headers: { location: new URL(String(url)).href } });
    }
    static error() {
      const response = new Response(null, { status: 200 });
      response.#type = "error";
      response.#status = 0;
      return response;
    }
    static _fetched(status, headers, bytes, url, redirected) {
      const response = new Response(null, { status: status < 200 ? 200 : status, headers });
      response.#status = status;
      if (!NULL_BODY.includes(status)) response[BYTES] = bytes;
      response.#url = url;
      response.#redirected = redirected;
      response.#type = "basic";
      return response;
    }
    get status() {
      return this.#status;
    }
    get statusText() {
      return this.#statusText;
    }
    get ok() {
      return this.#status >= 200 && this.#status <= 299;
    }
    get headers() {
      return this.#headers;
    }
    get url() {
      return this.#url;
    }
    get redirected() {
      return this.#redirected;
    }
    get type() {
      return this.#type;
    }
    clone() {
      if (this.bodyUsed) throw new TypeError("Response.clone: the body has already been read");
      const copy = Response._fetched(this.#status, this.#headers, this[BYTES] && this[BYTES].slice(), this.#url, this.#redirected);
      copy.#statusText = this.#statusText;
      copy.#type = this.#type;
      return copy;
    }
  }
  globalThis.Request = Request;
  globalThis.Response = Response;

  // fetch: only to the manifest's allowed_hosts (the host checks, also each redirect); the
  // request runs within the call's time. A refusal or a failure rejects with a TypeError.
  globalThis.fetch = (input, init) =>
    new Promise((resolve) => {
      const request = new Request(input, init);
      request.signal.throwIfAborted();
      const head = JSON.stringify({
        method: request.method,
        url: request.url,
        headers: Headers._list(request.headers),
        redirect: request.redirect,
      });
      const body = request[BYTES] ?? new Uint8Array(0);
      const answer = host.fetch(head, body);
      const end = answer.indexOf(10);
      const result = JSON.parse(host.utf8Decode(answer.subarray(0, end)));
      if (result.error) {
        const error = new TypeError(`fetch failed: ${result.error.message}`);
        error.cause = { code: result.error.code };
        throw error;
      }
      const { status, headers, url, redirected } = result.response;
      resolve(Response._fetched(status, headers, answer.slice(end + 1), url, redirected));
    });

  // A request to the function's routes: `default.fetch(request, context)`, a `default`
  // function, or an exported `fetch`. Returns the response framed for the host.
  const findFetch = (module) => {
    const main = module.default;
    if (main && typeof main === "object" && typeof main.fetch === "function") return [main.fetch, main];
    if (typeof main === "function") return [main, undefined];
    if (typeof module.fetch === "function") return [module.fetch, undefined];
    const error = new Error(
      "the module has no fetch handler: export `default { fetch(request) { ... } }` or `export default async function (request) { ... }`",
    );
    error.code = "handler_missing";
    throw error;
  };
  globalThis.__wasmfn_http = (module, headText, body) =>
    new Promise((resolve) => {
      const [handler, self] = findFetch(module);
      const head = JSON.parse(headText);
      const hasBody = head.method !== "GET" && head.method !== "HEAD";
      const request = new Request(head.url, { method: head.method, headers: head.headers, body: hasBody ? body : null });
      resolve(handler.call(self, request, { params: head.params ?? {}, route: head.route ?? "" }));
    }).then((response) => {
      if (!(response instanceof Response)) {
        const got = response === null ? "null" : typeof response;
        throw new TypeError(`the fetch handler must return a Response, not ${got}`);
      }
      const head = host.utf8Encode(JSON.stringify({ status: response.status, headers: Headers._list(response.headers) }));
      const bytes = response[BYTES] ?? new Uint8Array(0);
      const out = new Uint8Array(head.length + 1 + bytes.length);
      out.set(head);
      out[head.length] = 10;
      out.set(bytes, head.length + 1);
      return out;
    });

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
