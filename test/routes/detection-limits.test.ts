/**
 * /mark-session-detection (contract row 4, section 8): 404 with adblock_itp_detection off,
 * and bounded per container: at most DETECTION_SESSIONS_PER_MINUTE new sessions a minute,
 * the rest refused with 429 rate_limited (docs/security.md, "Detections").
 */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ContainerObject } from "../../src/objects/ContainerObject";
import { DETECTION_SESSIONS_PER_MINUTE } from "../../src/objects/detection-limit";
import { makeConfig } from "../support/config";
import { edgeFetch, pushConfig } from "../support/edge";

afterEach(() => vi.restoreAllMocks());

const report = (loaderToken: string, sessionId: string) => ({
  method: "POST",
  body: JSON.stringify({ loader_token: loaderToken, session_id: sessionId, adblock: true, itp: false }),
});

const pendingOf = async (containerId: string) =>
  (await env.CONTAINER.get(env.CONTAINER.idFromName(containerId)).inspect())?.detections.pending;

describe("/mark-session-detection with adblock_itp_detection off", () => {
  it("404 not_found and nothing stored; on again, accepted (control)", async () => {
    const config = makeConfig("detectoff");
    config.modules = { ...config.modules, adblock_itp_detection: false };
    await pushConfig(config);
    const off = await edgeFetch("https://www.detectoff.test/mark-session-detection", report(config.loader_token, "session-off-1"));
    expect(off.status).toBe(404);
    expect(await off.json()).toEqual({ error: "not_found" });
    expect(await pendingOf(config.container_id)).toBe(0);

    await pushConfig({ ...config, config_version: 2, modules: { ...config.modules, adblock_itp_detection: true } });
    const on = await edgeFetch("https://www.detectoff.test/mark-session-detection", report(config.loader_token, "session-off-1"));
    expect(on.status).toBe(202);
    expect(await pendingOf(config.container_id)).toBe(1);
  });

  it("a repeat of a session stored before the module went off is refused too", async () => {
    const config = makeConfig("detectrepeat");
    await pushConfig(config);
    const url = "https://www.detectrepeat.test/mark-session-detection";
    expect((await edgeFetch(url, report(config.loader_token, "session-rep-1"))).status).toBe(202);
    await pushConfig({ ...config, config_version: 2, modules: { ...config.modules, adblock_itp_detection: false } });
    expect((await edgeFetch(url, report(config.loader_token, "session-rep-1"))).status).toBe(404);
  });
});

describe("new sessions per container are rate-limited", () => {
  it(`past ${DETECTION_SESSIONS_PER_MINUTE} a minute: 429 rate_limited, nothing queued; known sessions still 202`, async () => {
    const config = makeConfig("detectflood");
    const other = makeConfig("detectcalm");
    await pushConfig(config);
    await pushConfig(other);
    const stub = env.CONTAINER.get(env.CONTAINER.idFromName(config.container_id));
    const url = "https://www.detectflood.test/mark-session-detection";
    expect((await edgeFetch(url, report(config.loader_token, "session-first"))).status).toBe(202);
    // The rest of the minute's sessions straight into the object, as the Worker hands them over (no RPC each: fast).
    const outcomes = await runInDurableObject(stub, (instance: ContainerObject) =>
      Array.from({ length: DETECTION_SESSIONS_PER_MINUTE - 1 }, (_, i) =>
        instance.recordDetection({
          loader_token: config.loader_token,
          session_id: `flood-${String(i).padStart(6, "0")}`,
          adblock: false,
          itp: false,
          site_id: config.sites[0]!.site_id,
        }),
      ),
    );
    expect(new Set(outcomes)).toEqual(new Set(["stored"]));
    expect(await pendingOf(config.container_id)).toBe(DETECTION_SESSIONS_PER_MINUTE);

    const refused = await edgeFetch(url, report(config.loader_token, "session-one-too-many"));
    expect(refused.status).toBe(429);
    expect(await refused.json()).toEqual({ error: "rate_limited" });
    expect(await pendingOf(config.container_id)).toBe(DETECTION_SESSIONS_PER_MINUTE);
    // idempotent repeats are not new sessions
    expect((await edgeFetch(url, report(config.loader_token, "session-first"))).status).toBe(202);
    // the limit is per container
    expect((await edgeFetch("https://www.detectcalm.test/mark-session-detection", report(other.loader_token, "session-calm"))).status).toBe(202);
  });
});
