#!/usr/bin/env node
// `npm run test:browser`: the loader end to end in real Chromium (test/e2e/*.e2e.mjs, node:test).
// The tests start the sGTM stand-in, `wrangler dev` and Chromium themselves; runBounded puts
// them all in one process group, bounds the whole run in time, and kills that group when the
// run ends, however it ends, so nothing it started outlives it.
import { existsSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { runBounded } from "./dev/processes.mjs";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const OVERALL_TIMEOUT_MS = Number(process.env.BROWSER_TEST_TIMEOUT_MS ?? 300_000);

const root = fileURLToPath(new URL("..", import.meta.url));

if (!existsSync(CHROMIUM_PATH)) {
  console.error(`✗ Chromium is missing at ${CHROMIUM_PATH}. Install it with:\n\n  sudo apt-get install -y chromium\n`);
  process.exit(1);
}

const files = readdirSync(`${root}test/e2e`)
  .filter((name) => name.endsWith(".e2e.mjs"))
  .map((name) => `test/e2e/${name}`);
const only = process.argv.slice(2);
const selected = only.length ? files.filter((file) => only.some((part) => file.includes(part))) : files;
if (selected.length === 0) {
  console.error(`✗ no test/e2e/*.e2e.mjs file matches ${only.join(" ")}`);
  process.exit(1);
}

process.exit(await runBounded(process.execPath, ["--test", "--test-concurrency=1", ...selected], {
  cwd: root,
  env: { ...process.env, CHROMIUM_PATH },
  timeoutMs: OVERALL_TIMEOUT_MS,
  what: "browser tests",
}));
