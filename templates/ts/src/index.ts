import { config, log, WasmfnError, type Handler } from "wasmfn";

interface Input {
  name?: string;
}

interface Output {
  message: string;
}

const handler: Handler<Input | null, Output> = async (input) => {
  const name = input?.name ?? "world";
  if (name.length === 0) throw new WasmfnError("invalid_input", "name must not be empty");
  log.info(`greeting ${name}`);
  const greeting = config.get("greeting") ?? "Hello";
  return { message: `${greeting}, ${name}!` };
};

export default handler;
