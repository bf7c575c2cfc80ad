/**
 * The Worker's lease path, end to end in workerd. Leases are planted directly (the test
 * shares the Worker's module instances), because driving 200+ requests a second through
 * the test runtime would make the test about timing, not about behaviour.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { endLease, holdLease } from "../../src/pipeline/leases";
import { encodeRecoveryParam } from "../../src/modules/recovery-path";
import { makeConfig, ORIGIN } from "../support/config";
import { admin, edgeFetch, pushConfig, usageOf } from "../support/edge";
import { mockOutbound } from "../support/outbound";

afterEach(() => vi.restoreAllMocks());

const today = () => new Date().toISOString().slice(0, 10);

function plant(containerId: string, version: number, slots: number) {
  const given: number[] = [];
  holdLease(containerId, version, { slots, day: today() }, Date.now(), async (lease) => given.push(lease.slots), () => undefined);
  return given;
}

describe("requests served from a lease", () => {
  it("skip the object while slots last, then the object decides again", async () => {
    const config = makeConfig("leased");
    const outbound = mockOutbound({ [ORIGIN]: () => new Response("ok") });
    await pushConfig(config);
    await edgeFetch("https://www.leased.test/g/collect");
    plant(config.container_id, 1, 2);
    for (let i = 0; i < 3; i++) expect((await edgeFetch("https://www.leased.test/g/collect")).status).toBe(200);
    expect(outbound.requests).toHaveLength(4);
    // the planted slots were not counted by the object (a real lease is counted when granted)
    expect(await usageOf(config.container_id)).toBe(2);
    await endLease(config.container_id);
  });

  it("cover only keys and modules of the config version they were granted for", async () => {
    const config = makeConfig("leasecheck", {
      modules: { sgtm_proxy: true, gtm_recovery: false, cookie_keeper: true, adblock_itp_detection: true, custom_domain: true },
    });
    const outbound = mockOutbound({ [ORIGIN]: () => new Response("ok") });
    await pushConfig(config);
    await edgeFetch("https://www.leasecheck.test/g/collect");
    plant(config.container_id, 1, 10);
    const token = config.sites[0]!.container_token;
    const recovery = await edgeFetch(`https://www.leasecheck.test/k/${token}?p=${encodeRecoveryParam("/g/collect?v=2")}`);
    expect(recovery.status).toBe(404);
    plant(config.container_id, 99, 10);
    await edgeFetch("https://www.leasecheck.test/g/collect");
    expect(await usageOf(config.container_id)).toBe(2);
    expect(outbound.requests).toHaveLength(2);
    await endLease(config.container_id);
  });

  it("a pause through this isolate ends the lease at once and gives back its rest", async () => {
    const config = makeConfig("leasepause");
    const outbound = mockOutbound({ [ORIGIN]: () => new Response("ok") });
    await pushConfig(config);
    await edgeFetch("https://www.leasepause.test/g/collect");
    const given = plant(config.container_id, 1, 5);
    await edgeFetch("https://www.leasepause.test/g/collect");
    await admin(`containers/${config.container_id}/pause`, { method: "POST", json: { reason: "ops" } });
    expect((await edgeFetch("https://www.leasepause.test/g/collect")).status).toBe(402);
    expect(given).toEqual([4]);
    expect(outbound.requests).toHaveLength(2);
  });
});
