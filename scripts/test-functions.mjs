#!/usr/bin/env node
// Control-plane tests: Deno (type-checked) against a migrated database.
//
//   node scripts/test-functions.mjs [deno test args…]   default: test/functions/
//
// Database: DATABASE_URL when set (a real PostgreSQL, migrated in place), else
// an in-memory PGlite started here. The deno process gets:
//   SUPABASE_DB_URL            the migrated database
//   SUPABASE_SERVICE_ROLE_KEY  random per run (service-role callers)
//   EDGE_AUTH_SECRET           random per run (X-Edge-Auth callers)
//   EDGE_ADMIN_BACKOFF_MS      short retry backoff for edge admin calls
// Tests start their own fakes (test/fixtures/) and set the URLs they need.
// Deno's npm cache lives in DENO_DIR (default node_modules/.cache/deno).
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { migrate, startDatabase } from "./dev/platform/db.mjs";

const args = process.argv.slice(2);
const db = await startDatabase();
let exitCode = 1;
try {
  const applied = await migrate(db.url);
  console.log(`database: ${db.embedded ? "PGlite (embedded)" : "DATABASE_URL"}, ${applied.length} migration(s) applied`);
  exitCode = await run("npx", [
    "deno", "test", "-A", "--config", "supabase/functions/deno.json",
    ...(args.length ? args : ["test/functions/"]),
  ], {
    ...process.env,
    DENO_DIR: process.env.DENO_DIR ?? resolve("node_modules/.cache/deno"),
    SUPABASE_DB_URL: db.url,
    SUPABASE_SERVICE_ROLE_KEY: `test-service-role-${randomBytes(16).toString("hex")}`,
    EDGE_AUTH_SECRET: `test-edge-auth-${randomBytes(16).toString("hex")}`,
    EDGE_ADMIN_BACKOFF_MS: "5",
  });
} finally {
  await db.close();
}
process.exit(exitCode);

// Async on purpose: the embedded database answers from this process's event loop.
function run(cmd, cmdArgs, env) {
  return new Promise((done) => {
    const child = spawn(cmd, cmdArgs, { stdio: "inherit", env });
    child.on("exit", (code, signal) => done(code ?? (signal ? 1 : 0)));
    child.on("error", (error) => {
      console.error(`could not start ${cmd}: ${error.message}`);
      done(1);
    });
  });
}
