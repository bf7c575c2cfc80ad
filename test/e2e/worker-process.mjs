// Starts the Worker with `wrangler dev` on a free loopback port for the e2e tests.
// The process stays in the test's process group (scripts/test-browser.mjs kills that group).
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const START_TIMEOUT_MS = 90_000;
const MAX_OUTPUT_CHARS = 20_000;

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

/** `{ url, port, output(), stop() }` once GET /_edge/health answers 200. */
export async function startWorker({ adminToken }) {
  const persistDir = await mkdtemp(join(tmpdir(), "qaxal-e2e-"));
  const [port, inspectorPort] = [await freePort(), await freePort()];
  const args = [
    join(root, "node_modules/wrangler/bin/wrangler.js"), "dev",
    "--port", String(port),
    "--ip", "127.0.0.1",
    "--inspector-port", String(inspectorPort),
    "--var", `EDGE_ADMIN_TOKEN:${adminToken}`,
    "--persist-to", persistDir,
    "--show-interactive-dev-session=false",
  ];
  // wrangler's own entry rather than `npx wrangler`: a signal then reaches wrangler itself.
  const child = spawn(process.execPath, args, {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
    // No outbound calls: no telemetry, no cf.json download (miniflare then uses its fallback).
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", CI: "true" },
  });
  let output = "";
  const append = (chunk) => {
    output = (output + chunk).slice(-MAX_OUTPUT_CHARS);
  };
  child.stdout.on("data", append);
  child.stderr.on("data", append);
  const exited = new Promise((resolve) => child.once("exit", resolve));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const forced = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(forced);
    }
    await rm(persistDir, { recursive: true, force: true });
  };

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`wrangler dev exited with ${child.exitCode}:\n${output}`);
    }
    const healthy = await fetch(`${url}/_edge/health`)
      .then((res) => res.status === 200)
      .catch(() => false);
    if (healthy) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`wrangler dev did not answer /_edge/health within ${START_TIMEOUT_MS} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { url, port, output: () => output, stop };
}
