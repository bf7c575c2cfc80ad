#!/usr/bin/env node
// `npm run bench`: the figures of docs/scaling.md, each printed next to its target.
// The product runs on bare workerd (Miniflare), bundled as `wrangler deploy` bundles it, behind
// scripts/bench/bench-entry.js, which wraps the Durable Object and KV bindings the Worker gets
// with a simulated round trip and a call counter (the product carries no bench hooks).
//   1. throughput: one container's plain hits under wrk, against a pass-through Worker;
//   2. scale: the same after --containers more containers were configured;
//   3. latency: a traffic mix (--quiet containers at ~1 page view/s each, a page view being
//      loader, GTM script, three recovered hits and one plain hit; plus one busy container at
//      --busy-rps) run at 0 ms and at --do-rtt ms Worker -> object (KV at --kv-ms), p50 per
//      endpoint and the difference; Durable Object calls per 1,000 hits and per page view;
//   4. exactness: the objects' counts against the hits the origin received, and 20 concurrent
//      requests against a limit of 10.
//   npm run bench -- [--seconds 5] [--connections 32] [--rounds 4] [--containers 100000]
//     [--do-rtt 50] [--kv-ms 10] [--quiet 20] [--busy-rps 300] [--mix-seconds 15]
//     [--persist-to DIR] [--lease-min-rps N|off] [--only throughput,scale,latency,exactness]
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { createServer, Agent, request as httpRequest } from "node:http";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "5" },
    connections: { type: "string", default: "32" },
    rounds: { type: "string", default: "4" },
    containers: { type: "string", default: "100000" },
    "do-rtt": { type: "string", default: "50" },
    "kv-ms": { type: "string", default: "10" },
    quiet: { type: "string", default: "20" },
    "busy-rps": { type: "string", default: "50" },
    "mix-seconds": { type: "string", default: "15" },
    "persist-to": { type: "string" },
    "lease-min-rps": { type: "string", default: "0" },
    only: { type: "string", default: "throughput,scale,latency,exactness" },
  },
});
const SECONDS = Number(values.seconds);
const CONNECTIONS = Number(values.connections);
const ROUNDS = Number(values.rounds);
const ONLY = new Set(values.only.split(","));
const ADMIN_TOKEN = "bench-admin-token-0123456789abcdef";
const HIT_QUERY = "v=2&tid=G-BENCH&gcs=G111&cid=123.456&en=page_view";
/** How long a lease outlives its last top-up (src/pipeline/leases.ts LEASE_TTL_MS), plus a margin. */
const LEASES_END_MS = 11_000;
const root = fileURLToPath(new URL("../..", import.meta.url));
/** tmpfs where there is one: the objects' SQLite of the closed-loop runs (see scale and throughputVsFloor). */
const SHM = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// --- origin, configs ---------------------------------------------------------------------

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
  // Longer than workerd keeps an idle upstream connection: Node's 5 s default closes sockets
  // workerd is about to reuse ("Network connection lost"), a harness artifact.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 121_000;
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

const hex = (n, width) => n.toString(16).padStart(width, "0");

/** Container number `n` of the bench: its own hosts and tokens. */
function benchConfig(originUrl, n, plan = { monthly_request_limit: null, auto_upgrade: false }) {
  const name = `c${n}`;
  return {
    container_id: `${hex(n, 8)}-0000-4000-8000-00000000bec4`,
    client_id: "00000000-0000-4000-8000-00000000c11e",
    config_version: 1,
    origin: originUrl,
    edge_hostname: `${name}.edge.bench`,
    loader_token: `lt_bench_${name}_0123456789abcdef`,
    modules: { sgtm_proxy: true, gtm_recovery: true, cookie_keeper: true, adblock_itp_detection: true, custom_domain: false },
    plan,
    sites: [{
      site_id: `${hex(n, 8)}-0000-4000-8000-00000000517e`,
      primary_host: `${name}.bench.localhost`,
      tracked_domains: [],
      cookie_domain: `${name}.bench.localhost`,
      container_token: `ct_bench_${name}_0123456789abcdef`,
      web_gtm_id: "GTM-BENCH1",
    }],
  };
}

const site = (config) => config.sites[0];

// --- runtimes ------------------------------------------------------------------------------

/** The product behind the bench entry, as `wrangler deploy` bundles it. */
function bundleEdge(outdir) {
  const wrangler = join(root, "node_modules/wrangler/bin/wrangler.js");
  execFileSync(process.execPath, [wrangler, "deploy", "scripts/bench/bench-entry.js", "--dry-run", "--outdir", outdir], {
    cwd: root,
    stdio: "ignore",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  return join(outdir, "bench-entry.js");
}

const workerdPids = () =>
  new Set(readdirSync("/proc").filter((pid) => /^\d+$/.test(pid) && readProc(`/proc/${pid}/comm`) === "workerd"));

function readProc(path) {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return null; // a process that ended while listed
  }
}

/** Clock ticks per second of /proc's CPU times. */
const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" })) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds a process has used, all its threads (/proc/PID/stat utime + stime); null where there is no /proc. */
function cpuSeconds(pid) {
  const stat = pid ? readProc(`/proc/${pid}/stat`) : null;
  if (!stat) return null;
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Started one at a time: the workerd process that appears is this runtime's (for pinning). */
async function startMiniflare(workerOptions) {
  const before = existsSync("/proc") ? workerdPids() : new Set();
  const mf = new Miniflare({ host: "127.0.0.1", port: 0, compatibilityDate: "2026-04-01", modules: true, ...workerOptions });
  const url = await mf.ready;
  const pid = existsSync("/proc") ? [...workerdPids()].find((candidate) => !before.has(candidate)) : undefined;
  return { port: Number(url.port), pid, url: `http://127.0.0.1:${url.port}`, stop: () => mf.dispose() };
}

/**
 * During closed-loop runs the runtime under test has the last core to itself, and wrk and
 * this process (the origin) the others, so the ratio is the runtimes' own cost per request
 * rather than how the machine happened to share its cores (which moved it by +-0.1 here).
 */
const CORES = availableParallelism();
const PINNING = CORES >= 2 && hasCommand("taskset", ["-V"]);
const RUNTIME_CORE = String(CORES - 1);
const LOAD_CORES = CORES === 2 ? "0" : `0-${CORES - 2}`;

function hasCommand(command, args) {
  try {
    execFileSync(command, args, { stdio: "ignore" });
    return true;
  } catch (error) {
    return error.code !== "ENOENT";
  }
}

function pin(pid, cores) {
  if (PINNING && pid) execFileSync("taskset", ["-a", "-p", "-c", cores, String(pid)], { stdio: "ignore" });
}

async function pinnedDuring(runtimes, work) {
  const all = `0-${CORES - 1}`;
  for (const runtime of runtimes) pin(runtime.pid, RUNTIME_CORE);
  pin(process.pid, LOAD_CORES);
  try {
    return await work();
  } finally {
    for (const runtime of runtimes) pin(runtime.pid, all);
    pin(process.pid, all);
  }
}

/** The product; Analytics Engine as `ae` says: "counter" (the harness's, see bench-entry.js) or "miniflare" (its emulation). */
function startEdge(scriptPath, persistTo, { rtt = 0, kvMs = 0, ae = "counter" } = {}) {
  return startMiniflare({
    scriptPath,
    modulesRoot: join(scriptPath, ".."),
    compatibilityFlags: ["nodejs_compat"],
    durableObjects: {
      CONTAINER: { className: "ContainerObject", useSQLite: true },
      ROUTES: { className: "RoutesIndex", useSQLite: true },
    },
    durableObjectsPersist: persistTo,
    kvNamespaces: ["EDGE_CACHE"],
    r2Buckets: ["LOGS"],
    analyticsEngineDatasets: { ACCESS_LOG: { dataset: "bench" } },
    bindings: {
      EDGE_ADMIN_TOKEN: ADMIN_TOKEN,
      EDGE_AUTH_SECRET: "",
      CONTROL_PLANE_URL: "",
      ORIGIN_TIMEOUT_MS: "10000",
      ADMISSION_LEASE_MIN_RPS: values["lease-min-rps"],
      BENCH_DO_RTT_MS: String(rtt),
      BENCH_KV_MS: String(kvMs),
      BENCH_AE: ae,
    },
  });
}

function startFloor(originUrl) {
  return startMiniflare({
    script: readFileSync(new URL("./passthrough-worker.js", import.meta.url), "utf8"),
    bindings: { ORIGIN: originUrl },
  });
}

// --- HTTP ----------------------------------------------------------------------------------

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

/**
 * One request; resolves with status and milliseconds. A keep-alive socket the server closed
 * just as it was reused fails with ECONNRESET before the request left: sent again once
 * (Node's documented race, not the edge's answer), its time counted from the first try.
 */
function hit(port, path, headers, method = "GET", body, started = performance.now(), retried = false) {
  return new Promise((resolve) => {
    const req = httpRequest({ host: "127.0.0.1", port, path, method, agent, headers }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode, ms: performance.now() - started }));
    });
    req.on("error", (error) => {
      if (req.reusedSocket && error.code === "ECONNRESET" && !retried) {
        resolve(hit(port, path, headers, method, body, started, true));
        return;
      }
      if (process.env.BENCH_DEBUG) console.log(`  ${method} ${path.slice(0, 30)}: ${error.code ?? error.message}`);
      resolve({ status: 0, ms: performance.now() - started });
    });
    req.end(body);
  });
}

async function adminCall(edge, path, init = {}) {
  const response = await fetch(`${edge.url}/_edge/admin/${path}`, {
    ...init,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
  });
  const body = await response.json().catch(() => null);
  return { status: response.status, body };
}

async function push(edge, config) {
  const { status, body } = await adminCall(edge, `containers/${config.container_id}/config`, {
    method: "PUT",
    body: JSON.stringify(config),
  });
  if (status !== 200) throw new Error(`config push failed: ${status} ${JSON.stringify(body)}`);
}

async function pushMany(edge, configs, parallel = 16) {
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < configs.length) await push(edge, configs[next++]);
    }),
  );
}

const monthRequests = async (edge, config) =>
  (await adminCall(edge, `containers/${config.container_id}`)).body.usage.month_requests;

async function benchCalls(edge, reset = false) {
  return (await fetch(`${edge.url}/__bench/calls${reset ? "?reset=1" : ""}`)).json();
}

// --- wrk -----------------------------------------------------------------------------------

const WRK = hasCommand("wrk", ["--version"]); // prints its version and exits 1

/** Closed-loop load on one URL; async on purpose: the origin answers from this process's event loop. */
async function load(port, host, path, seconds, connections) {
  if (!WRK) throw new Error("wrk is required for the throughput figures: apt-get install -y wrk");
  const wrk = ["wrk", "-t2", `-c${connections}`, `-d${seconds}s`, "--latency", "-H", "Cookie: _ga=GA1.1.1.2", "-H", `Host: ${host}`,
      `http://127.0.0.1:${port}${path}`];
  const [command, ...args] = PINNING ? ["taskset", "-c", LOAD_CORES, ...wrk] : wrk;
  const { stdout } = await promisify(execFile)(command, args, { encoding: "utf8" });
  const non2xx = Number(stdout.match(/Non-2xx or 3xx responses: (\d+)/)?.[1] ?? 0);
  const socket = stdout.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  const errors = non2xx + (socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0);
  return { rps: Number(stdout.match(/Requests\/sec:\s+([\d.]+)/)[1]), errors };
}

/**
 * Closed-loop throughput of each runtime, the rounds taken in turn (a, b, a, b, ...) so that
 * what other processes do to this machine falls on every side alike.
 */
function throughputs(runtimes, host, path) {
  return pinnedDuring(runtimes, async () => {
    for (const { port } of runtimes) await load(port, host, path, 3, CONNECTIONS);
    const runs = runtimes.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, { port, pid }] of runtimes.entries()) {
        const before = cpuSeconds(pid);
        const run = await load(port, host, path, SECONDS, CONNECTIONS);
        const used = before === null ? null : cpuSeconds(pid) - before;
        runs[i].push({ ...run, cpuUs: used === null ? null : (used * 1e6) / (run.rps * SECONDS) });
      }
    }
    return runs.map((list) => ({
      rps: list.reduce((sum, r) => sum + r.rps, 0) / list.length,
      errors: list.reduce((sum, r) => sum + r.errors, 0),
      perRound: list.map((r) => r.rps),
      rounds: list.map((r) => r.rps.toFixed(0)).join(", "),
      // The process's CPU per request served (the objects run in it too), median of rounds.
      cpuUsPerRequest: list.some((r) => r.cpuUs === null) ? null : median(list.map((r) => r.cpuUs)),
    }));
  });
}

// --- traffic mix ---------------------------------------------------------------------------

const b64url = (text) => Buffer.from(text).toString("base64url");

/**
 * A page view as a browser makes it: the loader, then the GTM script through /k/ (the
 * critical path before tags fire), then three recovered hits and one plain hit at once.
 */
async function pageView(port, config, record) {
  const { primary_host: host, container_token: token } = site(config);
  const headers = { host, referer: `https://${host}/`, cookie: "_ga=GA1.1.1.2" };
  const started = performance.now();
  const loader = await hit(port, `/l/${config.loader_token}.js`, headers);
  const gtm = await hit(port, `/k/${token}?p=${b64url("/gtm.js?id=GTM-BENCH1")}`, headers);
  record("critical path loader -> GTM", { status: Math.max(loader.status, gtm.status), ms: performance.now() - started });
  record("loader", loader);
  record("GTM script", gtm);
  const recovered = `/k/${token}?p=${b64url(`/g/collect?${HIT_QUERY}`)}`;
  const hits = await Promise.all([
    hit(port, recovered, headers, "POST", ""),
    hit(port, recovered, headers, "POST", ""),
    hit(port, recovered, headers, "POST", ""),
    hit(port, `/g/collect?${HIT_QUERY}`, headers, "POST", ""),
  ]);
  for (const result of hits.slice(0, 3)) record("recovered hit", result);
  record("plain hit", hits[3]);
}

/** Runs the mix for `seconds`; page views per quiet container at ~1/s (jittered), busy hits open-loop. */
async function runMix(port, quiet, busy, seconds, record) {
  const deadline = Date.now() + seconds * 1000;
  const inFlight = [];
  const quietLoops = quiet.map(async (config) => {
    await sleep(Math.random() * 1000);
    while (Date.now() < deadline) {
      const view = pageView(port, config, record);
      inFlight.push(view);
      await sleep(500 + Math.random() * 1000);
    }
  });
  const busyHost = site(busy).primary_host;
  const busyLoop = (async () => {
    const interval = 1000 / Number(values["busy-rps"]);
    let due = performance.now();
    while (Date.now() < deadline) {
      inFlight.push(hit(port, `/g/collect?${HIT_QUERY}`, { host: busyHost, cookie: "_ga=GA1.1.1.2" }).then((r) => record("busy plain hit", r)));
      due += interval;
      await sleep(Math.max(0, due - performance.now()));
    }
  })();
  await Promise.all([...quietLoops, busyLoop]);
  await Promise.all(inFlight);
}

/** b against a, round by round (each pair ran back to back), then the median: one disturbed round moves it little. */
const pairedRatio = (b, a) => median(b.perRound.map((rps, i) => rps / a.perRound[i]));

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return NaN;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** An edge of its own (own origin, own objects) at a given distance, with the mix's containers. */
async function mixEdge(scriptPath, persistRoot, rtt, kvMs) {
  const origin = await startOrigin();
  const originUrl = `http://127.0.0.1:${origin.address().port}`;
  const persistTo = mkdtempSync(join(persistRoot, "mix-"));
  const edge = await startEdge(scriptPath, persistTo, { rtt, kvMs });
  const quiet = Array.from({ length: Number(values.quiet) }, (_, i) => benchConfig(originUrl, 100 + i));
  const busy = benchConfig(originUrl, 99);
  await pushMany(edge, [...quiet, busy]);
  const samples = new Map();
  const run = { edge, origin, quiet, busy, samples, failures: 0, recording: false };
  run.record = (name, result) => {
    if (result.status !== 200) {
      run.failures += 1;
      if (process.env.BENCH_DEBUG) console.log(`  ${name}: status ${result.status}`);
    }
    if (!run.recording) return;
    if (!samples.has(name)) samples.set(name, []);
    samples.get(name).push(result.ms);
  };
  run.stop = async () => {
    await edge.stop();
    origin.close();
    rmSync(persistTo, { recursive: true, force: true });
  };
  return run;
}

/** What a mix run measured once its leases have ended: p50 per endpoint, object calls, counts. */
async function mixResult(run, calls, windowHits) {
  let counted = 0;
  for (const config of [...run.quiet, run.busy]) counted += await monthRequests(run.edge, config);
  const quietNames = new Set(run.quiet.map((config) => config.container_id));
  // Admission (admit, topUp, returnLease, the index) apart from the log and cookie hand-off after responses.
  const calls1 = { admission: 0, handOff: 0 };
  const quiet1 = { admission: 0, handOff: 0 };
  const byMethod = {};
  for (const [method, perObject] of Object.entries(calls)) {
    if (method.startsWith("EDGE_CACHE.") || method.startsWith("ACCESS_LOG.")) continue;
    const kind = method === "CONTAINER.afterResponses" ? "handOff" : "admission";
    for (const [name, n] of Object.entries(perObject)) {
      calls1[kind] += n;
      byMethod[method] = (byMethod[method] ?? 0) + n;
      if (quietNames.has(name) || method.startsWith("ROUTES.")) quiet1[kind] += n;
    }
  }
  const pageViews = run.samples.get("loader")?.length ?? 0;
  return {
    p50: new Map([...run.samples].map(([name, list]) => [name, median(list)])),
    failures: run.failures,
    byMethod,
    per1000Hits: { admission: (calls1.admission / windowHits) * 1000, handOff: (calls1.handOff / windowHits) * 1000 },
    perPageView: { admission: quiet1.admission / pageViews, handOff: quiet1.handOff / pageViews },
    pageViews,
    windowHits,
    counted,
    received: run.origin.edgeHits,
  };
}

/**
 * The same mix against two edges at once, one at 0 ms and one at `rtt`: both see the same
 * moments of this machine, so what other processes do cancels out of the difference. `swap`
 * starts the far one first (the caller runs both orders: which process started first is
 * then no part of the difference either). Returns [near, far].
 */
async function measureMixes(scriptPath, persistRoot, rtt, kvMs, swap) {
  const distances = swap ? [[rtt, kvMs], [0, 0]] : [[0, 0], [rtt, kvMs]];
  const runs = [];
  for (const [doMs, kv] of distances) runs.push(await mixEdge(scriptPath, persistRoot, doMs, kv));
  if (swap) runs.reverse();
  try {
    const all = (work) => Promise.all(runs.map(work));
    await all((run) => runMix(run.edge.port, run.quiet, run.busy, 5, run.record));
    await all((run) => benchCalls(run.edge, true));
    const hitsFrom = runs.map((run) => run.origin.edgeHits);
    for (const run of runs) run.recording = true;
    await all((run) => runMix(run.edge.port, run.quiet, run.busy, Number(values["mix-seconds"]), run.record));
    for (const run of runs) run.recording = false;
    const calls = await all((run) => benchCalls(run.edge));
    const windowHits = runs.map((run, i) => run.origin.edgeHits - hitsFrom[i]);
    await sleep(LEASES_END_MS);
    return await Promise.all(runs.map((run, i) => mixResult(run, calls[i], windowHits[i])));
  } finally {
    await Promise.all(runs.map((run) => run.stop()));
  }
}

// --- report --------------------------------------------------------------------------------

const rows = [];
function figure(name, value, target, met) {
  rows.push({ name, value, target, verdict: met === undefined ? "" : met ? "met" : "NOT MET" });
  console.log(`  ${name}: ${value}${target ? `  (target ${target})` : ""}`);
}

function printTable() {
  const widths = [0, 0, 0];
  for (const row of rows) {
    widths[0] = Math.max(widths[0], row.name.length);
    widths[1] = Math.max(widths[1], row.value.length);
    widths[2] = Math.max(widths[2], row.target.length);
  }
  console.log("\n" + ["figure".padEnd(widths[0]), "measured".padEnd(widths[1]), "target".padEnd(widths[2]), "verdict"].join(" | "));
  console.log(widths.map((w) => "-".repeat(w)).join("-|-") + "-|--------");
  for (const row of rows) {
    console.log([row.name.padEnd(widths[0]), row.value.padEnd(widths[1]), row.target.padEnd(widths[2]), row.verdict].join(" | "));
  }
}

// --- sections ------------------------------------------------------------------------------

/**
 * What the number of configured containers costs one container's hits: an edge holding only
 * that container against an edge that holds it and N more, measured in turn. Twice: right
 * after the N pushes (their objects still alive in that process: locally the objects share
 * the Worker's isolate and heap, which production never does), and after a restart on the
 * same storage (N containers configured, their objects not loaded: what production's Worker
 * isolate sees). Objects' SQLite on tmpfs (/dev/shm) on both: pushing 100,000 configs onto
 * disk, each object its own synced file, takes hours here.
 */
async function scale(scriptPath, originUrl) {
  const alonePersist = mkdtempSync(join(SHM, "qaxal-alone-"));
  const manyPersist = mkdtempSync(join(SHM, "qaxal-many-"));
  const alone = await startEdge(scriptPath, alonePersist);
  let many = await startEdge(scriptPath, manyPersist);
  try {
    const one = benchConfig(originUrl, 1);
    await push(alone, one);
    await push(many, one);
    const path = `/g/collect?${HIT_QUERY}`;
    const host = site(one).primary_host;
    const n = Number(values.containers);
    console.log(`\nscale: one container's plain hits, alone against with ${n} more containers; objects' SQLite on tmpfs`);
    const started = Date.now();
    await pushMany(many, Array.from({ length: n }, (_, i) => benchConfig(originUrl, 1_000_000 + i)), 32);
    console.log(`  pushed ${n} configs in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    const [aloneWarm, warm] = await throughputs([alone, many], host, path);
    await many.stop();
    many = await startEdge(scriptPath, manyPersist);
    await hit(many.port, path, { host });
    const [aloneAgain, restarted] = await throughputs([alone, many], host, path);
    const cost = (run, base) => 1 - pairedRatio(run, base);
    const percent = (value) => `${(value * 100).toFixed(1)}%`;
    figure(`  + ${n} containers, their objects alive in the process`,
      `cost ${percent(cost(warm, aloneWarm))} (${warm.rounds} vs ${aloneWarm.rounds} req/s alone)`, "local artifact");
    figure(`throughput cost of ${n} more containers (after a restart; median of rounds)`,
      `${percent(cost(restarted, aloneAgain))} (${restarted.rounds} vs ${aloneAgain.rounds} req/s alone)`,
      "<= 5% (at 100,000)", cost(restarted, aloneAgain) <= 0.05);
  } finally {
    await Promise.all([alone.stop(), many.stop()]);
    rmSync(alonePersist, { recursive: true, force: true });
    rmSync(manyPersist, { recursive: true, force: true });
  }
}

/**
 * One container's plain hits against the pass-through Worker, rounds in turn. The objects'
 * SQLite on tmpfs, as in the scale run: here the objects run on the Worker's own thread, and
 * the disk sync of their writes (on Cloudflare, another machine's) would stall it.
 */
async function throughputVsFloor(originUrl, origin, scriptPath) {
  const persistTo = mkdtempSync(join(SHM, "qaxal-throughput-"));
  const edge = await startEdge(scriptPath, persistTo);
  const floor = await startFloor(originUrl);
  try {
    const one = benchConfig(originUrl, 1);
    await push(edge, one);
    const path = `/g/collect?${HIT_QUERY}`;
    const host = site(one).primary_host;
    const pinning = PINNING ? `; each runtime on core ${RUNTIME_CORE}, wrk and the origin on ${LOAD_CORES}` : "";
    console.log(`\nthroughput: wrk, ${ROUNDS} rounds of ${SECONDS} s x ${CONNECTIONS} connections, one container's plain hits${pinning}`);
    const received = origin.edgeHits;
    await benchCalls(edge, true);
    const [floorRun, edgeRun] = await throughputs([floor, edge], host, path);
    const ratio = pairedRatio(edgeRun, floorRun);
    figure("pass-through Worker", `${floorRun.rps.toFixed(0)} req/s (${floorRun.rounds}), ${floorRun.errors} errors`, "");
    figure("edge, plain hits, 1 container", `${edgeRun.rps.toFixed(0)} req/s (${edgeRun.rounds}), ${edgeRun.errors} errors`, "");
    figure("throughput edge / pass-through (median of rounds)", `${ratio.toFixed(2)}x`, ">= 0.85x (aim 0.9x)", ratio >= 0.85);
    if (edgeRun.cpuUsPerRequest !== null) {
      figure("CPU per request, edge / pass-through (the runtime process, median of rounds)",
        `${edgeRun.cpuUsPerRequest.toFixed(0)} / ${floorRun.cpuUsPerRequest.toFixed(0)} us`, "printed");
    }
    await sleep(LEASES_END_MS);
    const counted = await monthRequests(edge, one);
    const hits = origin.edgeHits - received;
    const points = (await benchCalls(edge))["ACCESS_LOG.writeDataPoint"]?.[""] ?? 0;
    figure("usage after the throughput run", `object ${counted}, origin ${hits}`, "equal", counted === hits);
    figure("Analytics Engine points after the throughput run", `${points} for ${counted} requests`, "equal", points === counted);
  } finally {
    await Promise.all([edge.stop(), floor.stop()]);
    rmSync(persistTo, { recursive: true, force: true });
  }
}

async function latency(scriptPath, persistRoot) {
  const rtt = Number(values["do-rtt"]);
  const kvMs = Number(values["kv-ms"]);
  console.log(`\nlatency: ${values.quiet} quiet containers at ~1 page view/s, one busy at ${values["busy-rps"]} hits/s,` +
    ` ${values["mix-seconds"]} s after 5 s warm-up, against two edges at once: 0 ms, and ${rtt} ms Worker -> object with ${kvMs} ms KV`);
  const rounds = [await measureMixes(scriptPath, persistRoot, rtt, kvMs, false), await measureMixes(scriptPath, persistRoot, rtt, kvMs, true)];
  const mean = (pick) => rounds.reduce((sum, round) => sum + pick(round), 0) / rounds.length;
  for (const name of ["loader", "GTM script", "recovered hit", "plain hit", "critical path loader -> GTM", "busy plain hit"]) {
    const near = mean(([n]) => n.p50.get(name));
    const far = mean(([, f]) => f.p50.get(name));
    const limit = name.startsWith("critical") ? 5 : 2;
    figure(`added p50 at ${rtt} ms RTT: ${name}`, `${(far - near).toFixed(2)} ms (${near.toFixed(2)} -> ${far.toFixed(2)})`,
      `<= ${limit} ms`, far - near <= limit);
  }
  for (const [i, [near, far]] of rounds.entries()) {
    for (const [label, run] of [["0 ms", near], [`${rtt} ms`, far]]) {
      figure(`round ${i + 1}, ${label}: failed requests / usage`, `${run.failures}; objects ${run.counted}, origin ${run.received}`,
        "0; equal", run.failures === 0 && run.counted === run.received);
    }
  }
  const far = rounds[1][1];
  const both = (c) => `admission ${c.admission.toFixed(2)}, log hand-off ${c.handOff.toFixed(2)}`;
  figure(`Durable Object calls per 1,000 hits (mix, ${rtt} ms)`, both(far.per1000Hits), "printed");
  figure(`Durable Object calls per page view (quiet containers, ${rtt} ms)`, both(far.perPageView), "printed");
  console.log(`  calls by method at ${rtt} ms over ${far.windowHits} hits, ${far.pageViews} page views: ${JSON.stringify(far.byMethod)}`);
}

async function exactness(scriptPath, persistRoot, originUrl, origin) {
  const persistTo = mkdtempSync(join(persistRoot, "limit-"));
  const edge = await startEdge(scriptPath, persistTo, { rtt: Number(values["do-rtt"]) });
  try {
    const limited = benchConfig(originUrl, 7, { monthly_request_limit: 10, auto_upgrade: false });
    await push(edge, limited);
    const received = origin.edgeHits;
    const host = site(limited).primary_host;
    const results = await Promise.all(Array.from({ length: 20 }, () => hit(edge.port, `/g/collect?${HIT_QUERY}`, { host })));
    const ok = results.filter((r) => r.status === 200).length;
    const refused = results.filter((r) => r.status === 402).length;
    const counted = await monthRequests(edge, limited);
    console.log("\nexactness");
    figure("20 concurrent requests, limit 10", `${ok} x 200, ${refused} x 402; object ${counted}, origin ${origin.edgeHits - received}`,
      "10 x 200, 10 x 402, 10, 10", ok === 10 && refused === 10 && counted === 10 && origin.edgeHits - received === 10);
  } finally {
    await edge.stop();
    rmSync(persistTo, { recursive: true, force: true });
  }
}

async function main() {
  const origin = await startOrigin();
  const originUrl = `http://127.0.0.1:${origin.address().port}`;
  const dataDir = mkdtempSync(join(tmpdir(), "qaxal-bench-"));
  const persistRoot = values["persist-to"] ?? dataDir;
  try {
    const scriptPath = bundleEdge(join(dataDir, "build"));
    console.log(`bare workerd (Miniflare); objects' SQLite under ${persistRoot}; ADMISSION_LEASE_MIN_RPS=${values["lease-min-rps"]}`);
    if (ONLY.has("throughput")) await throughputVsFloor(originUrl, origin, scriptPath);
    if (ONLY.has("scale")) await scale(scriptPath, originUrl);
    if (ONLY.has("latency")) await latency(scriptPath, persistRoot);
    if (ONLY.has("exactness")) await exactness(scriptPath, persistRoot, originUrl, origin);
    printTable();
  } finally {
    agent.destroy();
    origin.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
