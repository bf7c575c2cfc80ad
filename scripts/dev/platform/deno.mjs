// Deno as the local platform runs it: the binary the `deno` npm package installed and the
// npm packages npm installed (nothing downloaded at run time), the functions' import map.
import { execFile } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("../../..", import.meta.url));
/**
 * `deno run` flags: the functions' import map, and npm packages from the node_modules that
 * `npm install` filled (same pinned versions as deno.json) instead of a download into DENO_DIR.
 */
export const DENO_RUN = ["run", "-A", "--node-modules-dir=manual", "--config", join(root, "supabase/functions/deno.json")];

/** Path of the deno binary; a clear error when `npm install` did not put it there. */
export function denoBinary() {
  const path = join(root, "node_modules/.bin/deno");
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(`Deno is missing (${path} is not executable): run \`npm install\` (the deno package ships the binary)`);
  }
  return path;
}

export function denoEnv(extra = {}) {
  return { ...process.env, DENO_DIR: process.env.DENO_DIR ?? resolve(root, "node_modules/.cache/deno"), ...extra };
}

/** Runs `deno <DENO_RUN> <script> <args>` (env: ours + `env`); resolves with its trimmed stdout. */
export function runDenoScript(script, args, env = {}) {
  return new Promise((done, fail) => {
    execFile(denoBinary(), [...DENO_RUN, join(root, script), ...args],
      { cwd: root, env: denoEnv(env), timeout: 60_000 },
      (error, stdout, stderr) => (error ? fail(new Error(`${script}: ${stderr || error.message}`)) : done(stdout.trim())));
  });
}
