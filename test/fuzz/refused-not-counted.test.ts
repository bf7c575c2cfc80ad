/**
 * "No count for a refused request" (edge contract section 8) through the real Worker:
 * random `/k/` requests (payloads valid, near-valid and hostile; own, foreign, unknown
 * and malformed tokens; own, foreign and unknown hosts; every method) against two
 * containers. After each request, each container's usage has grown by exactly the
 * number of requests that reached its origin, and a refused request reached none.
 */
import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, vi } from "vitest";
import { RECOVERY_PATHS, encodeRecoveryParam } from "../../src/modules/recovery-path";
import worker from "../../src/worker";
import { ADMIN_TOKEN, makeConfig } from "../support/config";
import { mockOutbound, type Outbound } from "../support/outbound";
import { aroundValid, hostileString, nearValid } from "./arbitraries";
import { INTEGRATION_RUNS, fuzzAsync } from "./runs";

/**
 * The Worker's own handler with the test's bindings, its waitUntil work awaited. Not
 * `exports.default.fetch` (test/support/edge.ts): in vitest-pool-workers each of those
 * self-calls leaves the next slower (a health check goes from 7 ms to 90 ms over 600
 * calls), which made 300 runs take 14 minutes; the handler called directly stays flat.
 */
async function workerFetch(url: string, init?: RequestInit): Promise<{ status: number; body: string }> {
  const ctx = createExecutionContext();
  // Strict admission: a lease's end (10 s, in the granting request's waitUntil) would hold every awaited context.
  const response = await worker.fetch(new Request(url, init) as Parameters<typeof worker.fetch>[0], { ...env, ADMISSION_LEASE_MIN_RPS: "off" }, ctx);
  const body = await response.text();
  await waitOnExecutionContext(ctx);
  return { status: response.status, body };
}

const adminFetch = (path: string, init: RequestInit = {}) =>
  workerFetch(`https://admin.edge.test/_edge/admin/${path}`, {
    ...init,
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, "Content-Type": "application/json" },
  });

async function usageOf(containerId: string): Promise<number> {
  const { status, body } = await adminFetch(`containers/${containerId}`);
  expect(status).toBe(200);
  return (JSON.parse(body) as { usage: { month_requests: number } }).usage.month_requests;
}

const ORIGIN_A = "https://sgtm-a.origin.test";
const ORIGIN_B = "https://sgtm-b.origin.test";
const a = makeConfig("fuzzcounta", { origin: ORIGIN_A });
const b = makeConfig("fuzzcountb", { origin: ORIGIN_B });

const query = fc.oneof(
  fc.constant(""),
  fc.array(fc.tuple(fc.stringMatching(/^[a-z_]{1,6}$/), fc.string({ maxLength: 20 })), { maxLength: 5 }).map((pairs) => `?${new URLSearchParams(pairs)}`),
  hostileString(40).map((text) => `?${text}`),
);
const payload = fc.tuple(fc.constantFrom(...RECOVERY_PATHS), query).map(([path, q]) => path + q);
const p = fc.oneof(
  { weight: 4, arbitrary: aroundValid(payload, 80, 3).map(encodeRecoveryParam) },
  { weight: 1, arbitrary: nearValid(payload.map(encodeRecoveryParam)) },
  { weight: 1, arbitrary: hostileString(60) },
  { weight: 1, arbitrary: fc.constant(null) },
);
const TOKENS = [a.sites[0]!.container_token, b.sites[0]!.container_token, "ct_nobody_0123456789abcdef", "short", a.loader_token];
const HOSTS = [a.sites[0]!.primary_host, a.sites[0]!.tracked_domains![0]!, a.edge_hostname, b.sites[0]!.primary_host, "unknown.test"];
/** Half the time a token on its own container's host (the only pairs that may be served), else any pair. */
const target = fc.oneof(
  fc.constantFrom([TOKENS[0]!, HOSTS[0]!], [TOKENS[0]!, HOSTS[1]!], [TOKENS[0]!, HOSTS[2]!], [TOKENS[1]!, HOSTS[3]!]),
  fc.tuple(fc.constantFrom(...TOKENS), fc.constantFrom(...HOSTS)),
);
const request = fc.record({
  target,
  method: fc.oneof({ weight: 3, arbitrary: fc.constantFrom("GET", "POST", "HEAD") }, { weight: 1, arbitrary: fc.constantFrom("PUT", "DELETE", "PATCH", "OPTIONS") }),
  p,
  // Percent-encoded into the query, or spliced in raw for the URL parser to make what it will of it (`#`, `&`, `+`, `%`).
  rawQuery: fc.boolean(),
});

/** A URL carries no lone surrogate: what a client can send has U+FFFD there. */
const wellFormed = (text: string) => text.replace(/\p{Surrogate}/gu, "\ufffd");

describe("refused requests are never counted", () => {
  let outbound: Outbound;

  beforeAll(async () => {
    outbound = mockOutbound({
      [ORIGIN_A]: () => new Response("a"),
      [ORIGIN_B]: () => new Response("b"),
    });
    // Each refusal logs its reason; thousands of those lines say nothing here.
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    for (const config of [a, b]) {
      expect((await adminFetch(`containers/${config.container_id}/config`, { method: "PUT", body: JSON.stringify(config) })).status).toBe(200);
    }
  });
  afterAll(() => vi.restoreAllMocks());

  const hits = (origin: string) => outbound.requests.filter((r) => new URL(r.url).origin === origin).length;

  fuzzAsync(
    "the Worker on random /k/ requests: each container's usage grows by exactly the requests that reached its origin; a refused request (400/404/405) reaches none and counts none",
    request,
    async ({ target: [token, host], method, p, rawQuery }) => {
      const before = { a: await usageOf(a.container_id), b: await usageOf(b.container_id), hitsA: hits(ORIGIN_A), hitsB: hits(ORIGIN_B) };
      const param = p === null ? "" : `?p=${rawQuery ? wellFormed(p) : encodeURIComponent(wellFormed(p))}`;
      const url = `https://${host}/k/${encodeURIComponent(token)}${param}`;
      const { status } = await workerFetch(url, { method, body: method === "POST" || method === "PUT" ? "en=page_view" : undefined });
      const reached = { a: hits(ORIGIN_A) - before.hitsA, b: hits(ORIGIN_B) - before.hitsB };
      expect([200, 204, 400, 404, 405]).toContain(status);
      if (status >= 400 || method === "OPTIONS") expect(reached).toEqual({ a: 0, b: 0 });
      else expect(reached.a + reached.b).toBe(1);
      expect(await usageOf(a.container_id)).toBe(before.a + reached.a);
      expect(await usageOf(b.container_id)).toBe(before.b + reached.b);
      return status === 200 ? "accepted" : "refused";
    },
    INTEGRATION_RUNS,
  );
});
