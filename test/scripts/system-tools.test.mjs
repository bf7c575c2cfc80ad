// scripts/dev/testing/system-tools.mjs: a missing Chromium, nginx or Caddy is installed with
// apt-get when the machine allows (root, or sudo without a password), else the run stops with
// the one command to type; nothing is run when everything is there.
//
//   node --test test/scripts/system-tools.test.mjs
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ensureSystemTools, installPlan, locate, systemTools } from "../../scripts/dev/testing/system-tools.mjs";

/** A machine whose executables are `present`; apt-get install adds `installs` (when it exits 0). */
function machine({ present, can, installs = [], aptExit = 0 }) {
  const files = new Set(present);
  const ran = [];
  return {
    ran,
    options: {
      env: {},
      isExecutable: (path) => files.has(path),
      probe: () => can,
      log: () => {},
      runCommand: (command) => {
        ran.push(command.join(" "));
        if (aptExit === 0 && command.includes("install")) for (const path of installs) files.add(path);
        return aptExit;
      },
    },
  };
}

const ALL = ["/usr/bin/chromium", "/usr/sbin/nginx", "/usr/bin/caddy"];

describe("system tools", () => {
  it("everything there: nothing is run, every path is named", () => {
    const m = machine({ present: ALL, can: { root: true, sudo: false, apt: true } });
    const result = ensureSystemTools([], m.options);
    assert.deepEqual(result, { ok: true, paths: { chromium: "/usr/bin/chromium", nginx: "/usr/sbin/nginx", caddy: "/usr/bin/caddy" } });
    assert.deepEqual(m.ran, []);
  });

  it("as root: the missing packages are installed with apt-get, then found", () => {
    const m = machine({ present: ["/usr/sbin/nginx"], can: { root: true, sudo: false, apt: true }, installs: ALL });
    const result = ensureSystemTools([], m.options);
    assert.equal(result.ok, true);
    assert.equal(result.paths.chromium, "/usr/bin/chromium");
    assert.deepEqual(m.ran, [
      "apt-get update",
      "env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium caddy",
    ]);
  });

  it("with sudo and no password: the same commands through sudo -n", () => {
    const m = machine({ present: [], can: { root: false, sudo: true, apt: true }, installs: ALL });
    assert.equal(ensureSystemTools(["chromium"], m.options).ok, true);
    assert.deepEqual(m.ran, [
      "sudo -n apt-get update",
      "sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium",
    ]);
  });

  it("neither root nor sudo: nothing is run, the message is the one command", () => {
    const m = machine({ present: ["/usr/bin/caddy"], can: { root: false, sudo: false, apt: true } });
    const result = ensureSystemTools([], m.options);
    assert.equal(result.ok, false);
    assert.deepEqual(m.ran, []);
    assert.match(result.message, /Chromium, nginx missing/);
    assert.match(result.message, /sudo apt-get update && sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium nginx\n/);
  });

  it("a failing apt-get stops the run and names the command", () => {
    const m = machine({ present: [], can: { root: true, sudo: false, apt: true }, aptExit: 100 });
    const result = ensureSystemTools(["nginx"], m.options);
    assert.equal(result.ok, false);
    assert.match(result.message, /`apt-get update` failed/);
    assert.deepEqual(m.ran, ["apt-get update"]);
  });

  it("no apt-get (not Debian): the command to print, nothing run", () => {
    assert.equal(installPlan(systemTools({}), { root: true, sudo: false, apt: false }).kind, "manual");
  });

  it("CHROMIUM_PATH is the only place looked at when set; else Debian's paths in order", () => {
    const [chromium] = systemTools({ CHROMIUM_PATH: "/opt/chrome/chrome" });
    assert.equal(locate(chromium, (path) => path === "/usr/bin/chromium"), null);
    assert.equal(locate(chromium, (path) => path === "/opt/chrome/chrome"), "/opt/chrome/chrome");
    const m = machine({ present: ALL, can: { root: true, sudo: false, apt: true } });
    const result = ensureSystemTools(["chromium"], { ...m.options, env: { CHROMIUM_PATH: "/opt/chrome/chrome" } });
    assert.equal(result.ok, false);
    assert.match(result.message, /CHROMIUM_PATH\) \/opt\/chrome\/chrome is not an executable/);
    assert.deepEqual(m.ran, [], "no package installs the user's own path");
    const [debian] = systemTools({});
    assert.equal(locate(debian, (path) => path === "/usr/bin/chromium-browser"), "/usr/bin/chromium-browser");
  });
});
