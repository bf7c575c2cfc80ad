/** Row 6 of the contract: any other path on a routed host is proxied to the origin. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { makeConfig, ORIGIN } from "../support/config";
import { edgeFetch, pushConfig, usageOf } from "../support/edge";
import { echoOrigin as echo, mockOutbound } from "../support/outbound";

afterEach(() => vi.restoreAllMocks());

describe("tracking route (row 6)", () => {
  it("proxies method, path, query and body with the forwarded headers, overwriting client copies", async () => {
    const config = makeConfig("fwd");
    const outbound = mockOutbound({ [ORIGIN]: echo });
    await pushConfig(config);
    const response = await edgeFetch("https://data.fwd.test/g/collect?v=2&tid=G-1", {
      method: "POST",
      body: "en=page_view",
      headers: {
        "CF-Connecting-IP": "203.0.113.9",
        "X-Forwarded-For": "6.6.6.6",
        "X-Forwarded-Host": "evil.test",
        "X-Geo-Country": "XX",
        Connection: "close",
        "User-Agent": "ua-test",
        Host: "data.fwd.test",
      },
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("POST /g/collect?v=2&tid=G-1");
    expect(response.headers.get("X-Origin")).toBe("yes");
    expect(response.headers.get("X-Hop")).toBeNull();
    const sent = outbound.requests[0]!;
    expect(sent.url).toBe(`${ORIGIN}/g/collect?v=2&tid=G-1`);
    expect(outbound.bodies[0]).toBe("en=page_view");
    expect(sent.headers.get("X-Forwarded-For")).toBe("203.0.113.9");
    expect(sent.headers.get("X-Forwarded-Host")).toBe("data.fwd.test");
    expect(sent.headers.get("X-Forwarded-Proto")).toBe("https");
    expect(sent.headers.get("X-Geo-Country")).not.toBe("XX");
    expect(sent.headers.get("User-Agent")).toBe("ua-test");
    expect(await usageOf(config.container_id)).toBe(1);
  });

  it("routes the edge hostname and verified custom domains only", async () => {
    const config = makeConfig("domains", {
      custom_domains: [
        { hostname: "track.domains-shop.test", verified: true },
        { hostname: "pending.domains-shop.test", verified: false },
      ],
    });
    mockOutbound({ [ORIGIN]: echo });
    await pushConfig(config);
    expect((await edgeFetch("https://domains.edge.test/a")).status).toBe(200);
    expect((await edgeFetch("https://TRACK.domains-shop.test:443/a")).status).toBe(200);
    expect((await edgeFetch("https://pending.domains-shop.test/a")).status).toBe(404);
  });

  it("404 for an unknown host, 404 with sgtm_proxy off, nothing fetched", async () => {
    const config = makeConfig("off", {
      modules: { sgtm_proxy: false, gtm_recovery: true, cookie_keeper: true, adblock_itp_detection: true, custom_domain: true },
    });
    const outbound = mockOutbound({ [ORIGIN]: echo });
    await pushConfig(config);
    for (const url of ["https://nobody.test/g/collect", "https://www.off.test/g/collect"]) {
      const response = await edgeFetch(url);
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ error: "not_found" });
    }
    expect(outbound.requests).toHaveLength(0);
  });

  it("502 origin_unreachable when the origin refuses, 504 on timeout", async () => {
    const config = makeConfig("down");
    mockOutbound({
      [ORIGIN]: (request) =>
        request.url.includes("slow")
          ? new Promise<Response>((_resolve, reject) =>
              request.signal.addEventListener("abort", () => reject(request.signal.reason)),
            )
          : Promise.reject(new TypeError("connection refused")),
    });
    await pushConfig(config);
    const refused = await edgeFetch("https://www.down.test/g/collect");
    expect(refused.status).toBe(502);
    expect(await refused.json()).toEqual({ error: "origin_unreachable" });
    const slow = await edgeFetch("https://www.down.test/slow");
    expect(slow.status).toBe(504);
    expect(await slow.json()).toEqual({ error: "origin_timeout" });
  });

  it("answers CORS preflight at the edge and reflects only the container's own origins", async () => {
    const config = makeConfig("cors");
    const outbound = mockOutbound({ [ORIGIN]: echo });
    await pushConfig(config);
    const preflight = await edgeFetch("https://data.cors.test/g/collect", {
      method: "OPTIONS",
      headers: { Origin: "https://www.cors.test", "Access-Control-Request-Method": "POST" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("Access-Control-Allow-Origin")).toBe("https://www.cors.test");
    expect(outbound.requests).toHaveLength(0);
    const allowed = await edgeFetch("https://data.cors.test/g/collect", { headers: { Origin: "https://www.cors.test" } });
    expect(allowed.headers.get("Access-Control-Allow-Origin")).toBe("https://www.cors.test");
    expect(allowed.headers.get("Access-Control-Allow-Credentials")).toBe("true");
    expect(allowed.headers.get("Vary")).toContain("Origin");
    const denied = await edgeFetch("https://data.cors.test/g/collect", { headers: { Origin: "https://evil.test" } });
    expect(denied.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });
});
