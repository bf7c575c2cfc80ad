/**
 * The entry's order (src/worker.ts dispatch): /_edge/ routes, a preflight for any path, the
 * site's own endpoints, the named routes, the proxy. A request no named pattern takes goes
 * straight to the proxy; one that a named pattern takes is never proxied, whatever its method.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { makeConfig, ORIGIN } from "./support/config";
import { edgeFetch, pushConfig, usageOf } from "./support/edge";
import { echoOrigin, mockOutbound } from "./support/outbound";

afterEach(() => vi.restoreAllMocks());

describe("dispatch order", () => {
  it("a path no named route takes is proxied (the control), one a named route takes never is", async () => {
    const config = makeConfig("order");
    const outbound = mockOutbound({ [ORIGIN]: echoOrigin });
    await pushConfig(config);
    const host = "https://data.order.test";

    const proxied = await edgeFetch(`${host}/g/collect?v=2`, { method: "POST" });
    expect(proxied.status).toBe(200);
    expect(outbound.requests).toHaveLength(1);

    // Named paths with a method their route does not take: the route's 405, not the origin.
    for (const [method, path] of [["PUT", `/l/${config.loader_token}.js`], ["GET", "/boot"], ["DELETE", "/k/ct_order_0123456789abcdef"]]) {
      const response = await edgeFetch(`${host}${path}`, { method });
      expect(response.status, `${method} ${path}`).toBe(405);
    }
    // /_edge/ paths: a named one with another method, and an unnamed one, are 404s of the edge.
    expect((await edgeFetch(`${host}/_edge/health`, { method: "POST" })).status).toBe(404);
    expect((await edgeFetch(`${host}/_edge/unknown`)).status).toBe(404);
    expect(outbound.requests).toHaveLength(1);
    expect(await usageOf(config.container_id)).toBe(1);
  });

  it("OPTIONS: the preflight on any public path, named or not; the admin API's own answer under /_edge/admin/", async () => {
    const config = makeConfig("preflight-order");
    const outbound = mockOutbound({ [ORIGIN]: echoOrigin });
    await pushConfig(config);
    const origin = "https://www.preflight-order.test";
    for (const path of ["/boot", "/g/collect"]) {
      const response = await edgeFetch(`https://data.preflight-order.test${path}`, {
        method: "OPTIONS",
        headers: { Origin: origin, "Access-Control-Request-Method": "POST" },
      });
      expect(response.status, path).toBe(204);
      expect(response.headers.get("Access-Control-Allow-Origin")).toBe(origin);
    }
    expect((await edgeFetch("https://data.preflight-order.test/_edge/admin/containers", { method: "OPTIONS" })).status).toBe(401);
    expect(outbound.requests).toHaveLength(0);
  });
});
