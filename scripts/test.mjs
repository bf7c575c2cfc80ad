#!/usr/bin/env node
// `npm test`: every suite at the level it runs, in order, stopping at the first failure.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const steps = [
  ["typecheck", "npx", ["tsc", "--noEmit"]],
  ["import checker on fixtures", "node", ["--test", "test/scripts/check-imports.test.mjs"], "test/scripts/check-imports.test.mjs"],
  ["Debian tools of the browser and platform steps", "node", ["--test", "test/scripts/system-tools.test.mjs"], "test/scripts/system-tools.test.mjs"],
  ["import direction in src/", "node", ["scripts/check-imports.mjs"], "scripts/check-imports.mjs"],
  ["contract copy (warns only)", "node", ["scripts/sync-contract.mjs", "--check"], "scripts/sync-contract.mjs"],
  ["worker types match wrangler.toml", "node", ["scripts/check-worker-types.mjs"], "scripts/check-worker-types.mjs"],
  ["worker + objects + modules (workerd)", "npx", ["vitest", "run"]],
  ["blocker rules from two customers (uBlock Origin engine)", "node", ["--test", "test/blocker/"], "test/blocker/list-maintainer.test.mjs"],
  ["loader size budget", "node", ["scripts/loader-size.mjs"], "scripts/loader-size.mjs"],
  ["control plane (Deno + Postgres)", "node", ["scripts/test-functions.mjs"], "scripts/test-functions.mjs"],
  ["loader in Chromium", "node", ["scripts/test-browser.mjs"], "scripts/test-browser.mjs"],
  ["platform end to end", "node", ["scripts/test-platform.mjs"], "scripts/test-platform.mjs"],
  ["reliability under faults and load (12 s soak)", "node", ["scripts/test-reliability.mjs"], "scripts/test-reliability.mjs"],
  ["wrangler deploy --dry-run", "npx", ["wrangler", "deploy", "--dry-run", "--outdir", ".wrangler/dry-run"]],
];

const only = process.argv.slice(2);
for (const [name, cmd, args, requiredFile] of steps) {
  if (only.length && !only.some((o) => name.includes(o))) continue;
  if (requiredFile && !existsSync(requiredFile)) {
    console.error(`\n✗ ${name}: ${requiredFile} is missing`);
    process.exit(1);
  }
  console.log(`\n▶ ${name}`);
  const started = Date.now();
  const result = spawnSync(cmd, args, { stdio: "inherit", env: process.env });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status !== 0) {
    console.error(`\n✗ ${name} failed after ${seconds}s (exit ${result.status ?? result.signal})`);
    process.exit(result.status || 1);
  }
  console.log(`✓ ${name} (${seconds}s)`);
}
