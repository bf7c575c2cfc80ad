/** Soft quota (plan.overage_percent, docs/power-ups.md): the pause point moves, its exactness stays. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { usagePauseAt } from "../../src/shared/soft-quota";
import { makeConfig, ORIGIN } from "../support/config";
import { admin, edgeFetch, pushConfig, usageOf } from "../support/edge";
import { echoOrigin as echo, mockOutbound } from "../support/outbound";

afterEach(() => vi.restoreAllMocks());

describe("usagePauseAt", () => {
  it.each([
    [{ monthly_request_limit: 10, auto_upgrade: false }, 10],
    [{ monthly_request_limit: 10, auto_upgrade: false, overage_percent: 0 }, 10],
    [{ monthly_request_limit: 10, auto_upgrade: false, overage_percent: 20 }, 12],
    [{ monthly_request_limit: 10, auto_upgrade: false, overage_percent: 15 }, 11],
    [{ monthly_request_limit: 1, auto_upgrade: false, overage_percent: 50 }, 1],
    [{ monthly_request_limit: 1_000_000, auto_upgrade: false, overage_percent: 50 }, 1_500_000],
    [{ monthly_request_limit: null, auto_upgrade: false, overage_percent: 50 }, null],
    [{ monthly_request_limit: 10, auto_upgrade: true, overage_percent: 20 }, null],
  ])("%j -> %s", (plan, pauseAt) => {
    expect(usagePauseAt(plan)).toBe(pauseAt);
  });
});

describe("soft quota in the container object", () => {
  it("20 concurrent requests against limit 10 + 20%: exactly 12 reach the origin, then 402", async () => {
    const config = makeConfig("soft", { plan: { monthly_request_limit: 10, auto_upgrade: false, overage_percent: 20 } });
    const outbound = mockOutbound({ [ORIGIN]: echo });
    await pushConfig(config);
    const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => edgeFetch(`https://www.soft.test/g/collect?n=${i}`)));
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(12);
    expect(statuses.filter((status) => status === 402)).toHaveLength(8);
    expect(outbound.requests).toHaveLength(12);
    const inspected = await (await admin(`containers/${config.container_id}`)).json<{ paused: { reason: string } | null }>();
    expect(inspected.paused?.reason).toBe("usage_limit");
    expect(await usageOf(config.container_id)).toBe(12);
  });

  it("waves of concurrent requests (leases on) never pass limit 40 + 50% = 60", async () => {
    const config = makeConfig("softwaves", { plan: { monthly_request_limit: 40, auto_upgrade: false, overage_percent: 50 } });
    const outbound = mockOutbound({ [ORIGIN]: echo });
    await pushConfig(config);
    let ok = 0;
    for (let wave = 0; wave < 5; wave++) {
      const responses = await Promise.all(Array.from({ length: 25 }, (_, i) => edgeFetch(`https://www.softwaves.test/g/collect?w=${wave}&n=${i}`)));
      ok += responses.filter((response) => response.status === 200).length;
    }
    expect(ok).toBe(60);
    expect(outbound.requests).toHaveLength(60);
    expect(await usageOf(config.container_id)).toBe(60);
  });

  it("a push that removes the overage pauses at the plain limit again", async () => {
    const config = makeConfig("softoff", { plan: { monthly_request_limit: 2, auto_upgrade: false, overage_percent: 50 } });
    mockOutbound({ [ORIGIN]: echo });
    await pushConfig(config);
    for (let i = 0; i < 3; i++) expect((await edgeFetch("https://www.softoff.test/a")).status).toBe(200);
    expect((await edgeFetch("https://www.softoff.test/a")).status).toBe(402);
    await pushConfig({ ...config, config_version: 2, plan: { monthly_request_limit: 2, auto_upgrade: false } });
    expect((await edgeFetch("https://www.softoff.test/a")).status).toBe(402);
    await pushConfig({ ...config, config_version: 3, plan: { monthly_request_limit: 2, auto_upgrade: false, overage_percent: 50 } });
    expect((await edgeFetch("https://www.softoff.test/a")).status).toBe(402);
    await pushConfig({ ...config, config_version: 4, plan: { monthly_request_limit: 3, auto_upgrade: false, overage_percent: 50 } });
    expect((await edgeFetch("https://www.softoff.test/a")).status).toBe(200);
  });
});
