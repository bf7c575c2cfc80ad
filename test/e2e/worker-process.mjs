// Starts the Worker with `wrangler dev` on a free loopback port and a throwaway state
// directory for the e2e tests (scripts/dev/platform-worker.mjs does the starting).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startWorker as startWranglerDev } from "../../scripts/dev/platform-worker.mjs";
import { freePort } from "../../scripts/dev/processes.mjs";

/** `{ url, port, output(), stop() }` once GET /_edge/health answers 200. */
export async function startWorker({ adminToken }) {
  const persistTo = await mkdtemp(join(tmpdir(), "qaxal-e2e-"));
  try {
    const worker = await startWranglerDev({ port: await freePort(), persistTo, vars: { EDGE_ADMIN_TOKEN: adminToken } });
    return {
      ...worker,
      async stop() {
        await worker.stop();
        await rm(persistTo, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(persistTo, { recursive: true, force: true });
    throw error;
  }
}
