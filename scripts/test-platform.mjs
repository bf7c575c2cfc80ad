#!/usr/bin/env node
// `npm test` step "platform end to end": test/platform/*.test.mjs (node:test). The platform
// test starts `npm start` headless on random ports with its data in $PLATFORM_TEST_DATA_DIR.
// runBounded keeps the test run in one process group, bounds it in time and kills that group
// when it ends, however it ends; the platform's own children lead groups of their own, so
// those listed in the data dir's pids.json are stopped here too. Nothing outlives the run.
// The demo site needs nginx (Debian's), installed here when missing and the machine allows it.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { selectTestFiles } from "./dev/testing/files.mjs";
import { runBounded, stopGroup } from "./dev/platform/processes.mjs";
import { ensureSystemTools } from "./dev/testing/system-tools.mjs";

const OVERALL_TIMEOUT_MS = Number(process.env.PLATFORM_TEST_TIMEOUT_MS ?? 300_000);
const root = fileURLToPath(new URL("..", import.meta.url));

const selected = selectTestFiles(root, "test/platform", ".test.mjs");
const tools = ensureSystemTools(["nginx"]);
if (!tools.ok) {
  console.error(`✗ ${tools.message}`);
  process.exit(1);
}

const dataDir = mkdtempSync(join(tmpdir(), "qaxal-platform-test-"));
const exitCode = await runBounded(process.execPath, ["--test", "--test-concurrency=1", ...selected], {
  cwd: root,
  env: { ...process.env, PLATFORM_TEST_DATA_DIR: dataDir },
  timeoutMs: OVERALL_TIMEOUT_MS,
  what: "platform tests",
});
await Promise.all(childGroups(dataDir).map((pid) => stopGroup(pid, 500)));
rmSync(dataDir, { recursive: true, force: true });
process.exit(exitCode);

function childGroups(dir) {
  try {
    return Object.values(JSON.parse(readFileSync(join(dir, "pids.json"), "utf8"))).filter(Number.isInteger);
  } catch {
    return [];
  }
}
