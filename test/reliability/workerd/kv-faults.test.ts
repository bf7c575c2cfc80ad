/**
 * KV (EDGE_CACHE) failing on every call, as a binding fault: throwing, or answering only after
 * seconds. KV only holds hints (src/bindings/kv-cache.ts); the routes index and the objects are
 * the authority, so requests of a container no isolate has seen are still served, counted
 * once each, and a push still lands.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { makeConfig, ORIGIN } from "../../support/config";
import { edgeFetch, pushConfig, usageOf } from "../../support/edge";
import { echoOrigin, mockOutbound } from "../../support/outbound";
import { reportRow } from "./matrix";

afterEach(() => vi.restoreAllMocks());

const KV_METHODS = ["get", "getWithMetadata", "put", "delete", "list"] as const;
const REQUESTS = 20;
/** A slow KV answers each call after this long. */
const SLOW_KV_MS = 5_000;
/** A request may take this long when KV is slow: well under one slow KV call. */
const SERVED_WITHIN_MS = 2_500;

function failKv(fault: (real: (...args: unknown[]) => unknown, args: unknown[]) => unknown) {
  const kv = env.EDGE_CACHE as unknown as Record<string, (...args: unknown[]) => unknown>;
  const calls = { count: 0 };
  for (const method of KV_METHODS) {
    const real = kv[method]!.bind(kv);
    vi.spyOn(kv, method).mockImplementation((...args: unknown[]) => {
      calls.count++;
      return fault(real, args);
    });
  }
  return calls;
}

const throwing = () => Promise.reject(new Error("KV unavailable (injected)"));
const slow = (real: (...args: unknown[]) => unknown, args: unknown[]) =>
  new Promise((resolve) => setTimeout(resolve, SLOW_KV_MS)).then(() => real(...args));

/** Pushes a fresh container and sends REQUESTS hits over its hosts, none of which this isolate has seen. */
async function serveThrough(name: string) {
  const config = makeConfig(name);
  const outbound = mockOutbound({ [ORIGIN]: echoOrigin });
  const pushStarted = Date.now();
  const pushed = await pushConfig(config);
  const pushMs = Date.now() - pushStarted;
  expect(pushed.status).toBe(200);
  const hosts = [`www.${name}.test`, `data.${name}.test`, `${name}.edge.test`];
  let served = 0;
  let slowest = 0;
  for (let i = 0; i < REQUESTS; i++) {
    const started = Date.now();
    const response = await edgeFetch(`https://${hosts[i % hosts.length]}/g/collect?v=2&en=page_view&n=${i}`);
    slowest = Math.max(slowest, Date.now() - started);
    if (response.status === 200) served++;
    await response.body?.cancel();
  }
  const originHits = outbound.requests.filter((request) => request.url.startsWith(ORIGIN)).length;
  return { config, served, slowest, pushMs, originHits };
}

describe("KV failing on every call", () => {
  it("throwing: every request is served from the index and the object, counted once", async () => {
    const calls = failKv(throwing);
    const run = await serveThrough("kvthrow");
    expect(calls.count).toBeGreaterThan(0);
    expect(run.served).toBe(REQUESTS);
    expect(run.originHits).toBe(REQUESTS);
    vi.restoreAllMocks();
    expect(await usageOf(run.config.container_id)).toBe(REQUESTS);
    reportRow({
      id: "kv-throwing",
      fault: "KV throwing on every call",
      client: "200, from the routes index and the object",
      served: run.served,
      lost: REQUESTS - run.served,
      recovered: "n/a (never stopped)",
      detail: `${calls.count} KV calls failed; usage ${REQUESTS} = origin hits ${run.originHits}; slowest ${run.slowest} ms`,
    });
  });

  it(`slow (${SLOW_KV_MS / 1000} s per call): every request is served within ${SERVED_WITHIN_MS} ms, the push too`, async () => {
    const calls = failKv(slow);
    const run = await serveThrough("kvslow");
    expect(calls.count).toBeGreaterThan(0);
    expect(run.served).toBe(REQUESTS);
    expect(run.originHits).toBe(REQUESTS);
    expect(run.slowest).toBeLessThan(SERVED_WITHIN_MS);
    expect(run.pushMs).toBeLessThan(SERVED_WITHIN_MS);
    vi.restoreAllMocks();
    expect(await usageOf(run.config.container_id)).toBe(REQUESTS);
    reportRow({
      id: "kv-slow",
      fault: `KV answering every call after ${SLOW_KV_MS / 1000} s`,
      client: "200, without waiting for KV past its bound",
      served: run.served,
      lost: REQUESTS - run.served,
      recovered: "n/a (never stopped)",
      detail: `slowest request ${run.slowest} ms, push ${run.pushMs} ms; usage ${REQUESTS} = origin hits ${run.originHits}`,
    });
  });
});
