#!/usr/bin/env node
// `npm run test:browser`: the loader end to end in real Chromium (test/e2e/*.e2e.mjs, node:test).
// The tests start the sGTM stand-in, `wrangler dev` and Chromium themselves; this runner puts
// them all in one process group, bounds the whole run in time, and kills that group when the
// run ends, however it ends, so nothing it started outlives it.
import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const OVERALL_TIMEOUT_MS = Number(process.env.BROWSER_TEST_TIMEOUT_MS ?? 300_000);
const KILL_GRACE_MS = 5_000;

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

// detached: the child leads a new process group, which holds everything the tests spawn.
const child = spawn(process.execPath, ["--test", "--test-concurrency=1", ...selected], {
  cwd: root,
  stdio: "inherit",
  detached: true,
  env: { ...process.env, CHROMIUM_PATH },
});

function killGroup(signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

let timedOut = false;
const timer = setTimeout(() => {
  timedOut = true;
  console.error(`\n✗ browser tests still running after ${OVERALL_TIMEOUT_MS / 1000}s: stopping them`);
  killGroup("SIGTERM");
  setTimeout(() => killGroup("SIGKILL"), KILL_GRACE_MS).unref();
}, OVERALL_TIMEOUT_MS);

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    killGroup("SIGTERM");
    setTimeout(() => {
      killGroup("SIGKILL");
      process.exit(1);
    }, KILL_GRACE_MS).unref();
  });
}

child.on("exit", (code, signal) => {
  clearTimeout(timer);
  // Stragglers (a wrangler or workerd that missed its shutdown) go with the group.
  killGroup("SIGTERM");
  setTimeout(() => {
    killGroup("SIGKILL");
    process.exit(timedOut ? 1 : (code ?? (signal ? 1 : 0)));
  }, 500);
});
