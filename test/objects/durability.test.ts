/** Every count and state of the object survives a restart (contract section 2). */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { makeConfig, ORIGIN } from "../support/config";
import { edgeFetch, pushConfig, usageOf } from "../support/edge";
import { echoOrigin as echo, mockOutbound } from "../support/outbound";

afterEach(() => vi.restoreAllMocks());

describe("durability", () => {
  it("a restarted object keeps its config, pause state and every count", async () => {
    const config = makeConfig("restart");
    mockOutbound({ [ORIGIN]: echo });
    await pushConfig(config);
    for (let i = 0; i < 5; i++) await edgeFetch("https://www.restart.test/g/collect");
    // Through the admin API: this isolate's unused lease slots go back first.
    expect(await usageOf(config.container_id)).toBe(5);
    const id = env.CONTAINER.idFromName(config.container_id);
    await runInDurableObject(env.CONTAINER.get(id), (_instance, state) => {
      state.abort("simulated restart");
    }).catch(() => undefined);
    const fresh = env.CONTAINER.get(id);
    expect((await fresh.inspect())?.usage.month_requests).toBe(5);
    expect(await usageOf(config.container_id)).toBe(5);
    expect((await edgeFetch("https://www.restart.test/g/collect")).status).toBe(200);
    expect(await usageOf(config.container_id)).toBe(6);
  });
});
