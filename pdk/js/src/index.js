// The API a wasmfn function imports: `import { log, config, api, WasmfnError } from "wasmfn"`.
// It runs inside wasmfn's QuickJS engine, over the natives the engine installs
// (`globalThis.__wasmfn_host`). Types: index.d.ts.

const host = () => {
  const natives = globalThis.__wasmfn_host;
  if (!natives) throw new Error("wasmfn's API is only available when running in wasmfn");
  return natives;
};

/** An error with a code (and optionally an HTTP status) the caller receives as is. */
export class WasmfnError extends Error {
  constructor(code, message, options = {}) {
    super(message);
    this.name = "WasmfnError";
    this.code = code;
    if (options.status !== undefined) this.status = options.status;
  }
}

const record = (level) => (message, fields) =>
  host().log(level, String(message), JSON.stringify(fields ?? {}));

export const log = {
  trace: record("trace"),
  debug: record("debug"),
  info: record("info"),
  warn: record("warn"),
  error: record("error"),
};

export const config = {
  get(key) {
    return host().config(String(key)) ?? undefined;
  },
  require(key) {
    const value = config.get(key);
    if (value === undefined)
      throw new WasmfnError("config_missing", `config key ${JSON.stringify(key)} is not set in the manifest`);
    return value;
  },
};

class ApiResponse {
  constructor(method, path, response) {
    this.method = method;
    this.path = path;
    this.status = response.status;
    this.headers = response.headers ?? {};
    this.body = response.body ?? "";
  }
  get ok() {
    return this.status >= 200 && this.status < 300;
  }
  text() {
    return this.body;
  }
  json() {
    try {
      return JSON.parse(this.body);
    } catch (e) {
      throw new WasmfnError("host_api_failed", `${this.method} ${this.path} answered with a body that is not JSON: ${e.message}`);
    }
  }
  /** This response when its status is 2xx; else throws `host_api_status`. */
  ensureOk() {
    if (this.ok) return this;
    throw new WasmfnError("host_api_status", `${this.method} ${this.path} answered ${this.status}: ${this.body}`);
  }
}

async function request({ method = "GET", path, headers = {}, body, json } = {}) {
  const outgoing = { method: String(method).toUpperCase(), path: String(path), headers: {} };
  for (const [name, value] of Object.entries(headers)) outgoing.headers[name.toLowerCase()] = String(value);
  if (json !== undefined) {
    outgoing.body = JSON.stringify(json);
    outgoing.headers["content-type"] ??= "application/json";
  } else if (body !== undefined) {
    outgoing.body = String(body);
  }
  const result = JSON.parse(host().api(JSON.stringify(outgoing)));
  if (result.error) throw new WasmfnError(result.error.code, result.error.message);
  return new ApiResponse(outgoing.method, outgoing.path, result.response);
}

/** Requests to the host app's own API, within the manifest's `api.scopes`. */
export const api = {
  request,
  get: (path, options = {}) => request({ ...options, method: "GET", path }),
  delete: (path, options = {}) => request({ ...options, method: "DELETE", path }),
  post: (path, json, options = {}) => request({ ...options, method: "POST", path, json }),
  put: (path, json, options = {}) => request({ ...options, method: "PUT", path, json }),
  patch: (path, json, options = {}) => request({ ...options, method: "PATCH", path, json }),
};
