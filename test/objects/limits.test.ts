/** The container object enforces the plan in real time (contract section 2). */
import { afterEach, describe, expect, it, vi } from "vitest";
import { makeConfig, ORIGIN } from "../support/config";
import { admin, edgeFetch, pushConfig, usageOf } from "../support/edge";
import { echoOrigin as echo, mockOutbound } from "../support/outbound";

afterEach(() => vi.restoreAllMocks());

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
