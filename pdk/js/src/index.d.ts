// Types of the API a wasmfn function imports from "wasmfn". The one place they are declared:
// examples and templates are type-checked against it (`tsc --noEmit`).

/** What a function exports as `default` (or `handler`): JSON in, JSON out. */
export type Handler<Input = unknown, Output = unknown> = (input: Input) => Output | Promise<Output>;

/** What the host passes beside the request to a function's routes. */
export interface RouteContext {
  /** The path parameters of the route that matched (`{name}`), percent-decoded. */
  params: Record<string, string>;
  /** The route as the manifest writes it, like `GET /hello/{name}`. */
  route: string;
}

/** A function answering its manifest's `routes`: `export default { fetch(request) { ... } }`. */
export interface FetchHandler {
  fetch(request: Request, context: RouteContext): Response | Promise<Response>;
}

/** Throw it to fail a call with your own code (and HTTP status, 400-599). */
export declare class WasmfnError extends Error {
  readonly code: string;
  readonly status?: number;
  constructor(code: string, message: string, options?: { status?: number });
}

type Fields = Record<string, unknown>;
type LogFn = (message: string, fields?: Fields) => void;

/** Logs into the host's tracing, inside the call's span. `console.*` works too. */
export declare const log: {
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
};

/** The manifest's `config` map. */
export declare const config: {
  get(key: string): string | undefined;
  /** Throws `config_missing` naming the key when it is not set. */
  require(key: string): string;
};

export interface ApiRequest {
  method?: "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS";
  /** Path and query, starting with `/`. */
  path: string;
  headers?: Record<string, string>;
  /** A text body. */
  body?: string;
  /** A JSON body (sets `content-type: application/json`). */
  json?: unknown;
}

export interface ApiResponse {
  readonly status: number;
  /** Lowercase names. */
  readonly headers: Record<string, string>;
  /** Whether the status is 2xx. */
  readonly ok: boolean;
  text(): string;
  json<T = unknown>(): T;
  /** This response when `ok`; else throws `host_api_status` with the status and body. */
  ensureOk(): ApiResponse;
}

type Options = Omit<ApiRequest, "method" | "path" | "json">;

/**
 * The host app's own API, within the manifest's `api.scopes`. The host adds a token minted
 * for this call. Rejects only when there is no response (`host_api_unavailable`,
 * `host_api_failed`); a 403 `scope_denied` is a response.
 */
export declare const api: {
  request(request: ApiRequest): Promise<ApiResponse>;
  get(path: string, options?: Options): Promise<ApiResponse>;
  delete(path: string, options?: Options): Promise<ApiResponse>;
  post(path: string, json?: unknown, options?: Options): Promise<ApiResponse>;
  put(path: string, json?: unknown, options?: Options): Promise<ApiResponse>;
  patch(path: string, json?: unknown, options?: Options): Promise<ApiResponse>;
};

// The web globals wasmfn's engine provides (no DOM, no Node): declared here so TypeScript
// knows them with `lib: ["ES2023"]`.
declare global {
  interface Console {
    log(...data: unknown[]): void;
    info(...data: unknown[]): void;
    warn(...data: unknown[]): void;
    error(...data: unknown[]): void;
    debug(...data: unknown[]): void;
    trace(...data: unknown[]): void;
  }
  var console: Console;

  class TextEncoder {
    readonly encoding: "utf-8";
    encode(input?: string): Uint8Array;
  }
  class TextDecoder {
    constructor(label?: "utf-8" | "utf8", options?: { fatal?: boolean });
    readonly encoding: "utf-8";
    readonly fatal: boolean;
    decode(input?: ArrayBuffer | ArrayBufferView): string;
  }

  class URLSearchParams implements Iterable<[string, string]> {
    constructor(init?: string | Record<string, string> | Iterable<[string, string]> | URLSearchParams);
    readonly size: number;
    append(name: string, value: string): void;
    delete(name: string): void;
    get(name: string): string | null;
    getAll(name: string): string[];
    has(name: string): boolean;
    set(name: string, value: string): void;
    sort(): void;
    forEach(callback: (value: string, key: string, parent: URLSearchParams) => void, thisArg?: unknown): void;
    keys(): IterableIterator<string>;
    values(): IterableIterator<string>;
    entries(): IterableIterator<[string, string]>;
    [Symbol.iterator](): IterableIterator<[string, string]>;
    toString(): string;
  }
  class URL {
    constructor(url: string | URL, base?: string | URL);
    static canParse(url: string | URL, base?: string | URL): boolean;
    static parse(url: string | URL, base?: string | URL): URL | null;
    href: string;
    readonly origin: string;
    protocol: string;
    username: string;
    password: string;
    host: string;
    hostname: string;
    port: string;
    pathname: string;
    search: string;
    readonly searchParams: URLSearchParams;
    hash: string;
    toString(): string;
    toJSON(): string;
  }

  var crypto: {
    getRandomValues<T extends Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array>(array: T): T;
    randomUUID(): `${string}-${string}-${string}-${string}-${string}`;
  };

  function atob(data: string): string;
  function btoa(data: string): string;
  function structuredClone<T>(value: T): T;
  /** Timers run on a virtual clock, in order, before the call returns. */
  function setTimeout<A extends unknown[]>(callback: (...args: A) => void, ms?: number, ...args: A): number;
  function setInterval<A extends unknown[]>(callback: (...args: A) => void, ms?: number, ...args: A): number;
  function clearTimeout(id: number | undefined): void;
  function clearInterval(id: number | undefined): void;
  function queueMicrotask(callback: () => void): void;

  // --- HTTP (bodies are held whole; `body` is a reader of one chunk).
  type HeadersInit = Headers | Record<string, string> | Iterable<readonly [string, string]>;
  type BodyInit = string | ArrayBuffer | ArrayBufferView | Blob | FormData | URLSearchParams;

  class Headers implements Iterable<[string, string]> {
    constructor(init?: HeadersInit);
    append(name: string, value: string): void;
    delete(name: string): void;
    get(name: string): string | null;
    getSetCookie(): string[];
    has(name: string): boolean;
    set(name: string, value: string): void;
    forEach(callback: (value: string, key: string, parent: Headers) => void, thisArg?: unknown): void;
    keys(): IterableIterator<string>;
    values(): IterableIterator<string>;
    entries(): IterableIterator<[string, string]>;
    [Symbol.iterator](): IterableIterator<[string, string]>;
  }

  class Blob {
    constructor(parts?: Array<BodyInit>, options?: { type?: string });
    readonly size: number;
    readonly type: string;
    slice(start?: number, end?: number, type?: string): Blob;
    bytes(): Promise<Uint8Array>;
    arrayBuffer(): Promise<ArrayBuffer>;
    text(): Promise<string>;
  }
  class File extends Blob {
    constructor(parts: Array<BodyInit>, name: string, options?: { type?: string; lastModified?: number });
    readonly name: string;
    readonly lastModified: number;
  }
  type FormDataEntryValue = string | File;
  class FormData implements Iterable<[string, FormDataEntryValue]> {
    append(name: string, value: string | Blob, filename?: string): void;
    set(name: string, value: string | Blob, filename?: string): void;
    delete(name: string): void;
    get(name: string): FormDataEntryValue | null;
    getAll(name: string): FormDataEntryValue[];
    has(name: string): boolean;
    forEach(callback: (value: FormDataEntryValue, key: string, parent: FormData) => void, thisArg?: unknown): void;
    keys(): IterableIterator<string>;
    values(): IterableIterator<FormDataEntryValue>;
    entries(): IterableIterator<[string, FormDataEntryValue]>;
    [Symbol.iterator](): IterableIterator<[string, FormDataEntryValue]>;
  }

  class AbortSignal {
    readonly aborted: boolean;
    readonly reason: unknown;
    onabort: ((event: { type: "abort" }) => void) | null;
    addEventListener(type: "abort", listener: (event: { type: "abort" }) => void): void;
    removeEventListener(type: "abort", listener: (event: { type: "abort" }) => void): void;
    throwIfAborted(): void;
    static abort(reason?: unknown): AbortSignal;
    static timeout(ms: number): AbortSignal;
    static any(signals: AbortSignal[]): AbortSignal;
  }
  class AbortController {
    readonly signal: AbortSignal;
    abort(reason?: unknown): void;
  }

  interface BodyReader {
    read(): Promise<{ done: true; value: undefined } | { done: false; value: Uint8Array }>;
    releaseLock(): void;
    cancel(): Promise<void>;
  }
  interface Body {
    readonly body: { getReader(): BodyReader } | null;
    readonly bodyUsed: boolean;
    arrayBuffer(): Promise<ArrayBuffer>;
    bytes(): Promise<Uint8Array>;
    blob(): Promise<Blob>;
    formData(): Promise<FormData>;
    json<T = any>(): Promise<T>;
    text(): Promise<string>;
  }
  interface RequestInit {
    method?: string;
    headers?: HeadersInit;
    body?: BodyInit | null;
    signal?: AbortSignal | null;
    /** `follow` (default), `manual` or `error`. */
    redirect?: "follow" | "manual" | "error";
  }
  interface Request extends Body {}
  class Request {
    constructor(input: string | URL | Request, init?: RequestInit);
    readonly url: string;
    readonly method: string;
    readonly headers: Headers;
    readonly signal: AbortSignal;
    readonly redirect: "follow" | "manual" | "error";
    clone(): Request;
  }
  interface ResponseInit {
    status?: number;
    statusText?: string;
    headers?: HeadersInit;
  }
  interface Response extends Body {}
  class Response {
    constructor(body?: BodyInit | null, init?: ResponseInit);
    static json(data: unknown, init?: ResponseInit): Response;
    static redirect(url: string | URL, status?: 301 | 302 | 303 | 307 | 308): Response;
    static error(): Response;
    readonly status: number;
    readonly statusText: string;
    readonly ok: boolean;
    readonly headers: Headers;
    readonly url: string;
    readonly redirected: boolean;
    readonly type: "default" | "basic" | "error";
    clone(): Response;
  }
  /**
   * An outbound request, only to the manifest's `allowed_hosts` (checked again on every
   * redirect); it runs within the call's timeout. A refused host or a failed connection
   * rejects with a `TypeError`.
   */
  function fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;
}
