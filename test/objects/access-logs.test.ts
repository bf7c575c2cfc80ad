/** Access records: Analytics Engine points and raw lines to R2 through the object's outbox. */
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { makeConfig, ORIGIN } from "../support/config";
import { edgeFetch, pushConfig } from "../support/edge";
import { echoOrigin as echo, mockOutbound } from "../support/outbound";

afterEach(() => vi.restoreAllMocks());

describe("access logs", () => {
  it("lines reach R2 through the object's alarm, and a failing R2 loses none", async () => {
    const config = makeConfig("logs");
    mockOutbound({ [ORIGIN]: echo });
    await pushConfig(config);
    for (let i = 0; i < 3; i++) await edgeFetch("https://www.logs.test/g/collect");
    const stub = env.CONTAINER.get(env.CONTAINER.idFromName(config.container_id));
    await vi.waitFor(async () => {
      expect((await stub.inspect())?.logs.buffered).toBe(3);
    });
    const put = vi.spyOn(env.LOGS, "put").mockRejectedValueOnce(new Error("R2 down"));
    await runDurableObjectAlarm(stub);
    expect((await stub.inspect())?.logs).toMatchObject({ buffered: 3, failed_flushes: 1 });
    put.mockRestore();
    await runDurableObjectAlarm(stub);
    expect((await stub.inspect())?.logs).toMatchObject({ buffered: 0, flushed: 3 });
    const listed = await env.LOGS.list({ prefix: `logs/${config.container_id}/` });
    const body = await (await env.LOGS.get(listed.objects[0]!.key))!.text();
    const lines = body.trim().split("\n").map((line) => JSON.parse(line));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({ container_id: config.container_id, status: 200, path_class: "collect" });
    expect(JSON.stringify(lines)).not.toContain("203.0.113");
  });

  it("a failing Analytics Engine never changes the response, and the R2 line is still kept", async () => {
    const config = makeConfig("aefail");
    mockOutbound({ [ORIGIN]: echo });
    await pushConfig(config);
    vi.spyOn(env.ACCESS_LOG, "writeDataPoint").mockImplementation(() => {
      throw new Error("AE down");
    });
    const response = await edgeFetch("https://www.aefail.test/g/collect");
    expect(response.status).toBe(200);
    const stub = env.CONTAINER.get(env.CONTAINER.idFromName(config.container_id));
    await vi.waitFor(async () => expect((await stub.inspect())?.logs.buffered).toBe(1));
  });
});
