/** Cached routes are hints: the object re-checks ownership, so a stale entry never misroutes. */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
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
