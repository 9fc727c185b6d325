import { WasmfnError, api, config, log } from "wasmfn";

// One handler, many ways to fail, chosen by the input.
export default async function ({ op, ...args } = {}) {
  switch (op) {
    case "echo":
      return args.value;
    case "size":
      return { length: args.text.length };
    case "throw":
      throw new TypeError("the input was wrong");
    case "custom":
      throw new WasmfnError("out_of_stock", "no more blue ones", { status: 409 });
    case "reject":
      return Promise.reject(new Error("rejected later"));
    case "bigint":
      return { big: 10n };
    case "cycle": {
      const a = {};
      a.a = a;
      return a;
    }
    case "loop":
      for (;;) {}
    case "alloc": {
      const chunks = [];
      for (;;) chunks.push(new Array(1 << 20).fill(1));
    }
    case "config":
      return { value: config.get(args.key) ?? null };
    case "log":
      log.warn(args.message, { n: 1 });
      console.error("from console");
      return { logged: true };
    case "api": {
      const response = await api.request(args.request);
      return { status: response.status, body: response.text() };
    }
    default:
      throw new WasmfnError("invalid_input", `unknown op ${op}`);
  }
}
