// What the suites need from Debian besides what `npm install` brings: Chromium for the browser
// tests (test/e2e), nginx and Caddy for same-origin mode (test/e2e/same-origin.e2e.mjs and the
// demo site of the platform test). On a fresh machine `npm test` installs the missing ones
// itself when it can (root, or sudo without a password, and apt-get); otherwise it stops with
// the one command that installs them.
//
//   node scripts/dev/testing/system-tools.mjs [chromium|nginx|caddy …]   default: all
import { spawnSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { fileURLToPath } from "node:url";

/** Where Debian (and derivatives) put a Chromium; CHROMIUM_PATH, when set, is the only one. */
export const CHROMIUM_CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome-stable"];

/**
 * Every tool a suite needs: `paths` are where it may be (first found wins), `debian` its
 * package (null for a CHROMIUM_PATH of the user's, which no package installs).
 */
export function systemTools(env = process.env) {
  const own = env.CHROMIUM_PATH;
  return [
    { id: "chromium", name: own ? `Chromium (CHROMIUM_PATH)` : "Chromium", paths: own ? [own] : CHROMIUM_CANDIDATES, debian: own ? null : "chromium" },
    { id: "nginx", name: "nginx", paths: ["/usr/sbin/nginx"], debian: "nginx" },
    { id: "caddy", name: "Caddy", paths: ["/usr/bin/caddy"], debian: "caddy" },
  ];
}

/** Pure: the first path of `tool` that `isExecutable` accepts, else null. */
export function locate(tool, isExecutable = executable) {
  return tool.paths.find((path) => isExecutable(path)) ?? null;
}

/**
 * Pure: what to do about the `missing` tools on a machine with `can` (root: uid 0,
 * sudo: `sudo -n` works, apt: apt-get exists). `run` is the commands to run in order;
 * `manual` is the one command to print when nothing can be run here.
 */
export function installPlan(missing, can) {
  if (missing.length === 0) return { kind: "none" };
  const packages = [...new Set(missing.map((tool) => tool.debian))];
  const install = ["apt-get", "install", "-y", "--no-install-recommends", ...packages];
  const manual = `sudo apt-get update && sudo env DEBIAN_FRONTEND=noninteractive ${install.join(" ")}`;
  if (!can.apt || (!can.root && !can.sudo)) return { kind: "manual", packages, manual };
  const asRoot = (args) => (can.root ? args : ["sudo", "-n", ...args]);
  return {
    kind: "install",
    packages,
    manual,
    run: [asRoot(["apt-get", "update"]), asRoot(["env", "DEBIAN_FRONTEND=noninteractive", ...install])],
  };
}

/**
 * Makes sure the tools with ids `only` (default: all) are there, installing them when the
 * machine allows; returns `{ ok, paths: {id: path}, message? }`. `runCommand` and `probe`
 * are the I/O, replaceable in tests.
 */
export function ensureSystemTools(only = [], { env = process.env, isExecutable = executable, probe = probeMachine, runCommand = runInherit, log = console.log } = {}) {
  const tools = systemTools(env).filter((tool) => only.length === 0 || only.includes(tool.id));
  const found = () => Object.fromEntries(tools.map((tool) => [tool.id, locate(tool, isExecutable)]));
  let paths = found();
  const missing = tools.filter((tool) => !paths[tool.id]);
  const unpackaged = missing.filter((tool) => !tool.debian);
  if (unpackaged.length > 0) {
    return { ok: false, paths, message: `${unpackaged.map((tool) => `${tool.name} ${tool.paths.join(", ")}`).join("; ")} is not an executable: fix or unset it` };
  }
  const plan = installPlan(missing, probe());
  if (plan.kind === "none") return { ok: true, paths };
  const names = missing.map((tool) => tool.name).join(", ");
  if (plan.kind === "install") {
    log(`${names} missing: installing Debian's ${plan.packages.join(", ")} (${plan.run.at(-1).join(" ")})`);
    for (const command of plan.run) {
      if (runCommand(command) !== 0) return { ok: false, paths, message: `\`${command.join(" ")}\` failed. Install them with:\n\n  ${plan.manual}\n` };
    }
    paths = found();
    const still = tools.filter((tool) => !paths[tool.id]);
    if (still.length === 0) return { ok: true, paths };
    return { ok: false, paths, message: `${still.map((tool) => tool.name).join(", ")} still missing after apt-get (looked in ${still.flatMap((tool) => tool.paths).join(", ")})` };
  }
  return { ok: false, paths, message: `${names} missing (looked in ${missing.flatMap((tool) => tool.paths).join(", ")}). Install with:\n\n  ${plan.manual}\n` };
}

function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function succeeds(cmd, args) {
  const result = spawnSync(cmd, args, { stdio: "ignore" });
  return result.status === 0;
}

function probeMachine() {
  const root = process.getuid?.() === 0;
  return {
    root,
    sudo: !root && succeeds("sudo", ["-n", "true"]),
    apt: succeeds("apt-get", ["--version"]),
  };
}

function runInherit([cmd, ...args]) {
  const result = spawnSync(cmd, args, { stdio: "inherit" });
  return result.status ?? 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = ensureSystemTools(process.argv.slice(2));
  if (!result.ok) {
    console.error(`✗ ${result.message}`);
    process.exit(1);
  }
  console.log(Object.entries(result.paths).map(([id, path]) => `${id}: ${path}`).join(", "));
}
