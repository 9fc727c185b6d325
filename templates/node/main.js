// A wasmfn process function: one process per call.
const { readFileSync } = require("node:fs");

const input = JSON.parse(readFileSync(0, "utf8") || "{}");
const config = JSON.parse(process.env.WASMFN_CONFIG ?? "{}");

if (typeof input.name !== "string" || input.name === "") {
  // A typed failure: `{"error": ...}` on stdout and a non-zero exit.
  const error = { code: "invalid_input", message: "name must be a non-empty string", status: 400 };
  process.stdout.write(JSON.stringify({ error }));
  process.exit(1);
}

console.error(`greeting ${input.name}`); // a log line
process.stdout.write(JSON.stringify({ message: `${config.greeting}, ${input.name}!` }));
