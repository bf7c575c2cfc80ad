/** A cold object finds its config: own storage, KV, then the control plane; never a blind proxy. */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { makeConfig, ORIGIN } from "../support/config";
import { admin, edgeFetch, pushConfig, usageOf } from "../support/edge";
import { echoOrigin as echo, mockOutbound } from "../support/outbound";

afterEach(() => vi.restoreAllMocks());

describe("config fallback chain of a cold object", () => {
  const CONTROL = "https://control.test";

  async function coldContainer(name: string) {
    const config = makeConfig(name);
    const parsed = { ...config, origin: ORIGIN };
    // A host the cache still routes to a container whose object has no config (new location, lost state).
    await env.EDGE_CACHE.put(
      `route:host:www.${name}.test`,
      JSON.stringify({ key: `host:www.${name}.test`, container_id: config.container_id }),
    );
    return parsed;
  }

  it("control plane up: fetches, validates with X-Edge-Auth, applies and serves", async () => {
    const config = await coldContainer("coldup");
    const outbound = mockOutbound({
      [CONTROL]: () => Response.json(config),
      [ORIGIN]: echo,
    });
    const response = await edgeFetch("https://www.coldup.test/g/collect");
    expect(response.status).toBe(200);
    const call = outbound.requests.find((r) => r.url.startsWith(CONTROL))!;
    expect(call.url).toBe(`${CONTROL}/functions/v1/container-config?container_id=${config.container_id}`);
    expect(call.headers.get("X-Edge-Auth")).toBe("test-edge-auth-secret");
    expect(await usageOf(config.container_id)).toBe(1);
  });

  it("control plane down: 500 config_unavailable, never a blind proxy", async () => {
    await coldContainer("colddown");
    const outbound = mockOutbound({
      [CONTROL]: () => Promise.reject(new TypeError("connection refused")),
      [ORIGIN]: echo,
    });
    const response = await edgeFetch("https://www.colddown.test/g/collect");
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error: "config_unavailable" });
    expect(outbound.requests.filter((r) => r.url.startsWith(ORIGIN))).toHaveLength(0);
  });

  it.each([
    ["not JSON", () => new Response("<html>oops</html>")],
    ["an invalid config", () => Response.json({ container_id: "x" })],
    ["a 500", () => new Response("boom", { status: 500 })],
  ])("control plane returning %s: 500 config_unavailable", async (_name, reply) => {
    const name = `cold-${_name.replace(/\W/g, "").toLowerCase()}`;
    await coldContainer(name);
    mockOutbound({ [CONTROL]: reply, [ORIGIN]: echo });
    const response = await edgeFetch(`https://www.${name}.test/g/collect`);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error: "config_unavailable" });
  });

  it("control plane returning another container's config: refused", async () => {
    const config = await coldContainer("coldother");
    const other = makeConfig("coldother2");
    mockOutbound({ [CONTROL]: () => Response.json(other), [ORIGIN]: echo });
    expect((await edgeFetch("https://www.coldother.test/g/collect")).status).toBe(500);
    expect((await admin(`containers/${config.container_id}`)).status).toBe(404);
  });

  it("known config keeps serving while KV and the control plane are down", async () => {
    const config = makeConfig("warm");
    const outbound = mockOutbound({ [CONTROL]: () => Promise.reject(new TypeError("down")), [ORIGIN]: echo });
    await pushConfig(config);
    const kvGet = vi.spyOn(env.EDGE_CACHE, "get").mockRejectedValue(new Error("KV down"));
    expect((await edgeFetch("https://www.warm.test/g/collect")).status).toBe(200);
    expect(outbound.requests.some((r) => r.url.startsWith(CONTROL))).toBe(false);
    kvGet.mockRestore();
  });
});
