// Deno as the local platform runs it: the binary the `deno` npm package installed (no
// download at run time), its npm cache inside node_modules, the functions' import map.
import { execFile } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("../..", import.meta.url));
export const DENO_CONFIG = join(root, "supabase/functions/deno.json");

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

/** Runs `deno run -A --config … <script> <args>`; resolves with its trimmed stdout. */
export function runDenoScript(script, args) {
  return new Promise((done, fail) => {
    execFile(denoBinary(), ["run", "-A", "--config", DENO_CONFIG, join(root, script), ...args],
      { cwd: root, env: denoEnv(), timeout: 60_000 },
      (error, stdout, stderr) => (error ? fail(new Error(`${script}: ${stderr || error.message}`)) : done(stdout.trim())));
  });
}
