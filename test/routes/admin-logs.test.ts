/** Admin API: a container's access log from R2 (paged, filtered) and its requests per hour (issue 16). */
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { logObjectKey, utcHour } from "../../src/modules/log-query";
import { deriveSiteEndpoints } from "../../src/shared/site-endpoints";
import { makeConfig, ORIGIN } from "../support/config";
import { admin, edgeFetch, pushConfig } from "../support/edge";
import { echoOrigin, mockOutbound } from "../support/outbound";

afterEach(() => vi.restoreAllMocks());

type Line = { ts: number; status: number; path_class: string; recovered: boolean; [field: string]: unknown };
type Page = { lines: Line[]; next_cursor: string | null; objects_read: number };

const T0 = Date.parse("2026-11-20T10:00:00Z");

function line(containerId: string, ts: number, status: number, pathClass: string, recovered = false, extra: object = {}) {
  return JSON.stringify({
    ts, container_id: containerId, site_id: null, host: "www.x.test", path_class: pathClass, method: "GET",
    status, latency_ms: 3, recovered, paused: false, country: "DE", config_version: 1, ...extra,
  });
}

/** A container at the edge and R2 objects as its object writes them: `objects[i]` is the i-th flush of `day`. */
async function seeded(name: string, day: string, objects: string[][]) {
  const config = makeConfig(name);
  expect((await pushConfig(config)).status).toBe(200);
  let id = 1;
  for (const lines of objects) {
    await env.LOGS.put(logObjectKey(config.container_id, day, id, id + lines.length - 1), `${lines.join("\n")}\n`);
    id += lines.length;
  }
  return config.container_id;
}

async function logs(containerId: string, query = ""): Promise<{ status: number; body: Page & { error?: string; issues?: unknown } }> {
  const response = await admin(`containers/${containerId}/logs${query ? `?${query}` : ""}`);
  return { status: response.status, body: await response.json() };
}

const WINDOW = "from=2026-11-20&to=2026-11-21T00:00:00Z";

describe("GET /_edge/admin/containers/{id}/logs", () => {
  it("pages newest first across objects; each cursor goes on where the last page stopped, none lost or repeated", async () => {
    const minutes = (n: number) => T0 + n * 60_000;
    const containerId = await seeded("logpages", "2026-11-20", [
      [0, 1, 2].map((n) => line("", minutes(n), 200, "collect")),
      [3, 4].map((n) => line("", minutes(n), 200, "collect")),
      [5, 6, 7, 8].map((n) => line("", minutes(n), 200, "collect")),
    ]);
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const { status, body } = await logs(containerId, `${WINDOW}&limit=3${cursor ? `&cursor=${cursor}` : ""}`);
      expect(status).toBe(200);
      expect(body.lines.length).toBeLessThanOrEqual(3);
      seen.push(...body.lines.map((l) => (l.ts - T0) / 60_000));
      cursor = body.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(seen).toEqual([8, 7, 6, 5, 4, 3, 2, 1, 0]);
  });

  it("filters by status (code or class), kind and time", async () => {
    const containerId = await seeded("logfilter", "2026-11-20", [[
      line("", T0 + 1, 200, "loader"),
      line("", T0 + 2, 204, "collect"),
      line("", T0 + 3, 204, "collect", true),
      line("", T0 + 4, 404, "recovery", true),
      line("", T0 + 5, 502, "gtm"),
      line("", T0 + 3_600_000, 200, "boot"),
    ]]);
    const tsOf = async (query: string) => {
      const { status, body } = await logs(containerId, `${WINDOW}&${query}`);
      expect(status, JSON.stringify(body)).toBe(200);
      return body.lines.map((l) => l.ts - T0);
    };
    expect(await tsOf("limit=50")).toEqual([3_600_000, 5, 4, 3, 2, 1]);
    expect(await tsOf("status=204")).toEqual([3, 2]);
    expect(await tsOf("status=4xx")).toEqual([4]);
    expect(await tsOf("status=5xx")).toEqual([5]);
    expect(await tsOf("kind=loader")).toEqual([1]);
    expect(await tsOf("kind=hit")).toEqual([2]);
    expect(await tsOf("kind=recovered")).toEqual([4, 3]);
    expect(await tsOf("kind=gtm")).toEqual([5]);
    expect(await tsOf("kind=other")).toEqual([3_600_000]);
    expect(await tsOf("kind=recovered&status=2xx")).toEqual([3]);
    const { body } = await logs(containerId, "from=2026-11-20T10:00:00.003Z&to=2026-11-20T10:30:00Z");
    expect(body.lines.map((l) => l.ts - T0)).toEqual([5, 4, 3]);
  });

  it("never shows a field that is not an access-log entry's, such as an address", async () => {
    const containerId = await seeded("lognoip", "2026-11-20", [[
      line("", T0, 200, "collect", false, { client_ip: "203.0.113.7", headers: { "cf-connecting-ip": "203.0.113.7" }, bot: true, blocked: "203.0.113.7" }),
      line("", T0 + 1, 403, "collect", false, { bot: true, blocked: "bot" }),
    ]]);
    const response = await admin(`containers/${containerId}/logs?${WINDOW}`);
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(text).not.toContain("203.0.113");
    const [blocked, first] = JSON.parse(text).lines;
    expect(first).toMatchObject({ ts: T0, status: 200, country: "DE", latency_ms: 3, bot: true });
    expect(first).not.toHaveProperty("blocked");
    // the power-ups' fields of an entry do show (docs/power-ups.md)
    expect(blocked).toMatchObject({ status: 403, bot: true, blocked: "bot" });
  });

  it("reads what the Worker logged: lines of its requests reach R2 and come back, per-site endpoints with their kind", async () => {
    const key = "site-key-logs-0123456789ab";
    const config = makeConfig("logreal");
    config.sites[0] = { ...config.sites[0]!, endpoint_key: key };
    mockOutbound({ [ORIGIN]: echoOrigin });
    expect((await pushConfig(config)).status).toBe(200);
    const endpoints = await deriveSiteEndpoints(key);
    expect((await edgeFetch(`https://www.logreal.test${endpoints.loader}`)).status).toBe(200);
    expect((await edgeFetch("https://www.logreal.test/g/collect?v=2")).status).toBe(200);
    const stub = env.CONTAINER.get(env.CONTAINER.idFromName(config.container_id));
    await vi.waitFor(async () => expect((await stub.inspect())?.logs.buffered).toBe(2));
    await runDurableObjectAlarm(stub);
    const { status, body } = await logs(config.container_id);
    expect(status).toBe(200);
    expect(body.lines.map((l) => [l.path_class, l.status]).sort()).toEqual([["collect", 200], ["loader", 200]]);
    expect((await logs(config.container_id, "kind=loader")).body.lines).toHaveLength(1);
  });

  it("refuses bad parameters naming each, a cursor of another container, an unknown container, a missing token", async () => {
    const containerId = await seeded("logbad", "2026-11-20", [[line("", T0, 200, "collect")]]);
    for (const [query, path] of [
      ["limit=0", "limit"], ["limit=201", "limit"], ["limit=abc", "limit"], ["status=2x", "status"], ["status=99", "status"],
      ["kind=pixel", "kind"], ["from=yesterday", "from"], ["to=2026-13-01", "to"], ["from=2026-11-21&to=2026-11-20", "from"],
      ["from=2026-10-01&to=2026-11-20", "from"], ["cursor=abc", "cursor"], ["limit=1&limit=2", "limit"],
    ]) {
      const { status, body } = await logs(containerId, query);
      expect(status, query).toBe(400);
      expect(body.error).toBe("invalid_query");
      expect(JSON.stringify(body.issues), query).toContain(`"path":"${path}"`);
    }
    const page = await logs(containerId, `${WINDOW}&limit=1`);
    expect(page.status).toBe(200);
    // One line and no more: a cursor is still returned (the page filled up), the next page is empty.
    expect(page.body.lines).toHaveLength(1);
    const other = await seeded("logbad-other", "2026-11-20", [[line("", T0, 200, "collect")]]);
    const foreign = await logs(other, `${WINDOW}&cursor=${page.body.next_cursor}`);
    expect(foreign.status).toBe(400);
    expect(JSON.stringify(foreign.body.issues)).toContain("another container");
    expect((await logs(containerId, `${WINDOW}&cursor=${page.body.next_cursor}`)).body).toMatchObject({ lines: [], next_cursor: null });
    expect((await logs("00000000-0000-4000-8000-00000000dead")).status).toBe(404);
    expect((await logs("not-a-uuid")).status).toBe(404);
    const anonymous = await edgeFetch(`https://admin.edge.test/_edge/admin/containers/${containerId}/logs`);
    expect(anonymous.status).toBe(401);
    expect((await admin(`containers/${containerId}/logs`, { method: "POST" })).status).toBe(405);
  });
});

describe("GET /_edge/admin/containers/{id}/traffic", () => {
  it("counts the Worker's requests per UTC hour by path class, status class and recovery", async () => {
    const config = makeConfig("traffic");
    mockOutbound({ [ORIGIN]: (request: Request) => new Response("", { status: new URL(request.url).searchParams.get("s") === "5" ? 503 : 204 }) });
    expect((await pushConfig(config)).status).toBe(200);
    for (const query of ["", "", "?s=5"]) await edgeFetch(`https://www.traffic.test/g/collect${query}`);
    await edgeFetch(`https://www.traffic.test/l/${config.loader_token}.js`);
    const stub = env.CONTAINER.get(env.CONTAINER.idFromName(config.container_id));
    await vi.waitFor(async () => expect((await stub.inspect())?.logs.buffered).toBe(4));
    const response = await admin(`containers/${config.container_id}/traffic`);
    const body = await response.json<{ from: string; to: string; hours: Array<Record<string, unknown>> }>();
    expect(response.status).toBe(200);
    const hour = utcHour(Date.now());
    expect(body.to).toBe(hour);
    expect(body.hours.filter((row) => row.hour === hour).map(({ hour: _h, ...row }) => row)).toEqual([
      { path_class: "collect", status_class: "2xx", recovered: false, requests: 2 },
      { path_class: "collect", status_class: "5xx", recovered: false, requests: 1 },
      { path_class: "loader", status_class: "2xx", recovered: false, requests: 1 },
    ]);
    const before = await admin(`containers/${config.container_id}/traffic?from=2026-01-01T00&to=2026-01-02T00`);
    expect(await before.json()).toMatchObject({ hours: [] });
  });

  it("refuses hours that are not hours or too far apart; 404 for no container", async () => {
    const config = makeConfig("trafficbad");
    expect((await pushConfig(config)).status).toBe(200);
    for (const query of ["from=2026-12-01", "to=2026-12-01T25", "from=2026-12-02T00&to=2026-12-01T00", "from=2026-01-01T00&to=2026-12-01T00"]) {
      const response = await admin(`containers/${config.container_id}/traffic?${query}`);
      expect(response.status, query).toBe(400);
      expect(await response.json()).toMatchObject({ error: "invalid_query" });
    }
    expect((await admin("containers/00000000-0000-4000-8000-00000000beef/traffic")).status).toBe(404);
  });
});
