/**
 * src/objects/cookie-store.ts: preserved cookies keyed by (site_id, FPID), replaced per hit,
 * bounded per visitor (cookie-keeper.ts) and in total without a scan per write, expired
 * rows never read and purged by the alarm (contract section 8).
 */
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CookieStore, type CookieStoreBounds } from "../../src/objects/cookie-store";
import { sqlTag } from "../../src/objects/sql";
import { makeConfig, ORIGIN } from "../support/config";
import { edgeFetch, pushConfig } from "../support/edge";
import { mockOutbound } from "../support/outbound";

afterEach(() => vi.restoreAllMocks());

const SITE_A = "11111111-1111-4111-8111-111111111111";
const SITE_B = "22222222-2222-4222-8222-222222222222";
const GRANTED = { analytics: true, ads: true };
const DAY = 86_400_000;

let objects = 0;

/** A CookieStore over a fresh object's own SQLite; `run` may be called again to reopen it (a restart). */
function withStore(bounds?: CookieStoreBounds) {
  const stub = env.CONTAINER.get(env.CONTAINER.idFromName(`cookie-store-${++objects}`));
  return <T>(run: (store: CookieStore, storage: DurableObjectStorage) => T) =>
    runInDurableObject(stub, (_instance, state) => run(new CookieStore(sqlTag(state.storage), bounds), state.storage));
}

const hit = (cookies: Array<[string, string]>, consent: { analytics: boolean | null; ads: boolean | null } = GRANTED) => ({
  cookies: cookies.map(([name, value]) => ({ name, value })),
  consent,
});

function visitorKeys(storage: DurableObjectStorage): string[] {
  return storage.sql
    .exec<{ site_id: string; fpid: string }>("SELECT site_id, fpid FROM visitor_cookies ORDER BY updated_at")
    .toArray()
    .map((row) => `${row.site_id.slice(0, 1)}:${row.fpid}`);
}

describe("CookieStore", () => {
  it("keys by site and FPID: the same FPID on two sites are two visitors", async () => {
    const store = withStore();
    await store((cookies) => {
      cookies.record(SITE_A, "fpid-1", hit([["_ga", "GA1.1.a"]]), true, 1_000);
      cookies.record(SITE_B, "fpid-1", hit([["_ga", "GA1.1.b"]]), true, 1_000);
      expect(cookies.read(SITE_A, "fpid-1", 2_000, DAY)?.cookies).toEqual([{ name: "_ga", value: "GA1.1.a" }]);
      expect(cookies.read(SITE_B, "fpid-1", 2_000, DAY)?.cookies).toEqual([{ name: "_ga", value: "GA1.1.b" }]);
      expect(cookies.read(SITE_A, "fpid-2", 2_000, DAY)).toBeNull();
    });
  });

  it("replaces the set per hit and follows the latest consent; a denial of everything forgets the visitor", async () => {
    const store = withStore();
    await store((cookies, storage) => {
      cookies.record(SITE_A, "f", hit([["_ga", "1"], ["_ga_X", "2"], ["_gcl_aw", "3"]]), true, 1_000);
      cookies.record(SITE_A, "f", hit([["_ga", "1"], ["_ga_Y", "4"]], { analytics: true, ads: null }), true, 2_000);
      // analytics replaced (_ga_X gone), ads untouched by a hit without an ad signal
      expect(cookies.read(SITE_A, "f", 3_000, DAY)).toEqual({
        cookies: [{ name: "_ga", value: "1" }, { name: "_ga_Y", value: "4" }, { name: "_gcl_aw", value: "3" }],
        consent: { analytics: true, ads: true },
      });
      cookies.record(SITE_A, "f", hit([], { analytics: false, ads: false }), true, 4_000);
      expect(cookies.read(SITE_A, "f", 5_000, DAY)).toBeNull();
      expect(visitorKeys(storage)).toEqual([]);
    });
  });

  it("holds at most maxVisitors rows: the oldest go, never the one just written; the bound holds across a restart", async () => {
    const store = withStore({ maxVisitors: 3, maxBytes: 1_000_000 });
    await store((cookies, storage) => {
      for (let i = 1; i <= 5; i++) cookies.record(SITE_A, `v${i}`, hit([["_ga", `GA1.1.${i}`]]), true, i * 1_000);
      expect(visitorKeys(storage)).toEqual(["1:v3", "1:v4", "1:v5"]);
      // an update of an existing visitor is no new row
      cookies.record(SITE_A, "v3", hit([["_ga", "GA1.1.3b"]]), true, 6_000);
      expect(visitorKeys(storage)).toEqual(["1:v4", "1:v5", "1:v3"]);
    });
    // a new instance over the same storage (a restarted object) counts what is there first
    await store((cookies, storage) => {
      cookies.record(SITE_B, "v6", hit([["_ga", "GA1.1.6"]]), true, 7_000);
      expect(visitorKeys(storage)).toEqual(["1:v5", "1:v3", "2:v6"]);
    });
  });

  it("holds at most maxBytes of names and values in total", async () => {
    const store = withStore({ maxVisitors: 1_000, maxBytes: 50 });
    await store((cookies, storage) => {
      for (let i = 1; i <= 4; i++) cookies.record(SITE_A, `v${i}`, hit([["_ga", "x".repeat(17)]]), true, i * 1_000);
      // 20 bytes a visitor: two fit in 50
      expect(visitorKeys(storage)).toEqual(["1:v3", "1:v4"]);
      const [total] = storage.sql.exec<{ bytes: number }>("SELECT SUM(bytes) AS bytes FROM visitor_cookies").toArray();
      expect(total?.bytes).toBe(40);
    });
  });

  it("enforces the bound through the age index: no scan of the table per write", async () => {
    const store = withStore();
    await store((_cookies, storage) => {
      const plan = (query: string) =>
        storage.sql
          .exec<{ detail: string }>(`EXPLAIN QUERY PLAN ${query}`)
          .toArray()
          .map((row) => row.detail)
          .join(" | ");
      const evict = plan(`DELETE FROM visitor_cookies WHERE rowid = (SELECT rowid FROM visitor_cookies
        WHERE NOT (site_id = 'a' AND fpid = 'b') ORDER BY updated_at LIMIT 1)`);
      expect(evict).toMatch(/USING (COVERING )?INDEX visitor_cookies_age/);
      expect(plan("DELETE FROM visitor_cookies WHERE updated_at < 5")).toMatch(/USING (COVERING )?INDEX visitor_cookies_age/);
      expect(plan("SELECT COUNT(*), SUM(bytes) FROM visitor_cookies INDEXED BY visitor_cookies_age")).toMatch(
        /COVERING INDEX visitor_cookies_age/,
      );
    });
  });

  it("never reads a visitor older than the cookie lifetime; purgeExpired deletes them", async () => {
    const store = withStore();
    await store((cookies, storage) => {
      cookies.record(SITE_A, "old", hit([["_ga", "1"]]), true, 1_000);
      cookies.record(SITE_A, "new", hit([["_ga", "2"]]), true, 10 * DAY);
      expect(cookies.read(SITE_A, "old", 5 * DAY, 7 * DAY)).not.toBeNull();
      expect(cookies.read(SITE_A, "old", 10 * DAY, 7 * DAY)).toBeNull();
      expect(cookies.purgeExpired(10 * DAY, 7 * DAY)).toBe(1);
      expect(visitorKeys(storage)).toEqual(["1:new"]);
    });
  });
});

describe("ContainerObject purges expired preserved cookies in its alarm", () => {
  it("a visitor row older than max_age_days is gone after the alarm; a fresh one stays", async () => {
    const config = makeConfig("cookiepurge");
    mockOutbound({ [ORIGIN]: () => new Response("ok"), "https://control.test": () => new Response(null, { status: 503 }) });
    await pushConfig(config);
    const stub = env.CONTAINER.get(env.CONTAINER.idFromName(config.container_id));
    const siteId = config.sites[0]!.site_id;
    await edgeFetch("https://data.cookiepurge.test/g/collect?v=2&gcs=G111", {
      headers: { Host: "data.cookiepurge.test", Cookie: "FPID=fresh-visitor; _ga=GA1.1.1.1" },
    });
    await vi.waitFor(async () => expect(await stub.preservedCookies(siteId, "fresh-visitor")).not.toBeNull());
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec(
        `INSERT INTO visitor_cookies (site_id, fpid, cookies, bytes, analytics, ads, updated_at)
         VALUES (?, 'stale-visitor', '[{"name":"_ga","value":"GA1.1.0.0"}]', 12, 1, 1, 0)`,
        siteId,
      );
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await runInDurableObject(stub, (_instance, state) => {
      const left = state.storage.sql.exec<{ fpid: string }>("SELECT fpid FROM visitor_cookies").toArray();
      expect(left.map((row) => row.fpid)).toEqual(["fresh-visitor"]);
    });
  });
});
