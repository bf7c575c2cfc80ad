/**
 * R2 and Analytics Engine failing for minutes, as binding faults, then recovering: responses
 * never change, every raw line reaches R2 exactly once after recovery (counted end to end, in
 * the bucket), and the outbox bound drops the oldest lines only beyond 50,000, counted and
 * visible through the admin API. The outage's minutes are the object's retry schedule
 * (src/objects/outbox.ts: 2 s doubling to 5 min), its alarms run one after another.
 */
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { logLine } from "../../../src/modules/access-log";
import { makeConfig, ORIGIN } from "../../support/config";
import { admin, edgeFetch, pushConfig } from "../../support/edge";
import { echoOrigin, mockOutbound } from "../../support/outbound";
import { reportRow } from "./matrix";

afterEach(() => vi.restoreAllMocks());

const stubOf = (containerId: string) => env.CONTAINER.get(env.CONTAINER.idFromName(containerId));

async function logsOf(containerId: string) {
  const inspection = await stubOf(containerId).inspect();
  return inspection!.logs;
}

/** Every line in R2 for the container, and each object's outbox entry range (from its key). */
async function linesInR2(containerId: string) {
  const ranges: Array<[number, number]> = [];
  let lines = 0;
  let cursor: string | undefined;
  do {
    const page = await env.LOGS.list({ prefix: `logs/${containerId}/`, cursor });
    for (const object of page.objects) {
      const [, first, last] = /-(\d+)-(\d+)\.ndjson$/.exec(object.key)!;
      ranges.push([Number(first), Number(last)]);
      lines += (await (await env.LOGS.get(object.key))!.text()).trim().split("\n").length;
    }
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  ranges.sort((a, b) => a[0] - b[0]);
  const overlapping = ranges.filter((range, i) => i > 0 && range[0] <= ranges[i - 1]![1]).length;
  return { lines, objects: ranges.length, overlapping };
}

/** The delay of the object's next alarm (its retry), in ms. */
async function nextAlarmIn(containerId: string): Promise<number> {
  return runInDurableObject(stubOf(containerId), async (_instance, state) => {
    const at = await state.storage.getAlarm();
    return at === null ? 0 : at - Date.now();
  });
}

async function drain(containerId: string) {
  for (let run = 0; run < 200 && (await logsOf(containerId)).buffered > 0; run++) await runDurableObjectAlarm(stubOf(containerId));
}

describe("access logs through an R2 and Analytics Engine outage", () => {
  it("failing for minutes: every response unchanged, every line in R2 exactly once after recovery", async () => {
    const configs = [makeConfig("r2out-a"), makeConfig("r2out-b"), makeConfig("r2out-c")];
    mockOutbound({ [ORIGIN]: echoOrigin });
    for (const config of configs) expect((await pushConfig(config)).status).toBe(200);
    const aeFailures = { count: 0 };
    vi.spyOn(env.ACCESS_LOG, "writeDataPoint").mockImplementation(() => {
      aeFailures.count++;
      throw new Error("Analytics Engine unavailable (injected)");
    });
    const r2Put = vi.spyOn(env.LOGS, "put").mockRejectedValue(new Error("R2 unavailable (injected)"));

    const WAVES = 7;
    const PER_WAVE = 8;
    let sent = 0;
    let ok = 0;
    const retryDelays: number[] = [];
    for (let wave = 0; wave < WAVES; wave++) {
      for (const config of configs) {
        for (let i = 0; i < PER_WAVE; i++) {
          const response = await edgeFetch(`https://www.${config.edge_hostname.split(".")[0]}.test/g/collect?v=2&w=${wave}&i=${i}`);
          sent++;
          if (response.status === 200 && (await response.text()).startsWith("GET /g/collect")) ok++;
        }
      }
      for (const config of configs) {
        await vi.waitFor(async () => expect((await logsOf(config.container_id)).buffered).toBe((wave + 1) * PER_WAVE));
        await runDurableObjectAlarm(stubOf(config.container_id));
      }
      retryDelays.push(await nextAlarmIn(configs[0]!.container_id));
    }
    expect(ok).toBe(sent);
    expect(aeFailures.count).toBe(sent);
    const outage = await logsOf(configs[0]!.container_id);
    expect(outage.failed_flushes).toBeGreaterThanOrEqual(WAVES);
    expect(outage.flushed).toBe(0);
    // The retries back off: the last one is minutes after the one before it.
    expect(retryDelays.at(-1)!).toBeGreaterThan(60_000);
    const scheduleMs = retryDelays.reduce((sum, delay) => sum + Math.max(delay, 0), 0);

    r2Put.mockRestore();
    vi.restoreAllMocks();
    let delivered = 0;
    for (const config of configs) {
      await drain(config.container_id);
      const logs = await logsOf(config.container_id);
      const r2 = await linesInR2(config.container_id);
      expect(logs).toMatchObject({ buffered: 0, flushed: WAVES * PER_WAVE, dropped: 0 });
      expect(r2.lines).toBe(WAVES * PER_WAVE);
      expect(r2.overlapping).toBe(0);
      delivered += r2.lines;
    }
    reportRow({
      id: "r2-ae-outage",
      fault: `R2 and Analytics Engine failing across ${WAVES} retries (${Math.round(scheduleMs / 60_000)} min of back-off), then recovering`,
      client: "200, body unchanged",
      served: ok,
      lost: sent - delivered,
      recovered: "first alarm after recovery (all lines in R2)",
      detail: `${delivered}/${sent} lines in R2, none twice; retry delays ${retryDelays.map((d) => `${Math.round(d / 1000)}s`).join(", ")}; ` +
        `${aeFailures.count} Analytics Engine points not written (not retried: R2 keeps the line)`,
    });
  });

  it("an R2 write that landed but whose answer was lost is not delivered twice", async () => {
    const config = makeConfig("r2ack");
    mockOutbound({ [ORIGIN]: echoOrigin });
    await pushConfig(config);
    const put = env.LOGS.put.bind(env.LOGS);
    const r2Put = vi.spyOn(env.LOGS, "put").mockImplementation(async (...args: Parameters<R2Bucket["put"]>) => {
      await put(...args);
      throw new Error("R2 answer lost (injected): the object was written");
    });
    const send = async (n: number) => {
      for (let i = 0; i < n; i++) expect((await edgeFetch(`https://www.r2ack.test/g/collect?i=${i}`)).status).toBe(200);
    };
    await send(5);
    await vi.waitFor(async () => expect((await logsOf(config.container_id)).buffered).toBe(5));
    await runDurableObjectAlarm(stubOf(config.container_id));
    expect((await logsOf(config.container_id)).failed_flushes).toBe(1);
    // More lines arrive before the retry.
    await send(5);
    await vi.waitFor(async () => expect((await logsOf(config.container_id)).buffered).toBe(10));
    r2Put.mockRestore();
    await drain(config.container_id);
    const r2 = await linesInR2(config.container_id);
    expect(await logsOf(config.container_id)).toMatchObject({ buffered: 0, flushed: 10 });
    expect(r2).toMatchObject({ lines: 10, overlapping: 0 });
    reportRow({
      id: "r2-ack-lost",
      fault: "R2 stores a batch but its answer is lost, more lines arrive before the retry",
      client: "200",
      served: 10,
      lost: 0,
      recovered: "next alarm",
      detail: `${r2.lines} lines in ${r2.objects} R2 object(s), none twice`,
    });
  });

  it("the outbox bound: beyond 50,000 pending lines the oldest go, counted and visible in the admin API", async () => {
    const config = makeConfig("r2bound");
    mockOutbound({ [ORIGIN]: echoOrigin });
    await pushConfig(config);
    vi.spyOn(env.LOGS, "put").mockRejectedValue(new Error("R2 unavailable (injected)"));
    const line = logLine({
      ts: Date.now(), container_id: config.container_id, site_id: null, host: "www.r2bound.test", path_class: "collect",
      method: "GET", status: 200, latency_ms: 3, recovered: false, paused: false, country: null, config_version: 1,
    });
    // The Worker's hand-off RPC, 1,000 reports a call: 52,000 lines while R2 is down.
    const HANDED = 52_000;
    const stub = stubOf(config.container_id);
    for (let batch = 0; batch < HANDED / 1_000; batch++) {
      await stub.afterResponses({ lines: Array.from({ length: 1_000 }, () => line), traffic: [], preserve: [] });
    }
    const body = await (await admin(`containers/${config.container_id}`)).json<{ logs: { buffered: number; dropped: number } }>();
    expect(body.logs).toMatchObject({ buffered: 50_000, dropped: 2_000 });
    vi.restoreAllMocks();
    await drain(config.container_id);
    const logs = await logsOf(config.container_id);
    const r2 = await linesInR2(config.container_id);
    expect(logs).toMatchObject({ buffered: 0, flushed: 50_000, dropped: 2_000 });
    expect(r2).toMatchObject({ lines: 50_000, overlapping: 0 });
    reportRow({
      id: "outbox-bound",
      fault: "R2 down while 52,000 lines arrive (outbox bound 50,000 lines per container)",
      client: "(no client effect: lines are handed off after responses)",
      served: HANDED,
      lost: HANDED - r2.lines - logs.dropped,
      dropped: logs.dropped,
      recovered: "alarms drain 1,000 lines each",
      detail: `${r2.lines} in R2, ${logs.dropped} dropped (oldest), shown as logs.dropped by GET /_edge/admin/containers/{id}`,
    });
  });
});
