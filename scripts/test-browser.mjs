#!/usr/bin/env node
// `npm run test:browser`: the loader end to end in real Chromium (test/e2e/*.e2e.mjs, node:test).
// The tests start the sGTM stand-in, `wrangler dev` and Chromium themselves; runBounded puts
// them in one process group, bounds the whole run in time, and kills that group when the run
// ends, however it ends. wrangler leads a group of its own: the tests announce its pid in
// $E2E_PID_DIR and that group is stopped too, so nothing the run started outlives it.
// Chromium, nginx and Caddy come from Debian: installed here when missing and the machine
// allows it, else the run stops naming the command (dev/testing/system-tools.mjs).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { selectTestFiles } from "./dev/testing/files.mjs";
import { runBounded, stopGroup } from "./dev/platform/processes.mjs";
import { ensureSystemTools } from "./dev/testing/system-tools.mjs";

const OVERALL_TIMEOUT_MS = Number(process.env.BROWSER_TEST_TIMEOUT_MS ?? 300_000);

const root = fileURLToPath(new URL("..", import.meta.url));

const tools = ensureSystemTools(["chromium", "nginx", "caddy"]);
if (!tools.ok) {
  console.error(`✗ ${tools.message}`);
  process.exit(1);
}
const CHROMIUM_PATH = tools.paths.chromium;

const selected = selectTestFiles(root, "test/e2e", ".e2e.mjs");

const pidDir = mkdtempSync(join(tmpdir(), "qaxal-browser-pids-"));
process.on("exit", () => rmSync(pidDir, { recursive: true, force: true }));
const exitCode = await runBounded(process.execPath, ["--test", "--test-concurrency=1", ...selected], {
  cwd: root,
  env: { ...process.env, CHROMIUM_PATH, E2E_PID_DIR: pidDir },
  timeoutMs: OVERALL_TIMEOUT_MS,
  what: "browser tests",
});
const announced = readdirSync(pidDir).map((name) => Number(readFileSync(join(pidDir, name), "utf8")));
await Promise.all(announced.map((pid) => stopGroup(pid, 500)));
process.exit(exitCode);
