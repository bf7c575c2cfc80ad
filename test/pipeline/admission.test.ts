/**
 * The warm path in workerd: a warm isolate admits on the object's last word and its lease,
 * and learns of changes made elsewhere (here: straight on the object, as another isolate's
 * admin call would) within the stated bounds: about REFRESH_MS with steady traffic,
 * STATE_TTL_MS at most (docs/scaling.md).
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { parseEdgeConfig, type EdgeConfigInput } from "../../src/shared/edge-config";
import { knownState, LEASE_TTL_MS, MIN_BLOCK, REFRESH_MS, STATE_TTL_MS } from "../../src/pipeline/leases";
import { makeConfig, ORIGIN } from "../support/config";
import { edgeFetch, pushConfig, usageOf } from "../support/edge";
import { mockOutbound } from "../support/outbound";

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const objectOf = (config: EdgeConfigInput) => env.CONTAINER.get(env.CONTAINER.idFromName(config.container_id));
/** What the object itself has counted, without this isolate giving its lease back first (as the admin API does). */
const objectCount = async (config: EdgeConfigInput) => (await objectOf(config).inspect())!.usage.month_requests;
const loader = (config: EdgeConfigInput) => edgeFetch(`https://${config.edge_hostname}/l/${config.loader_token}.js`);
const hit = (host: string) => edgeFetch(`https://${host}/g/collect?v=2`);

/** Waits until this isolate's top-up has brought the object's word back. */
async function untilHeard(containerId: string, since: number) {
  await vi.waitFor(() => expect(knownState(containerId)?.heardAt ?? 0).toBeGreaterThan(since), { timeout: 2_000 });
}

describe("a warm isolate", () => {
  it("spends counted slots without asking: the object counted a block at the first request, usage stays exact", async () => {
    const config = makeConfig("warm");
    const outbound = mockOutbound({ [ORIGIN]: () => new Response("ok") });
    await pushConfig(config);
    const host = config.sites[0]!.primary_host;
    expect((await hit(host)).status).toBe(200);
    const granted = await objectCount(config);
    expect(granted).toBeGreaterThanOrEqual(MIN_BLOCK);
    // Two more requests on slots (not yet half the block): the object's count does not move.
    for (let i = 0; i < 2; i++) expect((await hit(host)).status).toBe(200);
    expect(await objectCount(config)).toBe(granted);
    expect(outbound.requests).toHaveLength(3);
    expect(await usageOf(config.container_id)).toBe(3);
  });

  it("serves the loader from its word, without the object, until that word is too old", async () => {
    const config = makeConfig("warmloader");
    mockOutbound({});
    await pushConfig(config);
    expect((await loader(config)).status).toBe(200);
    await objectOf(config).pause("ops");
    // Positive control: paused at the object, yet this isolate's word still serves it.
    expect((await loader(config)).status).toBe(200);
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + STATE_TTL_MS + 1 });
    expect((await loader(config)).status).toBe(402);
  });
});

describe("changes made elsewhere reach this isolate", () => {
  it("a pause: within about a second with steady traffic", async () => {
    const config = makeConfig("farpause");
    const outbound = mockOutbound({ [ORIGIN]: () => new Response("ok") });
    await pushConfig(config);
    const host = config.sites[0]!.primary_host;
    expect((await hit(host)).status).toBe(200);
    const pausedAt = Date.now();
    await objectOf(config).pause("ops");
    expect((await hit(host)).status).toBe(200);
    let status = 200;
    while (status === 200 && Date.now() - pausedAt < REFRESH_MS * 3) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      status = (await hit(host)).status;
    }
    expect(status).toBe(402);
    expect(Date.now() - pausedAt).toBeLessThan(REFRESH_MS * 2);
    expect(await usageOf(config.container_id)).toBe(outbound.requests.length);
  });

  it("a pause: a counted request at most LEASE_TTL_MS after the last word", async () => {
    const config = makeConfig("leasepause10");
    mockOutbound({ [ORIGIN]: () => new Response("ok") });
    await pushConfig(config);
    const host = config.sites[0]!.primary_host;
    expect((await hit(host)).status).toBe(200);
    await objectOf(config).pause("ops");
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + LEASE_TTL_MS - 100 });
    // Positive control: within the lease's life the slot still serves.
    expect((await hit(host)).status).toBe(200);
    vi.setSystemTime(Date.now() + 200);
    expect((await hit(host)).status).toBe(402);
  });

  it("a pause: at the first request after STATE_TTL_MS without traffic, at most", async () => {
    const config = makeConfig("quietpause");
    mockOutbound({ [ORIGIN]: () => new Response("ok") });
    await pushConfig(config);
    const host = config.sites[0]!.primary_host;
    expect((await hit(host)).status).toBe(200);
    await objectOf(config).pause("ops");
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + STATE_TTL_MS + 1 });
    expect((await hit(host)).status).toBe(402);
  });

  it("a resume at once: a paused container's requests are decided by the object", async () => {
    const config = makeConfig("farresume");
    mockOutbound({ [ORIGIN]: () => new Response("ok") });
    await pushConfig(config);
    const host = config.sites[0]!.primary_host;
    await objectOf(config).pause("ops");
    expect((await hit(host)).status).toBe(402);
    await objectOf(config).resume();
    expect((await hit(host)).status).toBe(200);
  });

  it("a removed host: with the next word (a newer version), its requests go to the object and get 404", async () => {
    const config = makeConfig("farremove");
    mockOutbound({ [ORIGIN]: () => new Response("ok") });
    await pushConfig(config);
    const data = config.sites[0]!.tracked_domains![0]!;
    expect((await hit(data)).status).toBe(200);
    const { config: v2 } = parseEdgeConfig({ ...config, config_version: 2, sites: [{ ...config.sites[0]!, tracked_domains: [] }] }) as {
      config: Parameters<ReturnType<typeof objectOf>["applyConfig"]>[0];
    };
    const movedAt = Date.now();
    await objectOf(config).applyConfig(v2);
    expect((await hit(data)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, REFRESH_MS));
    await hit(config.sites[0]!.primary_host);
    await untilHeard(config.container_id, movedAt + REFRESH_MS - 1);
    expect((await hit(data)).status).toBe(404);
    expect((await hit(config.sites[0]!.primary_host)).status).toBe(200);
  });

  it("a delete: the next word forgets the container", async () => {
    const config = makeConfig("farremoved");
    mockOutbound({ [ORIGIN]: () => new Response("ok"), "https://control.test": () => new Response("gone", { status: 404 }) });
    await pushConfig(config);
    const host = config.sites[0]!.primary_host;
    expect((await hit(host)).status).toBe(200);
    await objectOf(config).deleteContainer();
    await new Promise((resolve) => setTimeout(resolve, REFRESH_MS));
    await hit(host);
    await vi.waitFor(() => expect(knownState(config.container_id)).toBeUndefined(), { timeout: 2_000 });
    expect((await hit(host)).status).toBe(404);
  });
});
