// A bounded soak on loopback: `wrangler dev` with 50 containers under closed-loop traffic (as
// fast as the machine answers) for $RELIABILITY_SOAK_SECONDS (12 s in `npm test`, 60 s with
// `npm run test:reliability -- --soak 60`): loader requests, recovered hits (/k/) and plain hits,
// while config pushes, pauses and resumes go on. No faults are injected, so: no 5xx at all, no
// answer the mix does not explain (402 only while that container was paused), usage of every
// container equal to the requests its origin received, a log line for every answer, no request
// mixing two config versions, and memory flat: the isolate heap and workerd's resident memory
// at start and end, printed with the latency percentiles.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startSgtmStandin } from "../../scripts/dev/standins/sgtm.mjs";
import { containerConfig, edgeAdmin, hostOf, sleep, startEdge, until } from "./support/edge.mjs";
import { openHeapProbe, workerdMemory } from "./support/memory.mjs";
import { reportRow } from "./support/rows.mjs";
import { hitQuery, percentiles, startTraffic, tally, versionsSeen } from "./support/traffic.mjs";

const SECONDS = Number(process.env.RELIABILITY_SOAK_SECONDS ?? 12);
const CONTAINERS = 50;
const CONCURRENCY = 32;
/** One config change every this often: a push of the next version, or a pause resumed a second later. */
const CHANGE_EVERY_MS = 300;
const PAUSE_MS = 1_000;
/** A 402 this long after the resume answered is still the pause's (a request admitted before it). */
const PAUSE_GRACE_MS = 500;
/** Memory is read this often; the heap's low points (after its collections) are compared. */
const SAMPLE_EVERY_MS = 1_000;
/** "Flat": the heap's low point in the last third of the run within this much of the first third's. */
const HEAP_GROWTH_LIMIT = 24 * 1024 * 1024;

const MB = (bytes) => (bytes === null ? "n/a" : `${(bytes / 1024 / 1024).toFixed(1)} MB`);
const base64url = (text) => Buffer.from(text).toString("base64url");

/** The kinds of the mix, by share; each builds its request for container `n`, request id `rid`. */
const MIX = [
  { kind: "loader", share: 0.2, expect: 200, request: (config) => ({ path: `/l/${config.loader_token}.js` }) },
  { kind: "recovered", share: 0.4, expect: 204, request: (config, rid) => ({ path: `/k/${config.sites[0].container_token}?p=${base64url(`/g/collect?${hitQuery(rid)}`)}` }) },
  { kind: "plain", share: 0.4, expect: 204, request: (_config, rid) => ({ path: `/g/collect?${hitQuery(rid)}` }) },
];

describe(`soak: ${CONTAINERS} containers, ${SECONDS} s`, () => {
  const originHits = tally();
  const versions = versionsSeen();
  let sgtm;
  let edge;
  let heap;

  before(async () => {
    sgtm = await startSgtmStandin({
      onHit: (hit) => {
        originHits.add(hit.headers["x-forwarded-host"]);
        versions.onHit(hit);
      },
    });
    edge = await startEdge();
    heap = await openHeapProbe(edge.inspectorPort);
  });
  after(async () => {
    heap?.close();
    await edge?.stop();
    await sgtm?.close();
  });

  it("keeps serving, loses nothing, counts exactly, memory flat", async () => {
    const admin = edgeAdmin(edge.url);
    const current = new Map();
    for (let n = 1; n <= CONTAINERS; n++) {
      current.set(n, containerConfig(n, { origin: sgtm.url }));
      assert.equal((await admin.put(current.get(n))).status, 200);
    }
    const answered = tally();
    const statuses = tally();
    const unexplained = [];
    const latency = new Map(MIX.map((m) => [m.kind, []]));
    const pauses = new Map();
    let rid = 0;
    let measuring = false;
    const pick = () => {
      const n = 1 + Math.floor(Math.random() * CONTAINERS);
      const roll = Math.random();
      let at = 0;
      const mix = MIX.find((m) => (at += m.share) > roll) ?? MIX.at(-1);
      const id = `s${++rid}`;
      return { n, rid: id, mix, host: hostOf(n), headers: { cookie: "FPID=FPID2.2.soak" }, ...mix.request(current.get(n), id) };
    };
    const paused = (n, at) => (pauses.get(n) ?? []).some(([from, to]) => at >= from && at <= (to ?? Infinity) + PAUSE_GRACE_MS);
    const traffic = startTraffic({
      edgeUrl: edge.url,
      concurrency: CONCURRENCY,
      next: pick,
      onResult: (request, result) => {
        const key = result.error ? `error ${result.error}` : result.status;
        statuses.add(key);
        if (!result.error) answered.add(request.n);
        if (measuring) latency.get(request.mix.kind).push(result.ms);
        versions.onResponse(request.rid, result);
        const explained = result.status === request.mix.expect || (result.status === 402 && paused(request.n, Date.now()));
        if (!explained || result.error) unexplained.push(`${request.mix.kind} c${request.n}: ${key} ${result.body?.slice(0, 80) ?? ""}`);
      },
    });

    await sleep(2_000);
    const sample = async () => ({ heap: heap ? await heap.heapBytes() : null, ...workerdMemory(edge.pid) });
    const start = await sample();
    const samples = [start];
    measuring = true;
    const startedAt = Date.now();
    const counted = { pushes: 0, pauses: 0 };
    const changes = (async () => {
      while (Date.now() - startedAt < SECONDS * 1000) {
        const n = 1 + Math.floor(Math.random() * CONTAINERS);
        const id = current.get(n).container_id;
        if (Math.random() < 0.7 || pauses.get(n)?.at(-1)?.[1] === null) {
          const next = containerConfig(n, { origin: sgtm.url, version: current.get(n).config_version + 1 });
          assert.equal((await admin.put(next)).status, 200);
          current.set(n, next);
          counted.pushes++;
        } else {
          const window = [Date.now(), null];
          pauses.set(n, [...(pauses.get(n) ?? []), window]);
          assert.equal((await admin.pause(id, "soak")).status, 200);
          counted.pauses++;
          setTimeout(async () => {
            assert.equal((await admin.resume(id)).status, 200);
            window[1] = Date.now();
          }, PAUSE_MS);
        }
        await sleep(CHANGE_EVERY_MS);
      }
    })();
    const sampling = (async () => {
      while (Date.now() - startedAt < SECONDS * 1000) {
        await sleep(SAMPLE_EVERY_MS);
        samples.push(await sample());
      }
    })();
    await Promise.all([changes, sampling]);
    const seconds = (Date.now() - startedAt) / 1000;
    measuring = false;
    await traffic.stop();
    await until("every pause resumed", async () => [...pauses.values()].flat().every(([, to]) => to !== null));
    const end = await sample();
    samples.push(end);

    const rows = [];
    for (let n = 1; n <= CONTAINERS; n++) {
      const id = current.get(n).container_id;
      await until(`log lines of c${n}`, async () => {
        const { logs } = (await admin.get(id)).body;
        return logs.buffered + logs.flushed >= answered.get(n);
      }, { timeoutMs: 5_000 }).catch(() => undefined);
      const state = (await admin.get(id)).body;
      rows.push({ n, usage: state.usage.month_requests, hits: originHits.get(hostOf(n)), answered: answered.get(n), lines: state.logs.buffered + state.logs.flushed, version: state.config_version, expected: current.get(n).config_version });
    }
    const total = (field) => rows.reduce((sum, row) => sum + row[field], 0);
    const requests = statuses.total();
    const fivexx = statuses.entries().filter(([status]) => Number(status) >= 500).reduce((sum, [, k]) => sum + k, 0);
    const seen = versions.check();
    const lat = Object.fromEntries([...latency].map(([kind, values]) => [kind, percentiles(values)]));
    const summary = {
      seconds: Number(seconds.toFixed(1)), requests, rate: Math.round(requests / (seconds + 2)), statuses: Object.fromEntries(statuses.entries()),
      pushes: counted.pushes, pauses: counted.pauses, usage: total("usage"), origin_hits: total("hits"), answered: total("answered"), log_lines: total("lines"),
      versions_checked: seen.compared, mixed: seen.mixed,
      memory: {
        isolate_heap: samples.map((s) => MB(s.heap)),
        runtime_rss: samples.map((s) => MB(s.runtime)),
        wrangler_proxy_rss: samples.map((s) => MB(s.proxy)),
      },
      latency_ms: lat,
    };
    console.log(`soak summary ${JSON.stringify(summary, null, 2)}`);

    assert.equal(fivexx, 0, "no 5xx without a fault");
    assert.deepEqual(unexplained.slice(0, 10), [], `${unexplained.length} answers the mix does not explain`);
    assert.equal(seen.mixed, 0, seen.examples.join("; "));
    for (const row of rows) {
      assert.equal(row.usage, row.hits, `c${row.n}: usage ${row.usage} = origin hits ${row.hits}`);
      assert.equal(row.lines, row.answered, `c${row.n}: a log line per answer`);
      assert.equal(row.version, row.expected, `c${row.n}: the last pushed version`);
    }
    assert.ok(samples.every((s) => s.runtimePid === start.runtimePid), "wrangler dev reloaded the Worker mid-run (a file it watches changed): run again");
    const third = Math.max(1, Math.floor(samples.length / 3));
    const low = (part) => Math.min(...part.map((s) => s.heap));
    const heapLow = start.heap === null ? null : { first: low(samples.slice(0, third)), last: low(samples.slice(-third)) };
    if (heapLow) assert.ok(heapLow.last - heapLow.first < HEAP_GROWTH_LIMIT, `isolate heap low point ${MB(heapLow.first)} -> ${MB(heapLow.last)}`);
    const fmt = (p) => `p50 ${p.p50} / p90 ${p.p90} / p99 ${p.p99} / max ${p.max} ms`;
    reportRow({
      id: "soak",
      fault: `soak: ${CONTAINERS} containers, ${seconds.toFixed(0)} s, ${CONCURRENCY} connections; ${counted.pushes} pushes, ${counted.pauses} pauses + resumes`,
      client: `${requests} requests at ${summary.rate} req/s; 5xx ${fivexx}; 402 ${statuses.get(402)} (all while paused)`,
      served: requests,
      lost: total("answered") - total("lines"),
      recovered: "n/a (no fault)",
      detail: `usage ${summary.usage} = origin hits ${summary.origin_hits} (each of ${CONTAINERS} containers exact); ${seen.compared} checked, ${seen.mixed} mixing versions; ` +
        `isolate heap ${MB(start.heap)} -> ${MB(end.heap)} (low point ${MB(heapLow?.first ?? null)} -> ${MB(heapLow?.last ?? null)}), ` +
        `runtime RSS ${MB(start.runtime)} -> ${MB(end.runtime)}, wrangler proxy RSS ${MB(start.proxy)} -> ${MB(end.proxy)}; ` +
        MIX.map((m) => `${m.kind} ${fmt(lat[m.kind])}`).join("; "),
    });
  });
});
