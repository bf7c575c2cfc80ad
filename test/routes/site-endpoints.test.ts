/** A site's own endpoint paths (contract section 9) and same-origin mode through its proxy (section 10). */
import { afterEach, describe, expect, it, vi } from "vitest";
import { encodeRecoveryParam } from "../../src/modules/recovery-path";
import { deriveSiteEndpoints, encodePayload } from "../../src/shared/site-endpoints";
import { makeConfig, ORIGIN } from "../support/config";
import { admin, edgeFetch, pushConfig, usageOf } from "../support/edge";
import { mockOutbound } from "../support/outbound";

afterEach(() => vi.restoreAllMocks());

const echo = (request: Request) =>
  new Response(`${request.method} ${request.url} xff=${request.headers.get("X-Forwarded-For")} host=${request.headers.get("X-Forwarded-Host")}`);

const HIT = "/g/collect?v=2&tid=G-XYZ&en=page_view&gcs=G111";

function keyedConfig(name: string, key: string, extra: Record<string, unknown> = {}) {
  const config = makeConfig(name);
  config.sites[0] = { ...config.sites[0]!, endpoint_key: key, ...extra };
  return config;
}

describe("per-site endpoints (section 9)", () => {
  it("serve the loader at the site's own path: the same bytes for every page, no token or fixed path inside", async () => {
    const key = "site-key-loader-0123456789";
    const config = keyedConfig("keyedloader", key);
    mockOutbound({});
    await pushConfig(config);
    const endpoints = await deriveSiteEndpoints(key);
    const response = await edgeFetch(`https://www.keyedloader.test${endpoints.loader}`, { headers: { Referer: "https://www.keyedloader.test/a" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toContain("javascript");
    expect(response.headers.get("Vary")).toBeNull();
    expect(response.headers.get("Cache-Control")).toContain("public");
    const body = await response.text();
    expect(body).toContain(endpoints.hit);
    for (const fixed of ["/k/", "/boot", "/mark-session-detection", config.loader_token, config.sites[0]!.container_token]) {
      expect(body).not.toContain(fixed);
    }
    // Old snippets keep working, and get the same site's loader.
    const old = await edgeFetch(`https://www.keyedloader.test/l/${config.loader_token}.js`);
    expect(old.status).toBe(200);
    expect(await old.text()).toBe(body);
  });

  it("deliver a hit encoded with the site's codec and count it; refused payloads are neither fetched nor counted", async () => {
    const key = "site-key-hits-0123456789ab";
    const config = keyedConfig("keyedhit", key);
    const outbound = mockOutbound({ [ORIGIN]: echo });
    await pushConfig(config);
    const { hit, param, codec } = await deriveSiteEndpoints(key);
    const other = await deriveSiteEndpoints("another-site-key-0123456789");
    for (const refused of [
      encodeRecoveryParam(HIT), // the fixed route's encoding
      encodePayload(HIT, other.codec), // another site's encoding
      encodePayload("/admin?x=1", codec), // off the allowlist
      encodePayload("https://evil.test/g/collect", codec),
      encodePayload("/g/collect?x=\u00a0", codec), // passes the decoder, refused before admission
    ]) {
      const response = await edgeFetch(`https://www.keyedhit.test${hit}?${param}=${refused}`);
      expect(response.status).toBe(400);
    }
    expect(outbound.requests).toHaveLength(0);
    expect(await usageOf(config.container_id)).toBe(0);
    const response = await edgeFetch(`https://www.keyedhit.test${hit}?${param}=${encodePayload(HIT, codec)}`, {
      method: "POST",
      body: "en=scroll",
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain(`POST ${ORIGIN}${HIT}`);
    expect(await usageOf(config.container_id)).toBe(1);
  });

  it("answer /boot and detections at the site's own paths without a loader token in the body", async () => {
    const key = "site-key-boot-0123456789ab";
    const config = keyedConfig("keyedboot", key);
    mockOutbound({});
    await pushConfig(config);
    const { boot, detect } = await deriveSiteEndpoints(key);
    const booted = await edgeFetch(`https://www.keyedboot.test${boot}`, { method: "POST", body: JSON.stringify({ host: "www.keyedboot.test" }) });
    expect(booted.status).toBe(200);
    expect(await booted.json()).toMatchObject({ restoreCookies: [], site_id: config.sites[0]!.site_id });
    const detected = await edgeFetch(`https://www.keyedboot.test${detect}`, {
      method: "POST",
      body: JSON.stringify({ session_id: "0123456789abcdef0123456789abcdef", adblock: true, itp: false }),
    });
    expect(detected.status).toBe(202);
    expect((await edgeFetch(`https://www.keyedboot.test${boot}`)).status).toBe(405);
  });

  it("the admin API names each site's loader path: its own, or the fixed one without a key", async () => {
    const key = "site-key-admin-0123456789a";
    const config = keyedConfig("keyedadmin", key);
    const fixed = makeConfig("fixedadmin");
    await pushConfig(config);
    await pushConfig(fixed);
    const body = await (await admin(`containers/${config.container_id}`)).json<{ sites: unknown }>();
    expect(body.sites).toEqual([{ site_id: config.sites[0]!.site_id, endpoints: { loader: (await deriveSiteEndpoints(key)).loader } }]);
    const plain = await (await admin(`containers/${fixed.container_id}`)).json<{ sites: unknown }>();
    expect(plain.sites).toEqual([{ site_id: fixed.sites[0]!.site_id, endpoints: { loader: `/l/${fixed.loader_token}.js` } }]);
  });

  it("rotation serves both keys' paths until a push drops previous_endpoint_key", async () => {
    const config = keyedConfig("rotate", "rotate-new-key-0123456789", { previous_endpoint_key: "rotate-old-key-0123456789" });
    const outbound = mockOutbound({ [ORIGIN]: echo });
    await pushConfig(config);
    const [now, before] = await Promise.all([deriveSiteEndpoints("rotate-new-key-0123456789"), deriveSiteEndpoints("rotate-old-key-0123456789")]);
    for (const endpoints of [now, before]) {
      const response = await edgeFetch(`https://www.rotate.test${endpoints.hit}?${endpoints.param}=${encodePayload(HIT, endpoints.codec)}`);
      expect(await response.text()).toContain(`GET ${ORIGIN}${HIT}`);
    }
    const { previous_endpoint_key: _dropped, ...site } = config.sites[0]!;
    await pushConfig({ ...config, config_version: 2, sites: [site] });
    await edgeFetch(`https://www.rotate.test${before.hit}?${before.param}=${encodePayload(HIT, before.codec)}`);
    // The old path is no longer an endpoint: it is plain proxied, never decoded into a hit.
    expect(outbound.requests.at(-1)!.url).toBe(`${ORIGIN}${before.hit}?${before.param}=${encodePayload(HIT, before.codec)}`);
  });
});

describe("same-origin mode (section 10)", () => {
  const SECRET = "forward-secret-0123456789abcdef0123456789";

  function sameOriginConfig(name: string) {
    const config = makeConfig(name);
    config.sites[0] = { ...config.sites[0]!, path_prefix: "/metrics", forward_secret: SECRET };
    return config;
  }

  it("serves every endpoint under the prefix at the edge hostname; the proxy's visitor address only with its secret", async () => {
    const config = sameOriginConfig("sameorigin");
    const outbound = mockOutbound({ [ORIGIN]: echo });
    await pushConfig(config);
    const edge = `https://${config.edge_hostname}/metrics`;
    const headers = (secret?: string) => ({
      "X-Public-Host": "www.sameorigin.test",
      "X-Forwarded-For": "6.6.6.6, 198.51.100.7",
      "CF-Connecting-IP": "203.0.113.50",
      ...(secret ? { "X-Forward-Secret": secret } : {}),
    });
    const trusted = await edgeFetch(`${edge}/g/collect?v=2`, { headers: headers(SECRET) });
    expect(await trusted.text()).toBe(`GET ${ORIGIN}/g/collect?v=2 xff=198.51.100.7 host=www.sameorigin.test`);
    for (const secret of [undefined, "wrong-secret-0123456789abcdef0123456789"]) {
      const spoofed = await edgeFetch(`${edge}/g/collect?v=2`, { headers: headers(secret) });
      expect(await spoofed.text()).toBe(`GET ${ORIGIN}/g/collect?v=2 xff=203.0.113.50 host=www.sameorigin.test`);
    }
    const token = config.sites[0]!.container_token;
    const recovered = await edgeFetch(`${edge}/k/${token}?p=${encodeRecoveryParam("/g/collect?v=2")}`, { headers: headers(SECRET) });
    expect(recovered.status).toBe(200);
    const loader = await edgeFetch(`${edge}/l/${config.loader_token}.js`, { headers: headers(SECRET) });
    const body = await loader.text();
    expect(body).toContain(`"h":"/metrics/k/${token}"`);
    expect(body).toContain(`"b":"/metrics/boot"`);
    expect(outbound.requests.every((request) => !new URL(request.url).pathname.startsWith("/metrics"))).toBe(true);
  });

  it("answers the setup check under the prefix with what it saw, never cached, never proxied", async () => {
    const config = sameOriginConfig("sitecheck");
    const outbound = mockOutbound({ [ORIGIN]: echo });
    await pushConfig(config);
    const check = (headers: Record<string, string>) =>
      edgeFetch(`https://${config.edge_hostname}/metrics/.well-known/qaxal-check?nonce=n1`, { headers }).then((r) => r.json());
    expect(await check({ "X-Public-Host": "www.sitecheck.test", "X-Forward-Secret": SECRET, "X-Forwarded-For": "198.51.100.7", Cookie: "a=1" })).toMatchObject({
      ok: true,
      host_seen: config.edge_hostname,
      public_host: "www.sitecheck.test",
      prefix_seen: "/metrics",
      secret: "match",
      client_ip_from_proxy: true,
      forwarded_for: "198.51.100.7",
      cookie_seen: true,
      nonce: "n1",
    });
    expect(await check({ "X-Public-Host": "www.sitecheck.test", "X-Forward-Secret": "nope-0123456789abcdef0123456789abcdef" })).toMatchObject({
      secret: "wrong",
      client_ip_from_proxy: false,
      cookie_seen: false,
    });
    expect(outbound.requests).toHaveLength(0);
    // Without the prefix it is an ordinary path of the site: proxied.
    await edgeFetch(`https://www.sitecheck.test/.well-known/qaxal-check`);
    expect(outbound.requests).toHaveLength(1);
  });
});

describe("the page's host reaches the origin on every proxied path", () => {
  it("X-Public-Host of the same container is the origin's X-Forwarded-Host on /k/, per-site hits and row 6; a foreign one is not", async () => {
    const key = "site-key-public-host-0123";
    const config = makeConfig("publichost");
    config.sites[0] = { ...config.sites[0]!, endpoint_key: key };
    const outbound = mockOutbound({ [ORIGIN]: echo });
    await pushConfig(config);
    const { hit, param, codec } = await deriveSiteEndpoints(key);
    const token = config.sites[0]!.container_token;
    const edge = `https://${config.edge_hostname}`;
    const paths = [`/k/${token}?p=${encodeRecoveryParam(HIT)}`, `${hit}?${param}=${encodePayload(HIT, codec)}`, "/g/collect?v=2"];
    const cases: Array<[string, string]> = [
      ["www.publichost.test", "www.publichost.test"],
      ["www.elsewhere.test", config.edge_hostname],
    ];
    for (const [claimed, expected] of cases) {
      for (const path of paths) {
        const response = await edgeFetch(edge + path, { headers: { "X-Public-Host": claimed } });
        expect(await response.text(), path).toContain(`host=${expected}`);
      }
    }
    expect(outbound.requests).toHaveLength(6);
  });
});
