// Starts the Worker with `wrangler dev` on a free loopback port and a throwaway state
// directory for the e2e tests (scripts/dev/platform/worker.mjs does the starting).
// wrangler runs in a process group of its own, outside the test run's group, so this module
// kills that group itself when this process exits or is signalled, and announces its pid in
// $E2E_PID_DIR for scripts/test-browser.mjs, in case this process is killed outright.
import { writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startWorker as startWranglerDev } from "../../scripts/dev/platform/worker.mjs";
import { freePort } from "../../scripts/dev/platform/processes.mjs";

const running = new Set();

function killGroupNow(pid) {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // ESRCH: already gone.
  }
}

process.on("exit", () => running.forEach(killGroupNow));
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    running.forEach(killGroupNow);
    process.exit(1);
  });
}

/**
 * `{ url, port, output(), stop() }` once GET /_edge/health answers 200. `vars` are more Worker
 * variables; with `persistTo` the state lives there and outlives stop() (a restart on the same
 * state), else in a throwaway directory; `port` keeps the URL of a Worker started before.
 */
export async function startWorker({ adminToken, vars = {}, persistTo: ownState, port }) {
  const persistTo = ownState ?? await mkdtemp(join(tmpdir(), "qaxal-e2e-"));
  const dropState = () => (ownState ? Promise.resolve() : rm(persistTo, { recursive: true, force: true }));
  try {
    const worker = await startWranglerDev({ port: port ?? await freePort(), persistTo, vars: { EDGE_ADMIN_TOKEN: adminToken, ...vars } });
    running.add(worker.pid);
    if (process.env.E2E_PID_DIR) writeFileSync(join(process.env.E2E_PID_DIR, `wrangler-${worker.pid}`), String(worker.pid));
    return {
      ...worker,
      async stop() {
        await worker.stop();
        running.delete(worker.pid);
        await dropState();
      },
    };
  } catch (error) {
    await dropState();
    throw error;
  }
}

/** Pushes a container's config through the admin API; fails the test unless it is applied. */
export async function pushConfig(worker, adminToken, config) {
  const put = await fetch(`${worker.url}/_edge/admin/containers/${config.container_id}/config`, {
    method: "PUT",
    headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
    body: JSON.stringify(config),
  });
  if (put.status !== 200) throw new Error(`config push: ${put.status} ${await put.text()}`);
}
