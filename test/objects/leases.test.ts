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

  it("never grants more than half of what is left under the limit, so the limit stays exact", async () => {
    const config = makeConfig("lease-limited", { plan: { monthly_request_limit: 10, auto_upgrade: false } });
    await pushConfig(config);
    const ask = () => asker(config).ask("proxy", 100);
    const grants: number[] = [];
    let admitted = 0;
    for (let i = 0; i < 12; i++) {
      const decision = await ask();
      if (decision.status !== "ok") break;
      admitted += 1 + (decision.lease?.slots ?? 0);
      grants.push(decision.lease?.slots ?? 0);
    }
    expect(admitted).toBe(10);
    expect(grants[0]).toBe(4);
    expect(await monthRequests(config.container_id)).toBe(10);
    expect(await ask()).toEqual({ status: "paused", reason: "usage_limit", version: 1 });
  });

  it("grants nothing for uncounted kinds, or to a paused container", async () => {
    const config = makeConfig("lease-none");
    await pushConfig(config);
    const { ask } = asker(config);
    expect(await ask("loader")).toEqual({ status: "ok", version: 1 });
    await admin(`containers/${config.container_id}/pause`, { method: "POST", json: { reason: "ops" } });
    expect(await ask()).toEqual({ status: "paused", reason: "ops", version: 1 });
    expect(await monthRequests(config.container_id)).toBe(0);
  });
});
