#!/usr/bin/env node
// Measures the tracking path (Worker -> container object -> origin, with cookie keeper,
// CORS and logging) against a plain pass-through Worker, both under `wrangler dev` on this
// machine, both proxying to the same local origin. Prints throughput, latency and the ratio.
//   npm run bench -- [--seconds 10] [--connections 32] [--rounds 2]
import { createServer, Agent, request as httpRequest } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { freePort } from "../dev/processes.mjs";
import { startWorker } from "../dev/platform-worker.mjs";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "10" },
    connections: { type: "string", default: "32" },
    rounds: { type: "string", default: "2" },
  },
});
const SECONDS = Number(values.seconds);
const CONNECTIONS = Number(values.connections);
const ROUNDS = Number(values.rounds);
const ADMIN_TOKEN = "bench-admin-token-0123456789abcdef";
const HIT_PATH = "/g/collect?v=2&tid=G-BENCH&gcs=G111&cid=123.456&en=page_view";

function startOrigin() {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "text/plain", "set-cookie": "FPID=FPID2.2.bench; Path=/; HttpOnly" });
      res.end("ok");
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

function benchConfig(originUrl) {
  return {
    container_id: "00000000-0000-4000-8000-00000000bec4",
    client_id: "00000000-0000-4000-8000-00000000c11e",
    config_version: 1,
    origin: originUrl,
    edge_hostname: "127.0.0.1",
    loader_token: "lt_bench_0123456789abcdef",
    modules: { sgtm_proxy: true, gtm_recovery: true, cookie_keeper: true, adblock_itp_detection: true, custom_domain: false },
    plan: { monthly_request_limit: null, auto_upgrade: false },
    sites: [{
      site_id: "00000000-0000-4000-8000-00000000517e",
      primary_host: "bench.localhost",
      tracked_domains: [],
      cookie_domain: "bench.localhost",
      container_token: "ct_bench_0123456789abcdef",
      web_gtm_id: "GTM-BENCH1",
    }],
  };
}

/** Keep-alive GET loops for `seconds`; returns request count, errors and latency percentiles. */
async function load(port, seconds, connections) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const latencies = [];
  let errors = 0;
  const deadline = Date.now() + seconds * 1000;
  const one = () =>
    new Promise((resolve) => {
      const started = performance.now();
      const req = httpRequest({ host: "127.0.0.1", port, path: HIT_PATH, agent, headers: { cookie: "_ga=GA1.1.1.2" } }, (res) => {
        res.resume();
        res.on("end", () => {
          if (res.statusCode === 200) latencies.push(performance.now() - started);
          else errors += 1;
          resolve();
        });
      });
      req.on("error", () => {
        errors += 1;
        resolve();
      });
      req.end();
    });
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (Date.now() < deadline) await one();
    }),
  );
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const pick = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return { rps: latencies.length / seconds, errors, p50: pick(0.5), p99: pick(0.99) };
}

async function main() {
  const origin = await startOrigin();
  const originUrl = `http://127.0.0.1:${origin.address().port}`;
  const dataDir = mkdtempSync(join(tmpdir(), "qaxal-bench-"));
  const workers = [];
  try {
    const [edgePort, floorPort] = [await freePort(), await freePort()];
    const edge = await startWorker({
      port: edgePort,
      persistTo: join(dataDir, "edge"),
      vars: { EDGE_ADMIN_TOKEN: ADMIN_TOKEN, ORIGIN_TIMEOUT_MS: "10000" },
    });
    workers.push(edge);
    const floor = await startWorker({
      port: floorPort,
      persistTo: join(dataDir, "floor"),
      vars: { ORIGIN: originUrl },
      configPath: fileURLToPath(new URL("./passthrough.wrangler.toml", import.meta.url)),
    });
    workers.push(floor);
    const config = benchConfig(originUrl);
    const push = await fetch(`${edge.url}/_edge/admin/containers/${config.container_id}/config`, {
      method: "PUT",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify(config),
    });
    if (!push.ok) throw new Error(`config push failed: ${push.status} ${await push.text()}`);

    console.log(`warming up (3 s each), then ${ROUNDS} rounds of ${SECONDS} s x ${CONNECTIONS} connections`);
    await load(floorPort, 3, CONNECTIONS);
    await load(edgePort, 3, CONNECTIONS);
    const results = { floor: [], edge: [] };
    for (let round = 0; round < ROUNDS; round++) {
      results.floor.push(await load(floorPort, SECONDS, CONNECTIONS));
      results.edge.push(await load(edgePort, SECONDS, CONNECTIONS));
    }
    const summary = (runs) => ({
      rps: runs.reduce((sum, r) => sum + r.rps, 0) / runs.length,
      p50: runs.reduce((sum, r) => sum + r.p50, 0) / runs.length,
      p99: runs.reduce((sum, r) => sum + r.p99, 0) / runs.length,
      errors: runs.reduce((sum, r) => sum + r.errors, 0),
    });
    const floorSummary = summary(results.floor);
    const edgeSummary = summary(results.edge);
    const row = (name, s) =>
      `${name.padEnd(28)} ${s.rps.toFixed(0).padStart(8)} req/s   p50 ${s.p50.toFixed(2).padStart(7)} ms   p99 ${s.p99.toFixed(2).padStart(7)} ms   errors ${s.errors}`;
    console.log(row("pass-through Worker (floor)", floorSummary));
    console.log(row("qaxal edge tracking path", edgeSummary));
    console.log(`throughput ratio edge/floor: ${(edgeSummary.rps / floorSummary.rps).toFixed(2)}x (target >= 0.85x)`);
    const usage = await fetch(`${edge.url}/_edge/admin/containers/${config.container_id}`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    }).then((r) => r.json());
    console.log(`requests counted by the container object this month: ${usage.usage.month_requests}`);
  } finally {
    await Promise.all(workers.map((worker) => worker.stop()));
    origin.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
