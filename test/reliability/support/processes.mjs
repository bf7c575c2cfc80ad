// Process groups the reliability tests start outside their own group (PostgreSQL, the functions
// under Deno): announced in $E2E_PID_DIR (the directory scripts/test-reliability.mjs stops
// every group of when the run ends, as wrangler's are, test/e2e/worker-process.mjs), and killed
// when this process exits or is signalled, so none outlives a test.
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** pid -> name of every group started here and not yet stopped. */
const running = new Map();

function killGroupNow(pid) {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // ESRCH: already gone.
  }
}

process.on("exit", () => [...running.keys()].forEach(killGroupNow));
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    [...running.keys()].forEach(killGroupNow);
    process.exit(1);
  });
}

const announcement = (name, pid) => process.env.E2E_PID_DIR && join(process.env.E2E_PID_DIR, `${name}-${pid}`);

export function announceGroup(name, pid) {
  running.set(pid, name);
  const file = announcement(name, pid);
  if (file) writeFileSync(file, String(pid));
}

/** The group ended (stopped by its test): nothing to kill any more. */
export function forgetGroup(pid) {
  const file = running.has(pid) && announcement(running.get(pid), pid);
  running.delete(pid);
  if (file) rmSync(file, { force: true });
}
