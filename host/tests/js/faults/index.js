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
    case "leave-timers":
      // Timers this call never waits for: they must not run in a later call.
      setTimeout(() => {
        throw new Error("leftover timer");
      }, 1000);
      setInterval(() => {
        globalThis.ticks = (globalThis.ticks ?? 0) + 1;
      }, 10);
      return { ticks: globalThis.ticks ?? 0 };
    case "ticks":
      return { ticks: globalThis.ticks ?? 0 };
    case "bump":
      globalThis.bumps = (globalThis.bumps ?? 0) + 1;
      return { bumps: globalThis.bumps };
    case "never":
      return new Promise(() => {});
    case "many-timers": {
      // Many timers at once, in a shuffled order: they must still run in time order.
      const order = [];
      await Promise.all(
        Array.from({ length: args.n }, (_, i) => (i * 7919) % args.n).map(
          (delay) => new Promise((resolve) => setTimeout(() => resolve(order.push(delay)), delay)),
        ),
      );
      return { ran: order.length, sorted: order.every((d, i) => i === 0 || order[i - 1] <= d) };
    }
    case "function":
      return () => 1;
    case "symbol":
      return Symbol("nope");
    case "forge":
      throw new WasmfnError(args.code, "not really");
    default:
      throw new WasmfnError("invalid_input", `unknown op ${op}`);
  }
}
