// The Worker under `wrangler dev` on a loopback port, with local KV/R2/AE/DO state persisted
// to `persistTo`. Used by `npm start` and the end-to-end tests.
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { answers, freePort, spawnService, waitUntilReady } from "./processes.mjs";

const root = fileURLToPath(new URL("../../..", import.meta.url));
export const WORKER_START_TIMEOUT_MS = 90_000;

/**
 * @param {{ port: number, persistTo: string, vars: Record<string, string>, logFile?: string, configPath?: string,
 *   onSpawn?: (pid: number) => void }} options  onSpawn: told wrangler's pid (its group) before it is ready
 * @returns {Promise<{ url: string, port: number, pid: number, inspectorPort: number, output(): string, stop(): Promise<void> }>}
 *   inspectorPort: wrangler's DevTools endpoint of the Worker's isolate (the reliability soak reads its heap there)
 */
export async function startWorker({ port, persistTo, vars, logFile, configPath, onSpawn }) {
  const inspectorPort = await freePort();
  const args = [
    join(root, "node_modules/wrangler/bin/wrangler.js"), "dev",
    "--port", String(port),
    "--ip", "127.0.0.1",
    "--inspector-port", String(inspectorPort),
    "--persist-to", persistTo,
    "--show-interactive-dev-session=false",
    ...(configPath ? ["--config", configPath] : []),
    ...Object.entries(vars).flatMap(([name, value]) => ["--var", `${name}:${value}`]),
  ];
  // wrangler's own entry rather than `npx wrangler`: a signal then reaches wrangler itself.
  const service = spawnService("wrangler dev", process.execPath, args, {
    cwd: root,
    logFile,
    // No outbound calls: no telemetry, no cf.json download (miniflare then uses its fallback).
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", CI: "true" },
  });
  onSpawn?.(service.pid);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(service, "answer on /_edge/health", answers(`${url}/_edge/health`), WORKER_START_TIMEOUT_MS);
  } catch (error) {
    await service.stop();
    throw error;
  }
  return { url, port, pid: service.pid, inspectorPort, output: service.output, stop: service.stop };
}
