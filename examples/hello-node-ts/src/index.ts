// A process function: the input JSON on stdin, the output JSON on stdout, logs on stderr.
import { readFileSync } from "node:fs";
import { basename } from "node:path";

interface Input {
  name?: string;
}

const input: Input = JSON.parse(readFileSync(0, "utf8") || "{}");
const config: Record<string, string> = JSON.parse(process.env.WASMFN_CONFIG ?? "{}");

if (input.name !== undefined && typeof input.name !== "string") {
  // A failure with a code and a status: `{"error": ...}` on stdout, and a non-zero exit.
  const error = { code: "invalid_input", message: "name must be a string", status: 400 };
  process.stdout.write(JSON.stringify({ error }));
  process.exit(1);
}

const name = input.name ?? "world";
console.error(`greeting ${name}`);
process.stdout.write(
  JSON.stringify({
    message: `${config.greeting ?? "Hello"}, ${name}!`,
    // What ran: src/index.ts through tsx in dev, the bundle dist/index.js in serve.
    ran: basename(process.argv[1] ?? ""),
    mode: process.env.WASMFN_MODE,
  }),
);
