import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { makeConfig } from "../support/config";
import { admin, pushConfig } from "../support/edge";

/** Asks the container's object directly, the way the Worker does, for `want` lease slots. */
function asker(config: ReturnType<typeof makeConfig>) {
  const stub = env.CONTAINER.get(env.CONTAINER.idFromName(config.container_id));
  const site = config.sites[0]!;
  return {
    stub,
    ask: (kind: "proxy" | "loader" = "proxy", want = 50) =>
      stub.admit({
        containerId: config.container_id,
        key: kind === "proxy" ? `host:${site.primary_host}` : `loader:${config.loader_token}`,
        kind,
        knownVersion: 1,
        want,
      }),
  };
}

async function monthRequests(containerId: string) {
  return (await (await admin(`containers/${containerId}`)).json<{ usage: { month_requests: number } }>()).usage
    .month_requests;
}

describe("ContainerObject leases", () => {
  it("grants the slots asked for on an unlimited plan, counted at once, and takes back the unused", async () => {
    const config = makeConfig("lease-unlimited");
    await pushConfig(config);
    const { stub, ask } = asker(config);
    const decision = await ask();
    expect(decision).toMatchObject({ status: "ok", lease: { slots: 50, day: new Date().toISOString().slice(0, 10) } });
    expect(await monthRequests(config.container_id)).toBe(51);
    await stub.returnLease({ slots: 20, day: new Date().toISOString().slice(0, 10) });
    expect(await monthRequests(config.container_id)).toBe(31);
  });

  it("grants a block only while two are left under the limit, so the limit stays exact", async () => {
    const config = makeConfig("lease-limited", { plan: { monthly_request_limit: 10, auto_upgrade: false } });
    await pushConfig(config);
    const ask = () => asker(config).ask("proxy", 4);
    const grants: number[] = [];
    let admitted = 0;
    for (let i = 0; i < 12; i++) {
      const decision = await ask();
      if (decision.status !== "ok") break;
      admitted += 1 + (decision.lease?.slots ?? 0);
      grants.push(decision.lease?.slots ?? 0);
    }
    expect(admitted).toBe(10);
    expect(grants).toEqual([4, 0, 0, 0, 0, 0]);
    expect(await monthRequests(config.container_id)).toBe(10);
    expect(await ask()).toEqual({ status: "paused", reason: "usage_limit", version: 1 });
  });

  it("grants slots with an uncounted request without counting the request; nothing to a paused container", async () => {
    const config = makeConfig("lease-none");
    await pushConfig(config);
    const { stub, ask } = asker(config);
    expect(await ask("loader", 0)).toEqual({ status: "ok", version: 1 });
    expect(await ask("loader", 5)).toMatchObject({ status: "ok", version: 1, lease: { slots: 5 } });
    expect(await monthRequests(config.container_id)).toBe(5);
    await admin(`containers/${config.container_id}/pause`, { method: "POST", json: { reason: "ops" } });
    expect(await ask()).toEqual({ status: "paused", reason: "ops", version: 1 });
    expect(await stub.topUp({ containerId: config.container_id, knownVersion: 1, want: 50 })).toEqual({
      status: "paused",
      reason: "ops",
      version: 1,
    });
    expect(await monthRequests(config.container_id)).toBe(5);
  });

  it("a top-up counts no request of its own: only its slots, and sends the config only when newer", async () => {
    const config = makeConfig("lease-topup", { plan: { monthly_request_limit: 10, auto_upgrade: false } });
    await pushConfig(config);
    const { stub } = asker(config);
    const topUp = (want: number, knownVersion = 1) => stub.topUp({ containerId: config.container_id, knownVersion, want });
    expect(await topUp(0)).toEqual({ status: "ok", version: 1 });
    expect(await topUp(100)).toEqual({ status: "ok", version: 1 });
    expect(await topUp(3)).toMatchObject({ status: "ok", lease: { slots: 3 } });
    expect(await topUp(3, 0)).toMatchObject({ status: "ok", config: { config_version: 1 }, lease: { slots: 3 } });
    expect(await topUp(3)).toEqual({ status: "ok", version: 1 });
    expect(await monthRequests(config.container_id)).toBe(6);
  });
});
