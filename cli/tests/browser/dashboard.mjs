// The dashboard in a real browser (Debian's chromium, driven by playwright-core), against a
// running `wasmfn dev` that cli/tests/dashboard.rs started on a copy of examples/hello-js with
// a schedule added. Exits non-zero, with a screenshot of the page, when a step fails.
//
// Environment: WASMFN_URL (the server), FUNCTION_DIR (the copy, edited here),
// SCREENSHOT (where the final screenshot goes).

import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { chromium } from "playwright-core";

const url = required("WASMFN_URL");
const dir = required("FUNCTION_DIR");
const screenshot = required("SCREENSHOT");
const source = join(dir, "src/index.js");
const original = await readFile(source, "utf8");

/** @param {string} name */
function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  // Root in CI: no sandbox. The rest keeps chromium off the (closed) network.
  args: [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
const problems = [];
page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
page.on("console", (message) => {
  if (message.type() === "error") problems.push(`console: ${message.text()}`);
});
// Builds and reloads take seconds; the first may compile more.
page.setDefaultTimeout(60_000);

const step = (/** @type {string} */ what) => console.log(`step: ${what}`);

try {
  step("the list shows hello-js, ready, version 1");
  await page.goto(`${url}/_wasmfn/`);
  const card = page.getByTestId("function-hello-js");
  await card.getByTestId("status").filter({ hasText: "ready" }).waitFor();
  await card.getByTestId("version").filter({ hasText: "v1" }).waitFor();
  await page.getByTestId("live").filter({ hasText: "live" }).waitFor();
  // Set once: still there at the end means the page never reloaded.
  await page.evaluate(() => {
    /** @type {any} */ (window).loadedOnce = true;
  });

  step("invoke from the form, see the output and the call");
  await card.click();
  await page.getByTestId("detail-name").filter({ hasText: "hello-js" }).waitFor();
  await page.getByTestId("input").fill('{"title":"dentist","from":"2026-01-30","days":3}');
  await page.getByTestId("invoke").click();
  await page.getByTestId("output").filter({ hasText: '"title": "dentist"' }).waitFor();
  const call = page.getByTestId("call").filter({ hasText: "http" });
  await call.getByTestId("call-outcome").filter({ hasText: "ok" }).first().waitFor();

  step("edit the source: version 2 appears without reloading");
  await writeFile(
    source,
    original.replace("return { id: nanoid(), title,", "return { id: nanoid(), title: title.toUpperCase(),"),
  );
  await card.getByTestId("version").filter({ hasText: "v2" }).waitFor();
  await page.getByTestId("invoke").click();
  await page.getByTestId("output").filter({ hasText: '"title": "DENTIST"' }).waitFor();

  step("break it: the build error shows, with its place");
  await writeFile(source, "export default function ( {\n");
  const buildError = page.getByTestId("build-error");
  await buildError.filter({ hasText: "src/index.js:2:0" }).waitFor();
  await card.getByTestId("build").filter({ hasText: "failed" }).waitFor();
  console.log(`build error: ${await buildError.textContent()}`);

  step("fire the schedule by hand, see the call");
  await page.getByTestId("fire-schedule").click();
  await page.getByTestId("output").filter({ hasText: "fire schedule: 200" }).waitFor();
  await page.getByTestId("call").filter({ hasText: "schedule" }).first().waitFor();

  if (!(await page.evaluate(() => /** @type {any} */ (window).loadedOnce))) {
    throw new Error("the page reloaded");
  }
  if (problems.length) throw new Error(problems.join("\n"));
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(`ok: ${screenshot}`);
} catch (error) {
  await page.screenshot({ path: screenshot.replace(/\.png$/, "-failed.png"), fullPage: true }).catch(() => {});
  console.error(String(error?.stack ?? error));
  console.error(problems.join("\n"));
  console.error(await page.content().catch(() => ""));
  process.exitCode = 1;
} finally {
  await writeFile(source, original);
  await browser.close();
}
