import { addDays, formatISO } from "date-fns";
import { nanoid } from "nanoid";
import { log } from "wasmfn";

/** Plans a reminder `days` after `from` (an ISO date). */
export default async function handler({ title = "reminder", from, days = 1 } = {}) {
  const start = from ? new Date(from) : new Date();
  if (Number.isNaN(start.getTime())) throw new TypeError(`"${from}" is not a date`);
  const due = addDays(start, days);
  log.debug("planned", { title, days });
  return { id: nanoid(), title, due: formatISO(due, { representation: "date" }) };
}
