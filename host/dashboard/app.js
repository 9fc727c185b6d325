// @ts-check
// The dashboard: plain JavaScript, no framework and no build step (so the host crate embeds
// these files as they are, and nothing is fetched from a CDN). Everything shown is put in the
// page as text (textContent), never as HTML: function output cannot inject markup.

/** @typedef {{status: string, error?: string, output: string, duration_ms: number, finished_at: string}} Build */
/** @typedef {{name: string, status: string, version: number, description?: string, triggers?: string[], last_error?: string, build?: Build, updated_at: string}} FunctionInfo */
/** @typedef {{text: string, bytes: number, truncated: boolean}} Payload */
/** @typedef {{call: number, function: string, level: string, message: string, fields?: object, at_ms: number}} LogLine */
/** @typedef {{id: number, function: string, trigger: string, started_at: string, duration_ms: number, outcome: string, error?: string, redacted: boolean, input?: Payload, output?: Payload, logs: LogLine[], logs_dropped: number}} CallRecord */

const FIRABLE = ["schedule", "webhook", "database"];
const MAX_CALLS = 50;
const MAX_LOG_LINES = 200;

/** @typedef {{ok: boolean, status: number, body: any}} Answer */
/** @type {{functions: FunctionInfo[], selected: string | null, calls: CallRecord[], logs: LogLine[], history: boolean, inputs: Map<string, string>, answers: Map<string, {label: string, answer: Answer}>}} */
const state = {
  functions: [],
  selected: decodeURIComponent(location.hash.slice(1)) || null,
  calls: [],
  logs: [],
  history: true,
  inputs: new Map(),
  // The last answer shown per function: kept when the page redraws (a reload, a build).
  answers: new Map(),
};

/**
 * An element with attributes and children (strings become text nodes).
 * @param {string} tag
 * @param {Record<string, string | boolean | ((event: Event) => void)>} [attrs]
 * @param {(Node | string | null | undefined | false)[]} children
 * @returns {HTMLElement}
 */
function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (typeof value === "function") element.addEventListener(key.replace(/^on/, ""), value);
    else if (value === true) element.setAttribute(key, "");
    else if (value !== false) element.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return element;
}

/**
 * The nodes among `nodes` (what a condition left out is null).
 * @param {(Node | null | undefined)[]} nodes
 * @returns {Node[]}
 */
function present(...nodes) {
  return /** @type {Node[]} */ (nodes.filter((node) => node));
}

/** @param {string} id */
function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`no #${id}`);
  return element;
}

/**
 * A JSON request; an error body's message becomes the thrown Error's.
 * @param {string} url
 * @param {RequestInit} [init]
 */
async function api(url, init) {
  const response = await fetch(url, init);
  const text = await response.text();
  let body;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  return { ok: response.ok, status: response.status, body };
}

async function loadFunctions() {
  const { body } = await api("/api/functions");
  state.functions = body.functions;
  if (!state.selected && state.functions.length) state.selected = state.functions[0].name;
  renderList();
  renderDetail();
}

async function loadCalls() {
  if (!state.selected) return;
  const { ok, body } = await api(`/api/functions/${encodeURIComponent(state.selected)}/calls`);
  state.history = ok || body?.error?.code !== "history_off";
  state.calls = ok ? body.calls : [];
  renderCalls();
}

/** @param {FunctionInfo} f */
function badges(f) {
  const build = f.build;
  return h(
    "div",
    { class: "row" },
    h("span", { class: `badge ${f.status === "ready" ? "ok" : "bad"}`, "data-testid": "status" }, f.status),
    h("span", { class: "badge", "data-testid": "version" }, `v${f.version}`),
    build &&
      h(
        "span",
        { class: `badge ${build.status === "succeeded" ? "ok" : "bad"}`, "data-testid": "build" },
        `build ${build.status}`,
      ),
    ...(f.triggers ?? []).map((t) => h("span", { class: "badge" }, t)),
  );
}

function renderList() {
  const list = byId("functions");
  list.replaceChildren(
    ...state.functions.map((f) =>
      h(
        "li",
        { "data-testid": `function-${f.name}` },
        h(
          "button",
          { "aria-current": String(f.name === state.selected), onclick: () => select(f.name) },
          h("div", { class: "name" }, f.name),
          badges(f),
        ),
      ),
    ),
  );
}

/** @param {string} name */
function select(name) {
  state.selected = name;
  state.calls = [];
  state.logs = [];
  location.hash = encodeURIComponent(name);
  renderList();
  renderDetail();
  loadCalls();
}

function current() {
  return state.functions.find((f) => f.name === state.selected);
}

function renderDetail() {
  const detail = byId("detail");
  const f = current();
  if (!f) {
    detail.replaceChildren(h("p", { class: "muted" }, state.functions.length ? "Pick a function." : "No functions."));
    return;
  }
  const input = /** @type {HTMLTextAreaElement} */ (
    h("textarea", { "data-testid": "input", spellcheck: "false", "aria-label": "input (JSON)" })
  );
  input.value = state.inputs.get(f.name) ?? "{}";
  input.addEventListener("input", () => state.inputs.set(f.name, input.value));
  const output = h("pre", { "data-testid": "output", hidden: true });
  const show = (/** @type {string} */ label, /** @type {Answer} */ answer) => {
    state.answers.set(f.name, { label, answer });
    output.hidden = false;
    output.className = answer.ok ? "" : "error";
    output.textContent = `${label}: ${answer.status}\n${JSON.stringify(answer.body, null, 2)}`;
  };
  const last = state.answers.get(f.name);
  if (last) show(last.label, last.answer);
  const invoke = async () => {
    let body;
    try {
      body = JSON.stringify(JSON.parse(input.value || "null"));
    } catch (error) {
      show("not JSON", { ok: false, status: 0, body: String(error) });
      return;
    }
    const result = await api(`/api/functions/${encodeURIComponent(f.name)}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    show("invoke", result);
  };
  const fire = async (/** @type {string} */ trigger) => {
    const result = await api(`/_wasmfn/api/functions/${encodeURIComponent(f.name)}/fire`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ trigger }),
    });
    show(`fire ${trigger}`, result);
  };
  const firable = (f.triggers ?? []).filter((t) => FIRABLE.includes(t));
  const build = f.build;
  detail.replaceChildren(
    ...present(
    h("h2", {}, "Function"),
    h("div", { class: "name", "data-testid": "detail-name" }, f.name),
    badges(f),
    f.description ? h("p", { class: "muted" }, f.description) : null,
    h("p", { class: "muted" }, `updated ${f.updated_at}`),
    f.last_error ? h("div", { class: "error", "data-testid": "last-error" }, f.last_error) : null,
    build?.error ? h("div", { class: "error", "data-testid": "build-error" }, build.error) : null,
    build?.output
      ? h("details", {}, h("summary", {}, `build output (${build.duration_ms} ms)`), h("pre", { "data-testid": "build-output" }, build.output))
      : null,
    h("h3", {}, "Invoke"),
    input,
    h(
      "div",
      { class: "actions" },
      h("button", { class: "action", onclick: invoke, "data-testid": "invoke", disabled: f.status !== "ready" || (f.triggers ?? []).includes("routes") }, "Invoke"),
      ...firable.map((t) =>
        h("button", { class: "action secondary", onclick: () => fire(t), "data-testid": `fire-${t}` }, `Fire ${t}`),
      ),
    ),
    output,
    h("h3", {}, "Recent calls"),
    h("div", { id: "calls" }),
    h("h3", {}, "Live log"),
    h("div", { id: "logs", class: "log", "data-testid": "logs" }),
    ),
  );
  renderCalls();
  renderLogs();
}

function renderCalls() {
  const box = document.getElementById("calls");
  if (!box) return;
  if (!state.history) {
    box.replaceChildren(h("p", { class: "muted" }, "This host keeps no call history."));
    return;
  }
  if (!state.calls.length) {
    box.replaceChildren(h("p", { class: "muted", "data-testid": "no-calls" }, "No calls yet."));
    return;
  }
  const rows = state.calls.flatMap((call) => {
    const details = h(
      "tr",
      { hidden: true },
      h(
        "td",
        { colspan: "5" },
        call.redacted ? h("p", { class: "muted" }, "redacted (history: redacted)") : null,
        call.input ? h("div", {}, h("span", { class: "muted" }, "input"), h("pre", {}, payload(call.input))) : null,
        call.output ? h("div", {}, h("span", { class: "muted" }, "output"), h("pre", {}, payload(call.output))) : null,
        call.error ? h("div", { class: "error" }, call.error) : null,
        call.logs.length ? h("div", { class: "log" }, ...call.logs.map(logLine)) : null,
        call.logs_dropped ? h("p", { class: "muted" }, `${call.logs_dropped} more lines not kept`) : null,
      ),
    );
    const row = h(
      "tr",
      { class: "call", "data-testid": "call", onclick: () => (details.hidden = !details.hidden) },
      h("td", {}, new Date(call.started_at).toLocaleTimeString()),
      h("td", { "data-testid": "call-trigger" }, call.trigger),
      h("td", {}, h("span", { class: `badge ${call.outcome === "ok" ? "ok" : "bad"}`, "data-testid": "call-outcome" }, call.outcome)),
      h("td", {}, `${call.duration_ms.toFixed(1)} ms`),
      h("td", { class: "muted" }, call.output ? short(call.output.text) : call.error ? short(call.error) : ""),
    );
    return [row, details];
  });
  box.replaceChildren(
    h(
      "table",
      {},
      h("thead", {}, h("tr", {}, h("th", {}, "time"), h("th", {}, "trigger"), h("th", {}, "outcome"), h("th", {}, "duration"), h("th", {}, ""))),
      h("tbody", { "data-testid": "calls" }, ...rows),
    ),
  );
}

/** @param {Payload} p */
function payload(p) {
  return p.truncated ? `${p.text}… (${p.bytes} bytes in all)` : p.text;
}

/** @param {string} text */
function short(text) {
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

/** @param {LogLine} line */
function logLine(line) {
  return h("div", { class: `level-${line.level}` }, `#${line.call} ${line.level.padEnd(5)} ${line.message}`);
}

function renderLogs() {
  const box = document.getElementById("logs");
  if (!box) return;
  box.replaceChildren(...state.logs.map(logLine));
}

let refresh = 0;
function connect() {
  const live = byId("live");
  const events = new EventSource("/api/calls");
  events.addEventListener("open", () => {
    live.textContent = "live";
    live.className = "badge ok";
  });
  events.addEventListener("error", () => {
    live.textContent = "reconnecting…";
    live.className = "badge warn";
  });
  // The registry changed (a load, a reload, a build): fetch the list again, once per burst.
  events.addEventListener("functions", () => {
    clearTimeout(refresh);
    refresh = setTimeout(loadFunctions, 100);
  });
  events.addEventListener("call", (event) => {
    const call = /** @type {CallRecord} */ (JSON.parse(/** @type {MessageEvent} */ (event).data));
    if (call.function !== state.selected) return;
    state.calls = [call, ...state.calls.filter((c) => c.id !== call.id)].slice(0, MAX_CALLS);
    renderCalls();
  });
  events.addEventListener("log", (event) => {
    const line = /** @type {LogLine} */ (JSON.parse(/** @type {MessageEvent} */ (event).data));
    if (line.function !== state.selected) return;
    state.logs = [...state.logs, line].slice(-MAX_LOG_LINES);
    renderLogs();
  });
}

await loadFunctions();
await loadCalls();
connect();
