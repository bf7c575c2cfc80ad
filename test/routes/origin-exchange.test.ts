/**
 * Contract section 8 at the origin boundary: what the edge sends the origin (X-Origin-Auth)
 * and what it lets through of the origin's answer (CORS headers, Set-Cookie domains).
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { encodeRecoveryParam } from "../../src/modules/recovery-path";
import { makeConfig, ORIGIN } from "../support/config";
import { edgeFetch, pushConfig } from "../support/edge";
import { mockOutbound } from "../support/outbound";

afterEach(() => vi.restoreAllMocks());

const ORIGIN_SECRET = "os_0123456789abcdef0123456789abcdef";

/** An origin that grants CORS to everyone, as a misconfigured sGTM might. */
const corsOrigin = () =>
  new Response("ok", {
    headers: {
      "Access-Control-Allow-Origin": "*",
      "Access-Control-Allow-Credentials": "true",
      "Access-Control-Allow-Methods": "GET, POST, PUT, DELETE",
      "Access-Control-Allow-Headers": "*",
      "Access-Control-Expose-Headers": "X-Secret",
      "Access-Control-Max-Age": "86400",
      "X-Origin": "yes",
    },
  });

function accessControlHeaders(response: Response): Record<string, string> {
  return Object.fromEntries([...response.headers].filter(([name]) => name.startsWith("access-control-")));
}

describe("the origin's CORS never passes (section 8)", () => {
  it("a foreign Origin gets no Access-Control-* header at all, on the proxy and the recovery path", async () => {
    const config = makeConfig("corsstrip");
    mockOutbound({ [ORIGIN]: corsOrigin });
    await pushConfig(config);
    const p = encodeRecoveryParam("/g/collect?v=2");
    for (const url of ["https://data.corsstrip.test/g/collect", `https://data.corsstrip.test/k/${config.sites[0]!.container_token}?p=${p}`]) {
      const response = await edgeFetch(url, { headers: { Origin: "https://evil.test" } });
      expect(response.status).toBe(200);
      expect(response.headers.get("X-Origin")).toBe("yes");
      expect(accessControlHeaders(response)).toEqual({});
    }
  });

  it("an Origin of the container gets the edge's grant only, none of the origin's extras", async () => {
    const config = makeConfig("corsown");
    mockOutbound({ [ORIGIN]: corsOrigin });
    await pushConfig(config);
    const response = await edgeFetch("https://data.corsown.test/g/collect", { headers: { Origin: "https://www.corsown.test" } });
    expect(accessControlHeaders(response)).toEqual({
      "access-control-allow-origin": "https://www.corsown.test",
      "access-control-allow-credentials": "true",
    });
  });
});

describe("X-Origin-Auth (section 8: the origin can tell the edge from the internet)", () => {
  it("carries origin_secret on every origin request, replacing a client's copy", async () => {
    const config = makeConfig("originauth", { origin_secret: ORIGIN_SECRET });
    const outbound = mockOutbound({ [ORIGIN]: () => new Response("ok") });
    expect((await pushConfig(config)).status).toBe(200);
    const forged = { "X-Origin-Auth": "forged-by-the-client" };
    const p = encodeRecoveryParam("/g/collect?v=2");
    await edgeFetch("https://data.originauth.test/g/collect?v=2", { headers: forged });
    await edgeFetch(`https://data.originauth.test/k/${config.sites[0]!.container_token}?p=${p}`, { headers: forged });
    expect(outbound.requests.map((request) => request.headers.get("X-Origin-Auth"))).toEqual([ORIGIN_SECRET, ORIGIN_SECRET]);
  });

  it("without origin_secret, a client's X-Origin-Auth is stripped, not forwarded", async () => {
    const config = makeConfig("nooriginauth");
    const outbound = mockOutbound({ [ORIGIN]: () => new Response("ok") });
    await pushConfig(config);
    await edgeFetch("https://data.nooriginauth.test/g/collect", { headers: { "X-Origin-Auth": ORIGIN_SECRET, "X-Other": "kept" } });
    expect(outbound.requests[0]!.headers.get("X-Origin-Auth")).toBeNull();
    expect(outbound.requests[0]!.headers.get("X-Other")).toBe("kept");
  });

  it("origin_secret must be 32-256 url-safe characters", async () => {
    for (const secret of ["short_0123456789", "x".repeat(257), `${"x".repeat(31)}!`]) {
      const response = await pushConfig(makeConfig("badsecret", { origin_secret: secret }));
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: "invalid_config", issues: [{ path: "origin_secret" }] });
    }
  });
});

describe("the origin cannot set cookies outside the site (section 8)", () => {
  const setsEverywhere = () => {
    const headers = new Headers();
    headers.append("Set-Cookie", "zone=1; Domain=edge.test; Path=/");
    headers.append("Set-Cookie", "other=1; Domain=victim.test; Path=/");
    headers.append("Set-Cookie", "own=1; Domain=cookiedom.test; Path=/");
    headers.append("Set-Cookie", "sub=1; Domain=data.cookiedom.test; Path=/");
    headers.append("Set-Cookie", "hostonly=1; Path=/");
    return new Response("ok", { headers });
  };

  it.each([true, false])("drops lines with a foreign Domain (cookie_keeper %s), keeps the site's", async (keeper) => {
    const config = makeConfig("cookiedom");
    config.modules = { ...config.modules, cookie_keeper: keeper };
    mockOutbound({ [ORIGIN]: setsEverywhere });
    await pushConfig(config);
    const response = await edgeFetch("https://data.cookiedom.test/g/collect", { headers: { Host: "data.cookiedom.test" } });
    expect(response.headers.getSetCookie()).toEqual([
      "own=1; Domain=cookiedom.test; Path=/",
      "sub=1; Domain=data.cookiedom.test; Path=/",
      "hostonly=1; Path=/",
    ]);
  });

  it("on the edge hostname too: nothing on the shared edge zone", async () => {
    const config = makeConfig("cookiezone");
    mockOutbound({ [ORIGIN]: setsEverywhere });
    await pushConfig(config);
    const response = await edgeFetch("https://cookiezone.edge.test/g/collect");
    expect(response.headers.getSetCookie()).toEqual(["hostonly=1; Path=/"]);
  });
});
