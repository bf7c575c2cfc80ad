#!/usr/bin/env node
// `npm run test:reliability [-- --soak 60] [words…]`: the platform under faults and load
// (issue 18, docs/reliability.md), then the fault matrix, one row per fault with its figures.
//   1. workerd: test/reliability/workerd (vitest, vitest.reliability.config.ts): KV, R2 and
//      Analytics Engine failing as bindings, config pushes, object restarts;
//   2. processes: test/reliability/*.test.mjs (node:test) against `wrangler dev`, the sGTM
//      stand-in in its failure modes, the functions under Deno and a real PostgreSQL: origin
//      faults, control plane and database down, kills mid-push, a restart on the same state,
//      and the soak (--soak seconds, default 12; 60 for the long run).
// Words select test files (as the other runners do). Every process group a test starts is
// announced in a directory and stopped here when the run ends, however it ends. PostgreSQL
// comes from Debian: installed here when missing and the machine allows it.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { runBounded, stopGroup } from "./dev/platform/processes.mjs";
import { installPlan } from "./dev/testing/system-tools.mjs";
import { postgresBin } from "../test/reliability/support/postgres.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const { values, positionals: words } = parseArgs({ options: { soak: { type: "string", default: "12" } }, allowPositionals: true });
const soakSeconds = Number(values.soak);
if (!Number.isFinite(soakSeconds) || soakSeconds < 5 || soakSeconds > 600) {
  console.error("✗ --soak takes seconds between 5 and 600");
  process.exit(1);
}
const TIMEOUT_MS = Number(process.env.RELIABILITY_TEST_TIMEOUT_MS ?? 300_000 + soakSeconds * 1000);

/** Row order of the matrix (docs/reliability.md); rows of other ids follow. */
const ORDER = [
  "kv-throwing", "kv-slow", "control-plane-down", "origin-refuse", "origin-hang", "origin-reset", "origin-drip",
  "origin-drip-within", "origin-slow", "origin-slow-within", "r2-ae-outage", "r2-ack-lost", "outbox-bound",
  "object-restart", "wrangler-restart", "wrangler-restart-strict", "config-pushes", "killed-mid-push", "drift-repair",
  "postgres-restart", "soak",
];

const selected = (files) => (words.length ? files.filter((file) => words.some((word) => file.includes(word))) : files);
const workerdFiles = selected(readdirSync(join(root, "test/reliability/workerd")).filter((f) => f.endsWith(".test.ts")).map((f) => `test/reliability/workerd/${f}`));
const processFiles = selected(readdirSync(join(root, "test/reliability")).filter((f) => f.endsWith(".test.mjs")).map((f) => `test/reliability/${f}`));
if (workerdFiles.length + processFiles.length === 0) {
  console.error(`✗ no test/reliability file matches ${words.join(" ")}`);
  process.exit(1);
}

if (processFiles.some((file) => file.includes("control-plane")) && !ensurePostgres()) process.exit(1);

const rowsDir = mkdtempSync(join(tmpdir(), "qaxal-reliability-rows-"));
const pidDir = mkdtempSync(join(tmpdir(), "qaxal-reliability-pids-"));
process.on("exit", () => {
  rmSync(rowsDir, { recursive: true, force: true });
  rmSync(pidDir, { recursive: true, force: true });
});
const rows = [];
let failed = false;

if (workerdFiles.length) {
  console.log(`▶ workerd: ${workerdFiles.join(", ")}`);
  const { code, output } = await runCapturing("npx", ["vitest", "run", "--config", "vitest.reliability.config.ts", ...workerdFiles]);
  for (const line of output.split("\n")) {
    const at = line.indexOf("RELIABILITY_ROW ");
    if (at !== -1) rows.push(JSON.parse(line.slice(at + "RELIABILITY_ROW ".length)));
  }
  failed ||= code !== 0;
}

if (processFiles.length) {
  console.log(`\n▶ processes (soak ${soakSeconds} s): ${processFiles.join(", ")}`);
  // Node 20 has its WebSocket client (the soak reads the isolate's heap through DevTools) behind a flag.
  const nodeFlags = typeof WebSocket === "undefined" ? ["--experimental-websocket"] : [];
  const code = await runBounded(process.execPath, [...nodeFlags, "--test", "--test-concurrency=1", ...processFiles], {
    cwd: root,
    env: { ...process.env, E2E_PID_DIR: pidDir, RELIABILITY_ROWS_DIR: rowsDir, RELIABILITY_SOAK_SECONDS: String(soakSeconds) },
    timeoutMs: TIMEOUT_MS,
    what: "reliability tests",
  });
  const announced = readdirSync(pidDir).map((name) => Number(readFileSync(join(pidDir, name), "utf8")));
  await Promise.all(announced.map((pid) => stopGroup(pid, 500)));
  for (const name of readdirSync(rowsDir)) rows.push(JSON.parse(readFileSync(join(rowsDir, name), "utf8")));
  failed ||= code !== 0;
}

printMatrix(rows);
if (failed) console.error("\n✗ reliability: a test failed (above); its row is missing or shows what it measured");
process.exit(failed ? 1 : 0);

/** Runs a command with its output shown as it comes and kept, for the rows in it. */
function runCapturing(cmd, args) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ["ignore", "pipe", "inherit"], env: process.env });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
      process.stdout.write(chunk);
    });
    child.on("exit", (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), output }));
    child.on("error", (error) => resolve({ code: 1, output: `could not start ${cmd}: ${error.message}` }));
  });
}

function printMatrix(all) {
  const rank = (id) => (ORDER.includes(id) ? ORDER.indexOf(id) : ORDER.length);
  const sorted = [...all].sort((a, b) => rank(a.id) - rank(b.id));
  const cell = (text) => String(text).replaceAll("|", "\\|");
  console.log("\nFault matrix (docs/reliability.md):\n");
  console.log("| fault | client sees | served | lost | recovered after | figures |");
  console.log("|---|---|---|---|---|---|");
  for (const row of sorted) {
    const lost = row.dropped ? `${row.lost} (${row.dropped} dropped beyond the bound, counted)` : row.lost;
    console.log(`| ${cell(row.fault)} | ${cell(row.client)} | ${row.served} | ${cell(lost)} | ${cell(row.recovered)} | ${cell(row.detail ?? "")} |`);
  }
  const missing = ORDER.filter((id) => !all.some((row) => row.id === id));
  if (missing.length && !words.length) console.log(`\nrows missing (their test failed or did not run): ${missing.join(", ")}`);
}

/** PostgreSQL's server from Debian: there, installed now (root or passwordless sudo, apt-get), or the command to run. */
function ensurePostgres() {
  if (postgresBin()) return true;
  const tool = { id: "postgresql", name: "PostgreSQL server", paths: [], debian: "postgresql" };
  const isRoot = process.getuid?.() === 0;
  const can = {
    root: isRoot,
    sudo: !isRoot && spawnSync("sudo", ["-n", "true"], { stdio: "ignore" }).status === 0,
    apt: spawnSync("apt-get", ["--version"], { stdio: "ignore" }).status === 0,
  };
  const plan = installPlan([tool], can);
  if (plan.kind === "install") {
    console.log(`PostgreSQL server missing: installing Debian's postgresql (${plan.run.at(-1).join(" ")})`);
    for (const command of plan.run) {
      if (spawnSync(command[0], command.slice(1), { stdio: "inherit" }).status !== 0) break;
    }
    if (postgresBin()) return true;
  }
  console.error(`✗ the control-plane reliability test needs PostgreSQL's server under /usr/lib/postgresql. Install it with:\n\n  ${plan.manual ?? "apt-get install postgresql"}\n`);
  return false;
}
