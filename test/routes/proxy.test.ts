import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ContainerObject } from "../../src/objects/ContainerObject";
import { makeConfig, ORIGIN } from "../support/config";
import { admin, edgeFetch, pushConfig } from "../support/edge";
import { mockOutbound } from "../support/outbound";

afterEach(() => vi.restoreAllMocks());

const echo = (request: Request) =>
  new Response(`${request.method} ${new URL(request.url).pathname}${new URL(request.url).search}`, {
    headers: { "X-Origin": "yes", Connection: "keep-alive, X-Hop", "X-Hop": "1" },
  });

async function usageOf(containerId: string) {
  const body = await (await admin(`containers/${containerId}`)).json<{ usage: { month_requests: number } }>();
  return body.usage.month_requests;
}

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

describe("plan limit in real time", () => {
  it("20 concurrent requests against a limit of 10: exactly 10 reach the origin, then 402", async () => {
    const config = makeConfig("limit", { plan: { monthly_request_limit: 10, auto_upgrade: false } });
    const outbound = mockOutbound({ [ORIGIN]: echo });
    await pushConfig(config);
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => edgeFetch(`https://www.limit.test/g/collect?n=${i}`)),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 402)).toHaveLength(10);
    expect(outbound.requests).toHaveLength(10);
    const inspected = await (await admin(`containers/${config.container_id}`)).json<{
      paused: { reason: string };
      usage: { month_requests: number };
    }>();
    expect(inspected.paused.reason).toBe("usage_limit");
    expect(inspected.usage.month_requests).toBe(10);
    const blocked = await edgeFetch("https://www.limit.test/g/collect");
    expect(await blocked.json()).toEqual({ error: "container_paused", reason: "usage_limit" });
  });

  it("a push that raises the limit resumes a usage_limit pause; auto_upgrade never pauses", async () => {
    const config = makeConfig("raise", { plan: { monthly_request_limit: 2, auto_upgrade: false } });
    mockOutbound({ [ORIGIN]: echo });
    await pushConfig(config);
    await edgeFetch("https://www.raise.test/a");
    await edgeFetch("https://www.raise.test/a");
    expect((await edgeFetch("https://www.raise.test/a")).status).toBe(402);
    await pushConfig({ ...config, config_version: 2, plan: { monthly_request_limit: 5, auto_upgrade: false } });
    expect((await edgeFetch("https://www.raise.test/a")).status).toBe(200);
    await pushConfig({ ...config, config_version: 3, plan: { monthly_request_limit: 3, auto_upgrade: true } });
    expect((await edgeFetch("https://www.raise.test/a")).status).toBe(200);
    expect(await usageOf(config.container_id)).toBe(4);
  });

  it("a usage_limit pause lifts by itself when a new UTC month starts", async () => {
    const config = makeConfig("newmonth", { plan: { monthly_request_limit: 2, auto_upgrade: false } });
    mockOutbound({ [ORIGIN]: echo });
    vi.useFakeTimers({ toFake: ["Date"], now: new Date("2026-11-30T23:59:00Z") });
    try {
      await pushConfig(config);
      await edgeFetch("https://www.newmonth.test/a");
      await edgeFetch("https://www.newmonth.test/a");
      expect((await edgeFetch("https://www.newmonth.test/a")).status).toBe(402);
      vi.setSystemTime(new Date("2026-12-01T00:00:05Z"));
      expect((await edgeFetch("https://www.newmonth.test/a")).status).toBe(200);
      const body = await (await admin(`containers/${config.container_id}`)).json<{ usage: unknown; paused: unknown }>();
      expect(body).toMatchObject({ paused: null, usage: { month: "2026-12", month_requests: 1, day_requests: 1 } });
    } finally {
      vi.useRealTimers();
    }
  });

  it("a push does not lift an operator's pause", async () => {
    const config = makeConfig("keep-pause");
    mockOutbound({ [ORIGIN]: echo });
    await pushConfig(config);
    await admin(`containers/${config.container_id}/pause`, { method: "POST", json: { reason: "fraud_review" } });
    await pushConfig({ ...config, config_version: 2 });
    expect((await edgeFetch("https://www.keep-pause.test/a")).status).toBe(402);
  });
});

describe("durability", () => {
  it("a restarted object keeps its config, pause state and every count", async () => {
    const config = makeConfig("restart");
    mockOutbound({ [ORIGIN]: echo });
    await pushConfig(config);
    for (let i = 0; i < 5; i++) await edgeFetch("https://www.restart.test/g/collect");
    const id = env.CONTAINER.idFromName(config.container_id);
    await runInDurableObject(env.CONTAINER.get(id), (_instance, state) => {
      state.abort("simulated restart");
    }).catch(() => undefined);
    const fresh = env.CONTAINER.get(id);
    await runInDurableObject(fresh, (instance: ContainerObject) => {
      expect(instance.usageSnapshot()?.month_requests).toBe(5);
    });
    expect(await usageOf(config.container_id)).toBe(5);
    expect((await edgeFetch("https://www.restart.test/g/collect")).status).toBe(200);
    expect(await usageOf(config.container_id)).toBe(6);
  });
});

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

describe("access logs", () => {
  it("lines reach R2 through the object's alarm, and a failing R2 loses none", async () => {
    const config = makeConfig("logs");
    mockOutbound({ [ORIGIN]: echo });
    await pushConfig(config);
    for (let i = 0; i < 3; i++) await edgeFetch("https://www.logs.test/g/collect");
    const stub = env.CONTAINER.get(env.CONTAINER.idFromName(config.container_id));
    await vi.waitFor(async () => {
      expect((await stub.inspect())?.logs.buffered).toBe(3);
    });
    const put = vi.spyOn(env.LOGS, "put").mockRejectedValueOnce(new Error("R2 down"));
    await runDurableObjectAlarm(stub);
    expect((await stub.inspect())?.logs).toMatchObject({ buffered: 3, failed_flushes: 1 });
    put.mockRestore();
    await runDurableObjectAlarm(stub);
    expect((await stub.inspect())?.logs).toMatchObject({ buffered: 0, flushed: 3 });
    const listed = await env.LOGS.list({ prefix: `logs/${config.container_id}/` });
    const body = await (await env.LOGS.get(listed.objects[0]!.key))!.text();
    const lines = body.trim().split("\n").map((line) => JSON.parse(line));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({ container_id: config.container_id, status: 200, path_class: "collect" });
    expect(JSON.stringify(lines)).not.toContain("203.0.113");
  });

  it("a failing Analytics Engine never changes the response, and the R2 line is still kept", async () => {
    const config = makeConfig("aefail");
    mockOutbound({ [ORIGIN]: echo });
    await pushConfig(config);
    vi.spyOn(env.ACCESS_LOG, "writeDataPoint").mockImplementation(() => {
      throw new Error("AE down");
    });
    const response = await edgeFetch("https://www.aefail.test/g/collect");
    expect(response.status).toBe(200);
    const stub = env.CONTAINER.get(env.CONTAINER.idFromName(config.container_id));
    await vi.waitFor(async () => expect((await stub.inspect())?.logs.buffered).toBe(1));
  });
});
