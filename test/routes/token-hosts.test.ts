/**
 * Contract section 8: a token only works on its own container's hosts. /k/{container_token},
 * /l/{loader_token}.js, /boot and /mark-session-detection answer only when the request host
 * (section 3: Host, else X-Forwarded-Host) routes to the same container as the token;
 * otherwise 404 not_found, nothing fetched, nothing counted, nothing stored.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { encodeRecoveryParam } from "../../src/modules/recovery-path";
import { makeConfig, ORIGIN } from "../support/config";
import { edgeFetch, pushConfig, usageOf } from "../support/edge";
import { mockOutbound } from "../support/outbound";

afterEach(() => vi.restoreAllMocks());

const ATTACKER_ORIGIN = "https://attacker-sgtm.test";
const NOT_FOUND = { error: "not_found" };

/** A victim container and an attacker's, each with its own origin. */
async function twoTenants(name: string) {
  const victim = makeConfig(`${name}victim`);
  const attacker = makeConfig(`${name}attacker`, { origin: ATTACKER_ORIGIN });
  const outbound = mockOutbound({
    [ORIGIN]: () => new Response("victim origin"),
    [ATTACKER_ORIGIN]: () =>
      new Response("attacker content", { headers: { "Set-Cookie": `session=stolen; Domain=${name}victim.test; Path=/` } }),
  });
  expect((await pushConfig(victim)).status).toBe(200);
  expect((await pushConfig(attacker)).status).toBe(200);
  return {
    victim,
    attacker,
    outbound,
    victimHost: `www.${name}victim.test`,
    attackerHost: `www.${name}attacker.test`,
    detections: async (config: typeof victim) =>
      (await env.CONTAINER.get(env.CONTAINER.idFromName(config.container_id)).inspect())?.detections.pending,
  };
}

const post = (body: unknown, headers: Record<string, string>) => ({
  method: "POST",
  headers: { "Content-Type": "application/json", ...headers },
  body: JSON.stringify(body),
});

describe("/k/{container_token} on another tenant's host", () => {
  it("404: nothing proxied to the attacker's origin, no cookie of the victim sent, nothing counted", async () => {
    const { victim, attacker, outbound, victimHost, attackerHost } = await twoTenants("k");
    const p = encodeRecoveryParam("/g/collect?v=2&tid=G-X");
    const token = attacker.sites[0]!.container_token;
    const hijack = await edgeFetch(`https://${victimHost}/k/${token}?p=${p}`, {
      headers: { Host: victimHost, Cookie: "FPID=victim-visitor; _ga=GA1.1.1.1" },
    });
    expect(hijack.status).toBe(404);
    expect(await hijack.json()).toEqual(NOT_FOUND);
    expect(hijack.headers.getSetCookie()).toEqual([]);
    // Host decides, whatever the URL says; X-Forwarded-Host only when Host is absent.
    const viaHost = await edgeFetch(`https://${attackerHost}/k/${token}?p=${p}`, { headers: { Host: victimHost } });
    expect(viaHost.status).toBe(404);
    const viaForwarded = await edgeFetch(`https://${attackerHost}/k/${token}?p=${p}`, { headers: { "X-Forwarded-Host": victimHost } });
    expect(viaForwarded.status).toBe(404);
    expect(outbound.requests).toHaveLength(0);
    expect(await usageOf(attacker.container_id)).toBe(0);
    expect(await usageOf(victim.container_id)).toBe(0);

    // control: the token works on its own container's hosts
    const own = await edgeFetch(`https://${attackerHost}/k/${token}?p=${p}`, { headers: { Host: attackerHost } });
    expect(own.status).toBe(200);
    expect(await own.text()).toBe("attacker content");
    expect(await usageOf(attacker.container_id)).toBe(1);
  });

  it("stays refused when the isolate already knows the token's container (warm path)", async () => {
    const { attacker, outbound, victimHost, attackerHost } = await twoTenants("kwarm");
    const p = encodeRecoveryParam("/g/collect?v=2");
    const token = attacker.sites[0]!.container_token;
    for (let i = 0; i < 3; i++) {
      expect((await edgeFetch(`https://${attackerHost}/k/${token}?p=${p}`, { headers: { Host: attackerHost } })).status).toBe(200);
    }
    expect((await edgeFetch(`https://${victimHost}/k/${token}?p=${p}`, { headers: { Host: victimHost } })).status).toBe(404);
    expect(outbound.requests).toHaveLength(3);
    expect(await usageOf(attacker.container_id)).toBe(3);
  });
});

describe("/l/{loader_token}.js, /boot and /mark-session-detection on another tenant's host", () => {
  it("404 for the attacker's tokens on the victim's host, also after a warm-up on the attacker's own host", async () => {
    const { attacker, victimHost, attackerHost, detections } = await twoTenants("lt");
    const loaderToken = attacker.loader_token;
    const onVictim = { Host: victimHost, Cookie: "FPID=victim-visitor" };
    const onOwn = { Host: attackerHost, Cookie: "FPID=visitor" };
    const report = (sessionId: string) => ({ loader_token: loaderToken, session_id: sessionId, adblock: true, itp: false });

    for (const round of ["cold", "warm"]) {
      const loader = await edgeFetch(`https://${victimHost}/l/${loaderToken}.js`, { headers: onVictim });
      expect(loader.status, `${round} loader`).toBe(404);
      expect(await loader.json()).toEqual(NOT_FOUND);
      const boot = await edgeFetch(`https://${victimHost}/boot`, post({ loader_token: loaderToken }, onVictim));
      expect(boot.status, `${round} boot`).toBe(404);
      expect(await boot.json()).toEqual(NOT_FOUND);
      const detection = await edgeFetch(`https://${victimHost}/mark-session-detection`, post(report(`hijack-${round}`), onVictim));
      expect(detection.status, `${round} detection`).toBe(404);
      expect(await detection.json()).toEqual(NOT_FOUND);

      // control, and the warm-up for the next round: each works on the token's own host
      expect((await edgeFetch(`https://${attackerHost}/l/${loaderToken}.js`, { headers: onOwn })).status).toBe(200);
      expect((await edgeFetch(`https://${attackerHost}/boot`, post({ loader_token: loaderToken }, onOwn))).status).toBe(200);
      const own = await edgeFetch(`https://${attackerHost}/mark-session-detection`, post(report(`own-${round}`), onOwn));
      expect(own.status).toBe(202);
    }
    expect(await detections(attacker)).toBe(2);
  });

  it("a repeated session report from a foreign host is refused too (no shortcut around the check)", async () => {
    const { attacker, victimHost, attackerHost } = await twoTenants("seen");
    const report = { loader_token: attacker.loader_token, session_id: "session-seen-1", adblock: false, itp: true };
    expect((await edgeFetch(`https://${attackerHost}/mark-session-detection`, post(report, { Host: attackerHost }))).status).toBe(202);
    const repeat = await edgeFetch(`https://${victimHost}/mark-session-detection`, post(report, { Host: victimHost }));
    expect(repeat.status).toBe(404);
  });
});
