// Child processes of the local platform and its tests: free ports, a service started in its
// own process group (so stopping it also stops what it spawned: wrangler's workerd, deno's
// workers), readiness by polling a URL, and a bounded run of a whole test command.
import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { createServer } from "node:net";

const MAX_OUTPUT_CHARS = 20_000;
const STOP_GRACE_MS = 5_000;

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Resolves if nothing listens on 127.0.0.1:port; else rejects naming who wanted it. */
export function ensurePortFree(port, what) {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", (error) => {
      const busy = error.code === "EADDRINUSE";
      reject(new Error(busy
        ? `port ${port} (${what}) is busy: stop what uses it, or run with --ports random`
        : `port ${port} (${what}): ${error.message}`));
    });
    server.listen(port, "127.0.0.1", () => server.close(() => resolve()));
  });
}

/** true while a process with this pid exists (signal 0 only checks). */
export function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === "EPERM";
  }
}

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/** SIGTERM to the group, SIGKILL after the grace period; resolves once the leader is gone. */
export async function stopGroup(pid, graceMs = STOP_GRACE_MS) {
  signalGroup(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(50);
  // Stragglers that ignored SIGTERM (or a leader that did) go now.
  signalGroup(pid, "SIGKILL");
  while (isAlive(pid)) await sleep(20);
}

/**
 * Spawns `command` as the leader of a new process group. Output goes to `logFile` when given
 * and to a bounded in-memory tail (`output()`) for error messages. `uid`/`gid` (optional) run it
 * as another user (a server that refuses root, e.g. PostgreSQL).
 * @returns {{ name: string, pid: number, child: import("node:child_process").ChildProcess,
 *   output(): string, exited: Promise<number|null>, stop(): Promise<void> }}
 */
export function spawnService(name, command, args, { cwd, env, logFile, uid, gid } = {}) {
  const child = spawn(command, args, { cwd, env, uid, gid, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const log = logFile ? createWriteStream(logFile, { flags: "a" }) : null;
  let tail = "";
  const append = (chunk) => {
    tail = (tail + chunk).slice(-MAX_OUTPUT_CHARS);
    log?.write(chunk);
  };
  child.stdout.on("data", append);
  child.stderr.on("data", append);
  const exited = new Promise((resolve) => {
    child.once("exit", (code) => resolve(code));
    child.once("error", (error) => {
      append(`could not start ${command}: ${error.message}\n`);
      resolve(null);
    });
  });
  let stopping;
  return {
    name,
    pid: child.pid,
    child,
    output: () => tail,
    exited,
    stop() {
      stopping ??= (async () => {
        if (child.pid !== undefined) await stopGroup(child.pid);
        await new Promise((resolve) => (log ? log.end(resolve) : resolve()));
      })();
      return stopping;
    },
  };
}

/**
 * Polls `probe` until it returns a truthy value; fails early when `service` exits first,
 * with the tail of its output in the message.
 */
export async function waitUntilReady(service, what, probe, timeoutMs) {
  let exitCode;
  service.exited.then((code) => (exitCode = code ?? "an error"));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exitCode !== undefined) throw new Error(`${service.name} exited (${exitCode}) before ${what}:\n${service.output()}`);
    const value = await probe().catch(() => false);
    if (value) return value;
    if (Date.now() > deadline) {
      throw new Error(`${service.name}: no ${what} within ${timeoutMs / 1000}s:\n${service.output()}`);
    }
    await sleep(200);
  }
}

/** true once GET url answers `status`. */
export function answers(url, status = 200) {
  return () => fetch(url, { signal: AbortSignal.timeout(2_000) }).then((res) => {
    res.body?.cancel();
    return res.status === status;
  });
}

/**
 * Runs a test command in its own process group, bounded in time; when it ends, however it
 * ends (done, timed out, or this process signalled), the group is killed so nothing it
 * started outlives it. Resolves with the exit code to use.
 */
export function runBounded(command, args, { cwd, env, timeoutMs, what }) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env, stdio: "inherit", detached: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      console.error(`\n✗ ${what} still running after ${timeoutMs / 1000}s: stopping them`);
      stopGroup(child.pid);
    }, timeoutMs);
    const onSignal = () => stopGroup(child.pid).then(() => process.exit(1));
    const signals = ["SIGINT", "SIGTERM", "SIGHUP"];
    for (const signal of signals) process.on(signal, onSignal);
    child.on("exit", async (code, signal) => {
      clearTimeout(timer);
      for (const name of signals) process.off(name, onSignal);
      // Stragglers (a wrangler or workerd that missed its shutdown) go with the group.
      await stopGroup(child.pid, 500);
      resolve(timedOut ? 1 : (code ?? (signal ? 1 : 0)));
    });
  });
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
