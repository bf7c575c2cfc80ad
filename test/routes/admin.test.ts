import { afterEach, describe, expect, it, vi } from "vitest";
import { makeConfig, ORIGIN } from "../support/config";
import { admin, edgeFetch, pushConfig } from "../support/edge";
import { mockOutbound } from "../support/outbound";

afterEach(() => vi.restoreAllMocks());

describe("admin API authentication", () => {
  it.each([
    ["no header", {}],
    ["wrong token", { Authorization: "Bearer wrong-token" }],
    ["not a bearer", { Authorization: "Basic dGVzdA==" }],
  ])("401 with %s", async (_name, headers) => {
    const response = await edgeFetch("https://admin.edge.test/_edge/admin/containers", { headers });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: "unauthorized" });
  });
});

describe("PUT config", () => {
  it("applies, then is idempotent for the same version", async () => {
    const config = makeConfig("apply");
    const first = await pushConfig(config);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ applied: true, config_version: 1 });
    const again = await pushConfig(config);
    expect(await again.json()).toEqual({ applied: false, config_version: 1 });
  });

  it("refuses an older version with 409 stale_version", async () => {
    const config = makeConfig("stale");
    await pushConfig({ ...config, config_version: 5 });
    const response = await pushConfig({ ...config, config_version: 4 });
    expect(response.status).toBe(409);
    expect(await response.json()).toEqual({ error: "stale_version", current_version: 5 });
  });

  it("ends at the highest version whatever the order of concurrent pushes", async () => {
    const config = makeConfig("order");
    const versions = [3, 1, 7, 2, 7, 5, 6, 4];
    const responses = await Promise.all(versions.map((v) => pushConfig({ ...config, config_version: v })));
    expect(responses.every((r) => r.status === 200 || r.status === 409)).toBe(true);
    const inspected = await (await admin(`containers/${config.container_id}`)).json<{ config_version: number }>();
    expect(inspected.config_version).toBe(7);
  });

  it("400 invalid_config naming the offending path", async () => {
    const config = makeConfig("invalid");
    const response = await pushConfig({ ...config, origin: "https://user:pw@origin.test", extra: 1 } as never);
    expect(response.status).toBe(400);
    const body = await response.json<{ error: string; issues: Array<{ path: string }> }>();
    expect(body.error).toBe("invalid_config");
    expect(body.issues.map((issue) => issue.path).sort()).toEqual(["(root)", "origin"]);
  });

  it("400 when the body is not JSON", async () => {
    const config = makeConfig("notjson");
    const response = await admin(`containers/${config.container_id}/config`, { method: "PUT", body: "{nope" });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: "invalid_config" });
  });

  it("400 when the URL id differs from container_id", async () => {
    const config = makeConfig("mismatch");
    const other = makeConfig("mismatch-other");
    const response = await admin(`containers/${other.container_id}/config`, { method: "PUT", json: config });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: "invalid_config", issues: [{ path: "container_id" }] });
  });

  it("409 route_conflict when a host belongs to another container, and applies nothing", async () => {
    const owner = makeConfig("owner");
    await pushConfig(owner);
    const intruder = makeConfig("intruder");
    intruder.sites[0]!.tracked_domains = [...(intruder.sites[0]!.tracked_domains ?? []), "data.owner.test"];
    const response = await pushConfig(intruder);
    expect(response.status).toBe(409);
    expect(await response.json()).toEqual({ error: "route_conflict", key: "host:data.owner.test" });
    expect((await admin(`containers/${intruder.container_id}`)).status).toBe(404);
    expect((await admin("routes/host:www.intruder.test")).status).toBe(404);
    expect(await (await admin("routes/host:data.owner.test")).json()).toMatchObject({ container_id: owner.container_id });
  });

  it("409 route_conflict on a loader token owned by another container", async () => {
    const owner = makeConfig("tokenowner");
    await pushConfig(owner);
    const other = makeConfig("tokenother", { loader_token: owner.loader_token });
    const response = await pushConfig(other);
    expect(await response.json()).toEqual({ error: "route_conflict", key: `loader:${owner.loader_token}` });
  });
});

describe("routes lookup", () => {
  it("answers host, loader and site keys with the owner", async () => {
    const config = makeConfig("lookup");
    await pushConfig(config);
    const site = config.sites[0]!;
    expect(await (await admin(`routes/host:${site.primary_host}`)).json()).toEqual({
      key: `host:${site.primary_host}`,
      container_id: config.container_id,
      site_id: site.site_id,
    });
    expect(await (await admin(`routes/loader:${config.loader_token}`)).json()).toEqual({
      key: `loader:${config.loader_token}`,
      container_id: config.container_id,
    });
    expect(await (await admin(`routes/site:${site.container_token}`)).json()).toMatchObject({ site_id: site.site_id });
    expect((await admin("routes/host:unknown.test")).status).toBe(404);
  });

  it("a host removed by a new version stops routing at once", async () => {
    const config = makeConfig("shrink");
    mockOutbound({ [ORIGIN]: () => new Response("ok") });
    await pushConfig(config);
    expect((await edgeFetch("https://data.shrink.test/x")).status).toBe(200);
    const site = { ...config.sites[0]!, tracked_domains: [] };
    await pushConfig({ ...config, config_version: 2, sites: [site] });
    expect((await admin("routes/host:data.shrink.test")).status).toBe(404);
    const response = await edgeFetch("https://data.shrink.test/x");
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: "not_found" });
  });
});

describe("GET, pause, resume, usage, delete", () => {
  it("GET returns config, pause state and usage; 404 for an unknown container", async () => {
    const config = makeConfig("inspect");
    await pushConfig(config);
    const body = await (await admin(`containers/${config.container_id}`)).json<Record<string, unknown>>();
    const day = new Date().toISOString().slice(0, 10);
    expect(body).toMatchObject({
      container_id: config.container_id,
      config_version: 1,
      paused: null,
      usage: { day, day_requests: 0, month: day.slice(0, 7), month_requests: 0 },
    });
    expect((body.config as { origin: string }).origin).toBe(ORIGIN);
    const unknown = await admin(`containers/${makeConfig("nobody").container_id}`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: "not_found" });
  });

  it("pauses with a reason (402 on traffic) and resumes", async () => {
    const config = makeConfig("pausing");
    mockOutbound({ [ORIGIN]: () => new Response("ok") });
    await pushConfig(config);
    const paused = await admin(`containers/${config.container_id}/pause`, { method: "POST", json: { reason: "invoice_overdue" } });
    expect(paused.status).toBe(200);
    const body = await paused.json<{ paused: { reason: string; since: string } }>();
    expect(body.paused.reason).toBe("invoice_overdue");
    expect(Number.isNaN(Date.parse(body.paused.since))).toBe(false);
    const blocked = await edgeFetch("https://www.pausing.test/g/collect?v=2");
    expect(blocked.status).toBe(402);
    expect(await blocked.json()).toEqual({ error: "container_paused", reason: "invoice_overdue" });
    const resumed = await admin(`containers/${config.container_id}/resume`, { method: "POST" });
    expect(await resumed.json()).toEqual({ paused: null });
    expect((await edgeFetch("https://www.pausing.test/g/collect?v=2")).status).toBe(200);
  });

  it("pause without a reason is a 400; pause of an unknown container is a 404", async () => {
    const config = makeConfig("pausebad");
    await pushConfig(config);
    expect((await admin(`containers/${config.container_id}/pause`, { method: "POST", json: {} })).status).toBe(400);
    const unknown = makeConfig("pausenobody");
    const response = await admin(`containers/${unknown.container_id}/pause`, { method: "POST", json: { reason: "x" } });
    expect(response.status).toBe(404);
  });

  it("usage by day with from/to; bad dates are a 400", async () => {
    const config = makeConfig("usage");
    mockOutbound({ [ORIGIN]: () => new Response("ok") });
    await pushConfig(config);
    for (let i = 0; i < 3; i++) await edgeFetch("https://www.usage.test/g/collect");
    const day = new Date().toISOString().slice(0, 10);
    const response = await admin(`containers/${config.container_id}/usage?from=${day}&to=${day}`);
    expect(await response.json()).toEqual({ days: [{ day, requests: 3 }] });
    expect((await admin(`containers/${config.container_id}/usage?from=2026-13-01&to=${day}`)).status).toBe(400);
    expect((await admin(`containers/${makeConfig("usage-nobody").container_id}/usage`)).status).toBe(404);
  });

  it("DELETE stops every host and token at once", async () => {
    const config = makeConfig("deleting");
    mockOutbound({ [ORIGIN]: () => new Response("ok") });
    await pushConfig(config);
    expect((await edgeFetch("https://www.deleting.test/x")).status).toBe(200);
    const deleted = await admin(`containers/${config.container_id}`, { method: "DELETE" });
    expect(await deleted.json()).toEqual({ deleted: true });
    expect((await edgeFetch("https://www.deleting.test/x")).status).toBe(404);
    expect((await edgeFetch(`https://www.deleting.test/l/${config.loader_token}.js`)).status).toBe(404);
    expect((await admin(`containers/${config.container_id}`)).status).toBe(404);
    expect((await admin(`containers/${config.container_id}`, { method: "DELETE" })).status).toBe(404);
  });
});

describe("methods", () => {
  it.each([
    ["PATCH", "containers/00000000-0000-4000-8000-000000000001/config", "PUT"],
    ["GET", "containers/00000000-0000-4000-8000-000000000001/pause", "POST"],
    ["POST", "containers", "GET"],
  ])("%s %s is a 405 naming the allowed methods", async (method, path, allowed) => {
    const response = await admin(path, { method });
    expect(response.status).toBe(405);
    expect(response.headers.get("Allow")).toBe(allowed);
    expect(await response.json()).toEqual({ error: "method_not_allowed", allowed: [allowed] });
  });

  it("public edge endpoints answer 405 to other methods, never proxy them", async () => {
    const outbound = mockOutbound({ [ORIGIN]: () => new Response("origin") });
    const config = makeConfig("methods");
    await pushConfig(config);
    for (const [method, path] of [
      ["GET", "/boot"],
      ["PUT", "/mark-session-detection"],
      ["DELETE", `/k/${config.sites[0]!.container_token}`],
      ["POST", `/l/${config.loader_token}.js`],
    ] as const) {
      const response = await edgeFetch(`https://www.methods.test${path}`, { method });
      expect(response.status, `${method} ${path}`).toBe(405);
    }
    expect(outbound.requests).toHaveLength(0);
  });

  it("a cross-origin /boot is preflighted at the edge", async () => {
    const config = makeConfig("bootpreflight");
    await pushConfig(config);
    const response = await edgeFetch("https://data.bootpreflight.test/boot", {
      method: "OPTIONS",
      headers: { Origin: "https://www.bootpreflight.test", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type" },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe("https://www.bootpreflight.test");
    expect(response.headers.get("Access-Control-Allow-Headers")).toBe("content-type");
  });
});
