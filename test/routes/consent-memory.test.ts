/**
 * Contract section 8: consent is remembered both ways, and preserved cookies are per site
 * and bounded. What /boot restores follows the latest hit that carried a consent signal;
 * a visitor's set is replaced by each hit, never accumulated; one site's cookies are never
 * restored on another site of the same container.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { makeConfig, makeTwoSiteConfig, ORIGIN } from "../support/config";
import { edgeFetch, pushConfig } from "../support/edge";
import { mockOutbound } from "../support/outbound";

afterEach(() => vi.restoreAllMocks());

const FPID = "FPID2.2.memory-visitor";

/** The origin answers every hit; the browser's cookies come with the request. */
function quietOrigin() {
  return mockOutbound({ [ORIGIN]: () => new Response("ok") });
}

type Restored = Array<{ name: string; value: string }>;

/** Public requests sent per container: each one's report reaches the object as one log line. */
const sent = new Map<string, number>();

/** Waits until the object has the after-response reports of every request sent so far. */
async function reportsArrived(containerId: string) {
  const stub = env.CONTAINER.get(env.CONTAINER.idFromName(containerId));
  await vi.waitFor(async () => {
    const logs = (await stub.inspect())?.logs;
    expect((logs?.buffered ?? 0) + (logs?.flushed ?? 0) + (logs?.dropped ?? 0)).toBeGreaterThanOrEqual(sent.get(containerId) ?? 0);
  });
}

function edge(name: string, host = `data.${name}.test`) {
  const count = (containerId: string) => sent.set(containerId, (sent.get(containerId) ?? 0) + 1);
  return {
    /** A GA4 hit with `cookies` and `gcs`; resolves once the object has its after-response report. */
    async hit(containerId: string, cookies: string, gcs: string | null, onHost = host) {
      const query = gcs ? `?v=2&gcs=${gcs}` : "?v=2";
      const response = await edgeFetch(`https://${onHost}/g/collect${query}`, { headers: { Host: onHost, Cookie: cookies } });
      expect(response.status).toBe(200);
      count(containerId);
      await reportsArrived(containerId);
    },
    async boot(containerId: string, loaderToken: string, body: Record<string, unknown> = {}, onHost = host): Promise<Restored> {
      count(containerId);
      const response = await edgeFetch(`https://${onHost}/boot`, {
        method: "POST",
        headers: { Host: onHost, Cookie: `FPID=${FPID}` },
        body: JSON.stringify({ loader_token: loaderToken, ...body }),
      });
      expect(response.status).toBe(200);
      const restored = (await response.json<{ restoreCookies: Restored }>()).restoreCookies;
      return restored.map(({ name, value }) => ({ name, value }));
    },
  };
}

const ALL = `FPID=${FPID}; _ga=GA1.1.111.222; _ga_ABC=GS1.1.1.1; _gcl_aw=GCL.1.aw`;

describe("consent is remembered both ways (section 8)", () => {
  it("a later hit denying both kinds removes what an earlier grant preserved", async () => {
    const config = makeConfig("withdraw");
    quietOrigin();
    await pushConfig(config);
    const { hit, boot } = edge("withdraw");
    await hit(config.container_id, ALL, "G111");
    // control: the grant preserved them
    expect(await boot(config.container_id, config.loader_token)).toEqual([
      { name: "_ga", value: "GA1.1.111.222" },
      { name: "_ga_ABC", value: "GS1.1.1.1" },
      { name: "_gcl_aw", value: "GCL.1.aw" },
    ]);
    await hit(config.container_id, ALL, "G100");
    expect(await boot(config.container_id, config.loader_token)).toEqual([]);
    // the page's own gcs cannot bring back what the latest hit denied
    expect(await boot(config.container_id, config.loader_token, { gcs: "G111" })).toEqual([]);
  });

  it("denying ads removes the ad cookies only; denying analytics the analytics cookies only", async () => {
    const config = makeConfig("withdrawone");
    quietOrigin();
    await pushConfig(config);
    const { hit, boot } = edge("withdrawone");
    await hit(config.container_id, ALL, "G111");
    await hit(config.container_id, ALL, "G101");
    const analyticsOnly = [
      { name: "_ga", value: "GA1.1.111.222" },
      { name: "_ga_ABC", value: "GS1.1.1.1" },
    ];
    expect(await boot(config.container_id, config.loader_token)).toEqual(analyticsOnly);
    expect(await boot(config.container_id, config.loader_token, { gcs: "G111" })).toEqual(analyticsOnly);
    await hit(config.container_id, ALL, "G111");
    await hit(config.container_id, ALL, "G110");
    expect(await boot(config.container_id, config.loader_token)).toEqual([{ name: "_gcl_aw", value: "GCL.1.aw" }]);
  });

  it("a hit without a consent signal changes nothing; /boot's own denial is honoured too (controls)", async () => {
    const config = makeConfig("nosignal");
    quietOrigin();
    await pushConfig(config);
    const { hit, boot } = edge("nosignal");
    await hit(config.container_id, ALL, "G111");
    await hit(config.container_id, `FPID=${FPID}`, null);
    expect(await boot(config.container_id, config.loader_token)).toHaveLength(3);
    expect(await boot(config.container_id, config.loader_token, { gcs: "G100" })).toEqual([]);
  });
});

describe("preserved cookies are per site and bounded (section 8)", () => {
  it("each hit replaces the visitor's set: a cookie the browser no longer has is not restored", async () => {
    const config = makeConfig("replace");
    quietOrigin();
    await pushConfig(config);
    const { hit, boot } = edge("replace");
    await hit(config.container_id, `FPID=${FPID}; _ga=GA1.1.1.1; _ga_OLD=GS1.1.old`, "G111");
    await hit(config.container_id, `FPID=${FPID}; _ga=GA1.1.1.1; _ga_NEW=GS1.1.new`, "G111");
    expect(await boot(config.container_id, config.loader_token)).toEqual([
      { name: "_ga", value: "GA1.1.1.1" },
      { name: "_ga_NEW", value: "GS1.1.new" },
    ]);
  });

  it("at most 20 cookies per visitor per site, FPID and _ga first", async () => {
    const config = makeConfig("bounded");
    quietOrigin();
    await pushConfig(config);
    const { hit, boot } = edge("bounded");
    const many = Array.from({ length: 30 }, (_, i) => `_ga_P${String(i).padStart(2, "0")}=GS1.1.${i}`).join("; ");
    await hit(config.container_id, `${many}; _ga=GA1.1.9.9; FPID=${FPID}`, "G111");
    const restored = await boot(config.container_id, config.loader_token);
    // 20 kept, FPID among them (never restored: HttpOnly), so 19 come back
    expect(restored).toHaveLength(19);
    expect(restored).toContainEqual({ name: "_ga", value: "GA1.1.9.9" });
  });

  it("at most 8 KB of names and values per visitor per site", async () => {
    const config = makeConfig("boundedbytes");
    quietOrigin();
    await pushConfig(config);
    const { hit, boot } = edge("boundedbytes");
    const big = Array.from({ length: 4 }, (_, i) => `_ga_BIG${i}=${String(i).repeat(3_000)}`).join("; ");
    await hit(config.container_id, `FPID=${FPID}; _ga=GA1.1.1.1; ${big}`, "G111");
    const restored = await boot(config.container_id, config.loader_token);
    const bytes = FPID.length + 4 + restored.reduce((sum, { name, value }) => sum + name.length + value.length, 0);
    expect(bytes).toBeLessThanOrEqual(8 * 1024);
    expect(restored.map((cookie) => cookie.name)).toEqual(["_ga", "_ga_BIG0", "_ga_BIG1"]);
  });

  it("a site's cookies are never restored on another site of the container, even for the same FPID", async () => {
    const config = makeTwoSiteConfig("persite");
    quietOrigin();
    await pushConfig(config);
    const shop = edge("persite");
    const blog = edge("persite", "data.persite-blog.test");
    await shop.hit(config.container_id, ALL, "G111");
    expect(await shop.boot(config.container_id, config.loader_token)).toHaveLength(3);
    expect(await blog.boot(config.container_id, config.loader_token)).toEqual([]);
    await blog.hit(config.container_id, `FPID=${FPID}; _ga=GA1.1.blog.1`, "G111");
    expect(await blog.boot(config.container_id, config.loader_token)).toEqual([{ name: "_ga", value: "GA1.1.blog.1" }]);
    expect(await shop.boot(config.container_id, config.loader_token)).toHaveLength(3);
  });
});
