/** Cached routes are hints: the object re-checks ownership, so a stale entry never misroutes. */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { forgetRoutes, NEGATIVE_TTL_MS } from "../../src/pipeline/route-cache";
import { parseEdgeConfig } from "../../src/shared/edge-config";
import { makeConfig, ORIGIN } from "../support/config";
import { admin, edgeFetch, pushConfig, usageOf } from "../support/edge";
import { echoOrigin as echo, mockOutbound } from "../support/outbound";

afterEach(() => vi.restoreAllMocks());

describe("stale KV entries", () => {
  it("a stale entry left after delete never routes to the deleted container", async () => {
    const config = makeConfig("stalekv");
    const outbound = mockOutbound({ [ORIGIN]: echo, "https://control.test": () => Response.json(config) });
    await pushConfig(config);
    await admin(`containers/${config.container_id}`, { method: "DELETE" });
    await env.EDGE_CACHE.put(
      "route:host:www.stalekv.test",
      JSON.stringify({ key: "host:www.stalekv.test", container_id: config.container_id }),
    );
    const response = await edgeFetch("https://www.stalekv.test/g/collect");
    expect(response.status).toBe(404);
    expect(outbound.requests).toHaveLength(0);
  });

  it("a host moved to another container routes to its new owner", async () => {
    const first = makeConfig("mover");
    mockOutbound({ [ORIGIN]: echo });
    await pushConfig(first);
    await edgeFetch("https://data.mover.test/a");
    await pushConfig({ ...first, config_version: 2, sites: [{ ...first.sites[0]!, tracked_domains: [] }] });
    const second = makeConfig("mover2");
    second.sites[0]!.tracked_domains = ["data.mover.test"];
    await pushConfig(second);
    await env.EDGE_CACHE.put(
      "route:host:data.mover.test",
      JSON.stringify({ key: "host:data.mover.test", container_id: first.container_id }),
    );
    expect((await edgeFetch("https://data.mover.test/a")).status).toBe(200);
    expect(await usageOf(second.container_id)).toBe(1);
    expect(await usageOf(first.container_id)).toBe(1);
  });
});

/** Counts the routing index's objects the Worker reaches, by shard name. */
function countIndexCalls() {
  const idFromName = env.ROUTES.idFromName.bind(env.ROUTES);
  const calls: string[] = [];
  vi.spyOn(env.ROUTES, "idFromName").mockImplementation((name: string) => {
    calls.push(name);
    return idFromName(name);
  });
  return calls;
}

describe("unknown keys", () => {
  it("a flood of unknown hosts costs one index call per key per TTL, spread over shards; KV remembers them for other isolates", async () => {
    mockOutbound({});
    // Fewer than the 20 KV writes a second an isolate allows, with room for the other tests' unknown keys.
    const hosts = Array.from({ length: 16 }, (_, i) => `flood-${i}.unknown.test`);
    const calls = countIndexCalls();
    for (let round = 0; round < 3; round++) {
      for (const host of hosts) expect((await edgeFetch(`https://${host}/g/collect`)).status).toBe(404);
    }
    expect(calls).toHaveLength(hosts.length);
    expect(new Set(calls).size).toBeGreaterThan(4);
    // Another isolate (this one with its memory gone): KV answers, no index call.
    forgetRoutes(hosts.map((host) => `host:${host}` as const));
    await vi.waitFor(async () => expect(await env.EDGE_CACHE.get(`route:host:${hosts[15]}`)).not.toBeNull(), { timeout: 5_000 });
    for (const host of hosts) expect((await edgeFetch(`https://${host}/g/collect`)).status).toBe(404);
    expect(calls).toHaveLength(hosts.length);
  });

  it("a newly claimed key routes at once where the claim went through, and within the TTL elsewhere", async () => {
    const config = makeConfig("claimed-late");
    const outbound = mockOutbound({ [ORIGIN]: echo });
    const host = config.sites[0]!.primary_host;
    expect((await edgeFetch(`https://${host}/a`)).status).toBe(404);
    // Positive control: the claim through this isolate routes at once, over both negative caches.
    await pushConfig(config);
    expect((await edgeFetch(`https://${host}/a`)).status).toBe(200);

    const other = makeConfig("claimed-elsewhere");
    const otherHost = other.sites[0]!.primary_host;
    expect((await edgeFetch(`https://${otherHost}/a`)).status).toBe(404);
    // Claimed through another isolate (straight on the object): this one keeps its negative entry...
    const { config: parsed } = parseEdgeConfig(other) as { config: Parameters<typeof applyElsewhere>[0] };
    await applyElsewhere(parsed);
    expect((await edgeFetch(`https://${otherHost}/a`)).status).toBe(404);
    // ...for NEGATIVE_TTL_MS at most; KV was overwritten by the claim.
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + NEGATIVE_TTL_MS + 1 });
    try {
      expect((await edgeFetch(`https://${otherHost}/a`)).status).toBe(200);
    } finally {
      vi.useRealTimers();
    }
    expect(outbound.requests).toHaveLength(2);
  });
});

function applyElsewhere(config: Parameters<ReturnType<typeof env.CONTAINER.get>["applyConfig"]>[0]) {
  return env.CONTAINER.get(env.CONTAINER.idFromName(config.container_id)).applyConfig(config);
}
