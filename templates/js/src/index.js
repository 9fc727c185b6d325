import { config, log, WasmfnError } from "wasmfn";

/** @param {{ name?: string } | null} input */
export default async function handler(input) {
  const name = input?.name ?? "world";
  if (name.length === 0) throw new WasmfnError("invalid_input", "name must not be empty");
  log.info(`greeting ${name}`);
  const greeting = config.get("greeting") ?? "Hello";
  return { message: `${greeting}, ${name}!` };
}
