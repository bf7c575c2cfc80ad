import { afterEach, describe, expect, it, vi } from "vitest";
import { encodeRecoveryParam } from "../../src/modules/recovery-path";
import { makeConfig, ORIGIN } from "../support/config";
import { admin, edgeFetch, pushConfig, usageOf } from "../support/edge";
import { mockOutbound } from "../support/outbound";

afterEach(() => vi.restoreAllMocks());

const echo = (request: Request) => new Response(`${request.method} ${request.url}`);

describe("/k/{container_token}?p= (row 5)", () => {
  it("proxies the decoded path and query to the origin, POST body included, and counts it", async () => {
    const config = makeConfig("recover");
    const outbound = mockOutbound({ [ORIGIN]: echo });
    await pushConfig(config);
    const token = config.sites[0]!.container_token;
    const hit = "/g/collect?v=2&tid=G-XYZ&dl=https%3A%2F%2Fwww.recover.test%2Fp%3Fq%3D%C3%A9&gcs=G111";
    const response = await edgeFetch(`https://www.recover.test/k/${token}?p=${encodeRecoveryParam(hit)}`, {
      method: "POST",
      body: "en=page_view\nen=scroll",
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(`POST ${ORIGIN}${hit}`);
    expect(outbound.bodies[0]).toBe("en=page_view\nen=scroll");
    const inspected = await (await admin(`containers/${config.container_id}`)).json<{ usage: { month_requests: number } }>();
    expect(inspected.usage.month_requests).toBe(1);
  });

  it.each([
    ["absolute URL", "https://evil.test/g/collect"],
    ["protocol-relative", "//evil.test/g/collect"],
    ["off the allowlist", "/admin"],
    ["dot segments", "/g/../admin"],
    ["encoded slash", "/g%2fcollect"],
    ["CRLF", "/g/collect?v=2\r\nX-Injected: 1"],
  ])("400 invalid_path for %s, nothing fetched, nothing counted", async (_name, payload) => {
    const config = makeConfig(`hostile${_name.replace(/\W/g, "").toLowerCase()}`);
    const outbound = mockOutbound({ [ORIGIN]: echo });
    await pushConfig(config);
    const response = await edgeFetch(
      `https://x.edge.test/k/${config.sites[0]!.container_token}?p=${encodeRecoveryParam(payload)}`,
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: "invalid_path" });
    expect(outbound.requests).toHaveLength(0);
  });

  it("404 for an unknown token and with gtm_recovery off", async () => {
    const config = makeConfig("recoveroff", {
      modules: { sgtm_proxy: true, gtm_recovery: false, cookie_keeper: true, adblock_itp_detection: true, custom_domain: true },
    });
    const outbound = mockOutbound({ [ORIGIN]: echo });
    await pushConfig(config);
    const p = encodeRecoveryParam("/g/collect?v=2");
    expect((await edgeFetch(`https://x.edge.test/k/ct_nobody_0123456789abcdef?p=${p}`)).status).toBe(404);
    expect((await edgeFetch(`https://www.recoveroff.test/k/${config.sites[0]!.container_token}?p=${p}`)).status).toBe(404);
    expect(outbound.requests).toHaveLength(0);
  });

  it.each([
    ["a raw U+00A0 in the query", "/g/collect?x=\u00a0"],
    ["a raw U+2028 in the query", "/g/collect?v=2&dl=a\u2028b"],
    ["a raw U+3000 in the query", "/collect?v=1&x=\u3000"],
  ])("refuses %s before admitting it: 400, nothing fetched, nothing counted", async (name, payload) => {
    const label = `space${name.replace(/\W/g, "").toLowerCase()}`;
    const config = makeConfig(label);
    const outbound = mockOutbound({ [ORIGIN]: echo });
    await pushConfig(config);
    const response = await edgeFetch(`https://www.${label}.test/k/${config.sites[0]!.container_token}?p=${encodeRecoveryParam(payload)}`);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: "invalid_path" });
    expect(outbound.requests).toHaveLength(0);
    expect(await usageOf(config.container_id)).toBe(0);
  });

  it("nothing refused is ever counted: 400, 404, 405, 402; an accepted hit is (control)", async () => {
    const config = makeConfig("refusedcount");
    const outbound = mockOutbound({ [ORIGIN]: echo });
    await pushConfig(config);
    const token = config.sites[0]!.container_token;
    const base = `https://www.refusedcount.test/k/${token}`;
    const p = encodeRecoveryParam("/g/collect?v=2");
    expect((await edgeFetch(`${base}?p=${encodeRecoveryParam("/admin")}`)).status).toBe(400);
    expect((await edgeFetch(`${base}`)).status).toBe(400);
    expect((await edgeFetch(`https://www.refusedcount.test/k/ct_nobody_0123456789abcdef?p=${p}`)).status).toBe(404);
    expect((await edgeFetch(`${base}?p=${p}`, { method: "PUT", body: "x" })).status).toBe(405);
    expect(await usageOf(config.container_id)).toBe(0);
    expect((await edgeFetch(`${base}?p=${p}`)).status).toBe(200);
    expect(await usageOf(config.container_id)).toBe(1);
    await admin(`containers/${config.container_id}/pause`, { method: "POST", json: { reason: "ops" } });
    expect((await edgeFetch(`${base}?p=${p}`)).status).toBe(402);
    expect(await usageOf(config.container_id)).toBe(1);
    expect(outbound.requests).toHaveLength(1);
  });
});
