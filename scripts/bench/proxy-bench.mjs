#!/usr/bin/env node
// Measures the tracking path (Worker -> container object -> origin, with cookie keeper,
// CORS and logging) against a plain pass-through Worker on the same runtime, both proxying
// to the same local origin. Two runtimes:
//   --runtime miniflare (default): workerd through Miniflare, load on workerd's own socket,
//     the Worker bundled exactly as `wrangler deploy` bundles it;
//   --runtime wrangler: both under `wrangler dev`, as the platform runs locally (its Node
//     proxy in front of workerd caps both sides, so the ratio is compressed toward 1).
// --persist-to DIR puts the objects' SQLite where you choose (e.g. /dev/shm, to see what
// the disk's fsync of each durable usage write costs). --lease-min-rps off measures the
// strict mode (the object decides every request; see src/pipeline/leases.ts).
// Load comes from wrk when installed (`apt-get install -y wrk`: a C client leaves the two
// cores to the runtime), else from a keep-alive Node client.
//   npm run bench -- [--seconds 10] [--connections 32] [--rounds 2] [--runtime miniflare|wrangler]
//                    [--persist-to DIR] [--lease-min-rps N|off]
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { createServer, Agent, request as httpRequest } from "node:http";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { freePort } from "../dev/platform/processes.mjs";
import { startWorker } from "../dev/platform/worker.mjs";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "10" },
    connections: { type: "string", default: "32" },
    rounds: { type: "string", default: "2" },
    runtime: { type: "string", default: "miniflare" },
    "persist-to": { type: "string" },
    "lease-min-rps": { type: "string", default: "200" },
  },
});
const SECONDS = Number(values.seconds);
const CONNECTIONS = Number(values.connections);
const ROUNDS = Number(values.rounds);
const ADMIN_TOKEN = "bench-admin-token-0123456789abcdef";
const HIT_PATH = "/g/collect?v=2&tid=G-BENCH&gcs=G111&cid=123.456&en=page_view";

/** The origin; counts the hits that came through the edge (they carry X-Forwarded-Host). */
function startOrigin() {
  const server = createServer((req, res) => {
    if (req.headers["x-forwarded-host"]) server.edgeHits += 1;
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "text/plain", "set-cookie": "FPID=FPID2.2.bench; Path=/; HttpOnly" });
      res.end("ok");
    });
  });
  server.edgeHits = 0;
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

const WRK = (() => {
  try {
    execFileSync("wrk", ["--version"], { stdio: "ignore" });
    return true;
  } catch (error) {
    return error.status === 1; // wrk --version prints its version and exits 1
  }
})();

function load(port, seconds, connections) {
  return WRK ? loadWithWrk(port, seconds, connections) : loadWithNode(port, seconds, connections);
}

/** Async on purpose: the origin answers from this process's event loop. */
async function loadWithWrk(port, seconds, connections) {
  const { stdout: output } = await promisify(execFile)(
    "wrk",
    ["-t2", `-c${connections}`, `-d${seconds}s`, "--latency", "-H", "Cookie: _ga=GA1.1.1.2", `http://127.0.0.1:${port}${HIT_PATH}`],
    { encoding: "utf8" },
  );
  if (process.env.BENCH_DEBUG) console.log(output);
  const ms = (label) => {
    const match = output.match(new RegExp(`${label}\\s+([\\d.]+)(us|ms|s)`));
    if (!match) return NaN;
    return Number(match[1]) * { us: 0.001, ms: 1, s: 1000 }[match[2]];
  };
  const non2xx = Number(output.match(/Non-2xx or 3xx responses: (\d+)/)?.[1] ?? 0);
  const socketErrors = output.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  const errors = non2xx + (socketErrors ? socketErrors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0);
  return { rps: Number(output.match(/Requests\/sec:\s+([\d.]+)/)[1]), errors, p50: ms("50%"), p99: ms("99%") };
}

/** Keep-alive GET loops for `seconds`; returns request count, errors and latency percentiles. */
async function loadWithNode(port, seconds, connections) {
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

const root = fileURLToPath(new URL("../..", import.meta.url));

/** The Worker as `wrangler deploy` bundles it. */
function bundleWorker(outdir) {
  execFileSync(process.execPath, [join(root, "node_modules/wrangler/bin/wrangler.js"), "deploy", "--dry-run", "--outdir", outdir], {
    cwd: root,
    stdio: "ignore",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  return join(outdir, "worker.js");
}

async function startMiniflare(workerOptions) {
  const mf = new Miniflare({ host: "127.0.0.1", port: 0, compatibilityDate: "2026-04-01", modules: true, ...workerOptions });
  const url = await mf.ready;
  return { port: Number(url.port), stop: () => mf.dispose() };
}

/** The edge Worker and the floor, each on its own port of the chosen runtime. */
async function startRuntimes(originUrl, dataDir, persistTo) {
  const edgeVars = {
    EDGE_ADMIN_TOKEN: ADMIN_TOKEN,
    EDGE_AUTH_SECRET: "",
    CONTROL_PLANE_URL: "",
    ORIGIN_TIMEOUT_MS: "10000",
    ADMISSION_LEASE_MIN_RPS: values["lease-min-rps"],
  };
  if (values.runtime === "wrangler") {
    const edge = await startWorker({ port: await freePort(), persistTo, vars: edgeVars });
    const floor = await startWorker({
      port: await freePort(),
      persistTo: join(dataDir, "floor"),
      vars: { ORIGIN: originUrl },
      configPath: fileURLToPath(new URL("./passthrough.wrangler.toml", import.meta.url)),
    });
    return { edge, floor };
  }
  const edge = await startMiniflare({
    scriptPath: bundleWorker(join(dataDir, "build")),
    modulesRoot: join(dataDir, "build"),
    compatibilityFlags: ["nodejs_compat"],
    durableObjects: {
      CONTAINER: { className: "ContainerObject", useSQLite: true },
      ROUTES: { className: "RoutesIndex", useSQLite: true },
    },
    durableObjectsPersist: persistTo,
    kvNamespaces: ["EDGE_CACHE"],
    r2Buckets: ["LOGS"],
    analyticsEngineDatasets: { ACCESS_LOG: { dataset: "bench" } },
    bindings: edgeVars,
  });
  const floor = await startMiniflare({
    script: readFileSync(new URL("./passthrough-worker.js", import.meta.url), "utf8"),
    bindings: { ORIGIN: originUrl },
  });
  return { edge, floor };
}

async function main() {
  const origin = await startOrigin();
  const originUrl = `http://127.0.0.1:${origin.address().port}`;
  const dataDir = mkdtempSync(join(tmpdir(), "qaxal-bench-"));
  const persistTo = mkdtempSync(join(values["persist-to"] ?? dataDir, "objects-"));
  let runtimes;
  try {
    runtimes = await startRuntimes(originUrl, dataDir, persistTo);
    const { edge, floor } = runtimes;
    const edgeUrl = `http://127.0.0.1:${edge.port}`;
    const config = benchConfig(originUrl);
    const push = await fetch(`${edgeUrl}/_edge/admin/containers/${config.container_id}/config`, {
      method: "PUT",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify(config),
    });
    if (!push.ok) throw new Error(`config push failed: ${push.status} ${await push.text()}`);

    console.log(`runtime: ${values.runtime}; objects' SQLite in ${persistTo}; ADMISSION_LEASE_MIN_RPS=${values["lease-min-rps"]}`);
    console.log(`load: ${WRK ? "wrk" : "node client"}; warm-up 3 s each, then ${ROUNDS} rounds of ${SECONDS} s x ${CONNECTIONS} connections`);
    await load(floor.port, 3, CONNECTIONS);
    await load(edge.port, 3, CONNECTIONS);
    const results = { floor: [], edge: [] };
    for (let round = 0; round < ROUNDS; round++) {
      results.floor.push(await load(floor.port, SECONDS, CONNECTIONS));
      results.edge.push(await load(edge.port, SECONDS, CONNECTIONS));
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
    // Leases end within a second and give their unused slots back: then counts must be exact.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const usage = await fetch(`${edgeUrl}/_edge/admin/containers/${config.container_id}`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    }).then((r) => r.json());
    const counted = usage.usage.month_requests;
    const verdict = counted === origin.edgeHits ? "exact" : `OFF BY ${counted - origin.edgeHits}`;
    console.log(`usage: the object counted ${counted}, the origin received ${origin.edgeHits} through the edge (${verdict})`);
  } finally {
    await Promise.all([runtimes?.edge.stop(), runtimes?.floor.stop()]);
    origin.close();
    rmSync(persistTo, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
