import { z } from "zod";
import { config, log, WasmfnError, type Handler } from "wasmfn";

const Input = z.object({
  name: z.string().min(1, "name must not be empty").default("world"),
  excited: z.boolean().default(false),
});

interface Output {
  message: string;
  id: string;
}

const handler: Handler<unknown, Output> = async (raw) => {
  const parsed = Input.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new WasmfnError("invalid_input", `${issue.path.join(".") || "input"}: ${issue.message}`);
  }
  const { name, excited } = parsed.data;
  const greeting = config.get("greeting") ?? "Hello";
  log.info(`greeting ${name}`, { excited });
  return { message: `${greeting}, ${name}${excited ? "!" : "."}`, id: crypto.randomUUID() };
};

export default handler;
