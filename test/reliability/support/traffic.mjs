// Closed-loop traffic for the reliability tests: `concurrency` loops, each sending its next
// request as soon as the last one ended (so the rate is the highest the machine holds), and
// what a run needs to check it: per-container tallies on both sides, versions seen, latency
// percentiles.
import http from "node:http";
import { send, sleep, versionOfSecret, versionOfSetCookie } from "./edge.mjs";

/** Query string of a GA4-like hit with analytics consent granted (the cookie keeper re-issues FPID). */
export const hitQuery = (rid) => `v=2&tid=G-REL&gcs=G111&en=page_view&rid=${rid}`;

/**
 * Starts the loops; `next()` gives each request `{ host, path, headers?, ... }` (kept with its
 * result), `onResult(request, result)` takes each answer. `stop()` waits for the loops.
 */
export function startTraffic({ edgeUrl, concurrency, next, onResult }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  let running = true;
  const loops = Array.from({ length: concurrency }, async () => {
    while (running) {
      const request = next();
      const result = await send(edgeUrl, { ...request, agent });
      onResult(request, result);
      // A refused connection (the edge restarting) answers at once: do not spin.
      if (result.status === 0) await sleep(20);
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      agent.destroy();
    },
  };
}

/**
 * Which config version each request saw at the origin (its X-Origin-Auth secret) and in its
 * response (the cookie lifetime), by request id: a request with two versions mixed them.
 */
export function versionsSeen() {
  const atOrigin = new Map();
  const inResponse = new Map();
  return {
    onHit(hit) {
      const rid = new URLSearchParams(hit.query).get("rid");
      if (rid) atOrigin.set(rid, versionOfSecret(hit.headers["x-origin-auth"]));
    },
    onResponse(rid, result) {
      const version = versionOfSetCookie(result.headers?.["set-cookie"]);
      if (version) inResponse.set(rid, version);
    },
    /** `{ compared, mixed, examples }` over requests seen on both sides. */
    check() {
      let compared = 0;
      const mixed = [];
      for (const [rid, version] of inResponse) {
        if (!atOrigin.has(rid)) continue;
        compared++;
        if (atOrigin.get(rid) !== version) mixed.push(`${rid}: origin v${atOrigin.get(rid)}, response v${version}`);
      }
      return { compared, mixed: mixed.length, examples: mixed.slice(0, 5) };
    },
  };
}

/** Counts per key. */
export function tally() {
  const counts = new Map();
  return {
    add: (key, by = 1) => counts.set(key, (counts.get(key) ?? 0) + by),
    get: (key) => counts.get(key) ?? 0,
    entries: () => [...counts.entries()],
    total: () => [...counts.values()].reduce((sum, n) => sum + n, 0),
  };
}

/** p50/p90/p99/max of `values` (ms). */
export function percentiles(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : 0;
  return { count: sorted.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted.at(-1) ?? 0 };
}
