import { env } from "cloudflare:workers";
import { runDurableObjectAlarm } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { sessionDetectionSchema } from "../../src/shared/session-detection";
import { makeConfig, ORIGIN } from "../support/config";
import { edgeFetch, pushConfig } from "../support/edge";
import { mockOutbound } from "../support/outbound";

afterEach(() => vi.restoreAllMocks());

const CONTROL = "https://control.test";

function setsCookies(request: Request) {
  const headers = new Headers();
  if (new URL(request.url).pathname === "/g/collect") {
    headers.append("Set-Cookie", "FPID=FPID2.2.visitor-1; Path=/; HttpOnly");
    headers.append("Set-Cookie", "_ga=GA1.1.111.222; Path=/");
  }
  return new Response("ok", { headers });
}

describe("POST /boot (row 3)", () => {
  it("restores the kept cookies the browser lost, for the visitor of the FPID", async () => {
    const config = makeConfig("boot");
    mockOutbound({ [ORIGIN]: setsCookies });
    await pushConfig(config);
    const hit = await edgeFetch("https://data.boot.test/g/collect?v=2&gcs=G111", { headers: { Host: "data.boot.test" } });
    expect(hit.headers.getSetCookie().some((line) => line.startsWith("_ga=GA1.1.111.222") && line.includes("Max-Age=34128000"))).toBe(true);
    const stub = env.CONTAINER.get(env.CONTAINER.idFromName(config.container_id));
    await vi.waitFor(async () => expect(await stub.preservedCookies(config.sites[0]!.site_id, "FPID2.2.visitor-1")).not.toBeNull());

    const boot = await edgeFetch("https://data.boot.test/boot", {
      method: "POST",
      headers: { Cookie: "FPID=FPID2.2.visitor-1", Origin: "https://www.boot.test", "Content-Type": "application/json" },
      body: JSON.stringify({ loader_token: config.loader_token, host: "www.boot.test" }),
    });
    expect(boot.status).toBe(200);
    expect(boot.headers.get("Access-Control-Allow-Origin")).toBe("https://www.boot.test");
    const body = await boot.json<{ restoreCookies: unknown[] }>();
    expect(body.restoreCookies).toEqual([{ name: "_ga", value: "GA1.1.111.222", maxAge: 395 * 86400, domain: "boot.test" }]);

    const stillThere = await edgeFetch("https://data.boot.test/boot", {
      method: "POST",
      headers: { Cookie: "FPID=FPID2.2.visitor-1; _ga=GA1.1.111.222" },
      body: JSON.stringify({ loader_token: config.loader_token }),
    });
    expect((await stillThere.json<{ restoreCookies: unknown[] }>()).restoreCookies).toEqual([]);
  });

  it("a denied hit preserves nothing to restore; an unknown visitor gets an empty list", async () => {
    const config = makeConfig("bootdenied");
    mockOutbound({ [ORIGIN]: setsCookies });
    await pushConfig(config);
    await edgeFetch("https://data.bootdenied.test/g/collect?v=2&gcs=G100", { headers: { Host: "data.bootdenied.test" } });
    for (const cookie of ["FPID=FPID2.2.visitor-1", "FPID=somebody-else", ""]) {
      const boot = await edgeFetch("https://data.bootdenied.test/boot", {
        method: "POST",
        headers: cookie ? { Cookie: cookie } : {},
        body: JSON.stringify({ loader_token: config.loader_token }),
      });
      expect(boot.status).toBe(200);
      expect((await boot.json<{ restoreCookies: unknown[] }>()).restoreCookies).toEqual([]);
    }
  });

  it("400 with the problem named for bad bodies, 404 for an unknown token", async () => {
    const bad = await edgeFetch("https://x.edge.test/boot", { method: "POST", body: "{" });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: "invalid_body" });
    const missing = await edgeFetch("https://x.edge.test/boot", { method: "POST", body: "{}" });
    expect(await missing.json()).toMatchObject({ error: "invalid_body", issues: [{ path: "loader_token" }] });
    const unknown = await edgeFetch("https://x.edge.test/boot", {
      method: "POST",
      body: JSON.stringify({ loader_token: "lt_nobody_0123456789abcdef" }),
    });
    expect(unknown.status).toBe(404);
  });
});

describe("POST /mark-session-detection (row 4)", () => {
  it("202 at once, once per session, delivered in batches to the control plane with retry", async () => {
    const config = makeConfig("detect");
    let controlUp = false;
    const outbound = mockOutbound({
      [CONTROL]: () => (controlUp ? Response.json({ stored: 1 }, { status: 202 }) : new Response("down", { status: 503 })),
    });
    await pushConfig(config);
    const report = { loader_token: config.loader_token, session_id: "session-0001", adblock: true, itp: false };
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        edgeFetch("https://detect.edge.test/mark-session-detection", { method: "POST", body: JSON.stringify(report) }),
      ),
    );
    expect(responses.every((r) => r.status === 202)).toBe(true);
    await edgeFetch("https://detect.edge.test/mark-session-detection", {
      method: "POST",
      body: JSON.stringify({ ...report, session_id: "session-0002", adblock: false }),
    });
    const stub = env.CONTAINER.get(env.CONTAINER.idFromName(config.container_id));
    expect((await stub.inspect())?.detections.pending).toBe(2);

    await runDurableObjectAlarm(stub);
    expect((await stub.inspect())?.detections).toMatchObject({ pending: 2, failed_deliveries: 1 });
    controlUp = true;
    await runDurableObjectAlarm(stub);
    expect((await stub.inspect())?.detections).toMatchObject({ pending: 0, delivered: 2 });
    const deliveries = outbound.requests.filter((r) => r.url === `${CONTROL}/functions/v1/session-detections`);
    expect(deliveries).toHaveLength(2);
    expect(deliveries[1]!.headers.get("X-Edge-Auth")).toBe("test-edge-auth-secret");
    const delivered = JSON.parse(outbound.bodies[outbound.bodies.length - 1]!) as { detections: unknown[] };
    // What the edge sends is exactly what the control plane's sink accepts (one shared schema).
    const detections = delivered.detections.map((d) => sessionDetectionSchema.parse(d));
    expect(detections.map((d) => d.session_id)).toEqual(["session-0001", "session-0002"]);
    expect(detections[0]).toMatchObject({ adblock: true, itp: false, site_id: config.sites[0]!.site_id });
  });

  it("400 for invalid reports, 404 for an unknown token", async () => {
    const bad = await edgeFetch("https://x.edge.test/mark-session-detection", {
      method: "POST",
      body: JSON.stringify({ loader_token: "lt_nobody_0123456789abcdef", session_id: "x", adblock: "yes", itp: false }),
    });
    expect(bad.status).toBe(400);
    const body = await bad.json<{ issues: Array<{ path: string }> }>();
    expect(body.issues.map((issue) => issue.path).sort()).toEqual(["adblock", "session_id"]);
    const unknown = await edgeFetch("https://x.edge.test/mark-session-detection", {
      method: "POST",
      body: JSON.stringify({ loader_token: "lt_nobody_0123456789abcdef", session_id: "session-9", adblock: false, itp: false }),
    });
    expect(unknown.status).toBe(404);
  });
});
