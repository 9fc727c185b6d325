import { config, log } from "wasmfn";

// Two mistakes the API's types must catch.
export default function handler() {
  log.info(42);
  const region: number = config.require("region");
  return { region };
}
