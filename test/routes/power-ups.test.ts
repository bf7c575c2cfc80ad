/** Power-ups through the whole Worker (docs/power-ups.md): each off by default, each on per container. */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { makeConfig, ORIGIN } from "../support/config";
import { edgeFetch, pushConfig, usageOf } from "../support/edge";
import { mockOutbound } from "../support/outbound";

afterEach(() => vi.restoreAllMocks());

const ok = () => new Response("ok");
const HUMAN_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Safari/537.36";
const PHONE_UA = "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36";
const BOT_UA = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

function withPowerUps(name: string, powerUps: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return makeConfig(name, { power_ups: powerUps, ...extra } as never);
}

function hit(host: string, init: RequestInit & { cf?: Record<string, unknown> } = {}, query = "v=2&tid=G-1&en=page_view") {
  const { cf, ...rest } = init;
  return edgeFetch(`https://${host}/g/collect?${query}`, { ...rest, ...(cf ? { cf } : {}) } as RequestInit);
}

describe("defaults (no power_ups)", () => {
  it("change nothing but drop client copies of the power-ups' headers", async () => {
    const config = makeConfig("pu-off");
    const outbound = mockOutbound({ [ORIGIN]: ok });
    await pushConfig(config);
    const response = await hit("data.pu-off.test", {
      headers: { "User-Agent": BOT_UA, "CF-Connecting-IP": "203.0.113.9", "X-Bot": "0", "X-Bot-Score": "99", "X-Device-Type": "desktop" },
    });
    expect(response.status).toBe(200);
    const sent = outbound.requests[0]!.headers;
    expect(sent.get("User-Agent")).toBe(BOT_UA);
    expect(sent.get("X-Forwarded-For")).toBe("203.0.113.9");
    for (const name of ["X-Bot", "X-Bot-Score", "X-Device-Type", "X-Forwarded-Country"]) expect(sent.get(name)).toBeNull();
    expect(await usageOf(config.container_id)).toBe(1);
  });
});

describe("blocked IPs", () => {
  it("answer 403 ip_blocked before the origin and never count; other addresses pass", async () => {
    const config = withPowerUps("pu-ips", { blocked_ips: ["198.51.100.0/24", "2001:db8:abcd::/48", "192.0.2.7"] });
    const outbound = mockOutbound({ [ORIGIN]: ok });
    const points = vi.spyOn(env.ACCESS_LOG, "writeDataPoint");
    await pushConfig(config);
    for (const ip of ["198.51.100.42", "2001:db8:abcd:12::1", "192.0.2.7", "::ffff:198.51.100.1"]) {
      const refused = await hit("data.pu-ips.test", { headers: { "CF-Connecting-IP": ip } });
      expect(refused.status, ip).toBe(403);
      expect(await refused.json()).toEqual({ error: "ip_blocked" });
    }
    expect(outbound.requests).toHaveLength(0);
    expect(await usageOf(config.container_id)).toBe(0);
    const blockedPoints = points.mock.calls.filter(([point]) => point?.blobs?.[5] === "ip");
    expect(blockedPoints).toHaveLength(4);
    // Positive controls: a neighbour outside every range is proxied and counted.
    for (const ip of ["198.51.101.1", "2001:db8:abce::1", "192.0.2.8"]) {
      expect((await hit("data.pu-ips.test", { headers: { "CF-Connecting-IP": ip } })).status, ip).toBe(200);
    }
    expect(outbound.requests).toHaveLength(3);
    expect(await usageOf(config.container_id)).toBe(3);
  });

  it("behind the site's own proxy: the address it vouches for with its secret, else the connecting one", async () => {
    const config = withPowerUps("pu-ips-proxy", { blocked_ips: ["198.51.100.0/24"] });
    config.sites[0] = { ...config.sites[0]!, path_prefix: "/m", forward_secret: "s".repeat(40) };
    const outbound = mockOutbound({ [ORIGIN]: ok });
    await pushConfig(config);
    const through = (secret: string, forwarded: string) =>
      edgeFetch("https://www.pu-ips-proxy.test/m/g/collect?v=2", {
        headers: { "X-Forward-Secret": secret, "X-Forwarded-For": forwarded, "CF-Connecting-IP": "203.0.113.1" },
      });
    expect((await through("s".repeat(40), "198.51.100.20")).status).toBe(403);
    // A wrong secret vouches for nothing: the connecting address decides (and is not blocked).
    expect((await through("x".repeat(40), "198.51.100.20")).status).toBe(200);
    expect((await through("s".repeat(40), "203.0.113.20")).status).toBe(200);
    expect(outbound.requests).toHaveLength(2);
    expect(await usageOf(config.container_id)).toBe(2);
  });

  it("refuse a config with a malformed or a 101st entry, naming it", async () => {
    mockOutbound({});
    const bad = await pushConfig(withPowerUps("pu-ips-bad", { blocked_ips: ["10.0.0.0/33", "1.2.3.4"] }));
    expect(bad.status).toBe(400);
    const body = await bad.json<{ error: string; issues: { path: string }[] }>();
    expect(body.error).toBe("invalid_config");
    expect(body.issues.map((issue) => issue.path)).toEqual(["power_ups.blocked_ips.0"]);
    const many = Array.from({ length: 101 }, (_, i) => `10.0.${i}.0/24`);
    const tooMany = await pushConfig(withPowerUps("pu-ips-many", { blocked_ips: many }));
    expect(tooMany.status).toBe(400);
    const hundred = await pushConfig(withPowerUps("pu-ips-100", { blocked_ips: many.slice(0, 100) }));
    expect(hundred.status).toBe(200);
  });
});

describe("bot filter", () => {
  it("block: a listed user agent or a low Cloudflare score is refused uncounted; a human passes", async () => {
    const config = withPowerUps("pu-block", { bot_filter: "block" });
    const outbound = mockOutbound({ [ORIGIN]: ok });
    await pushConfig(config);
    const byUa = await hit("data.pu-block.test", { headers: { "User-Agent": BOT_UA } });
    expect(byUa.status).toBe(403);
    expect(await byUa.json()).toEqual({ error: "bot_blocked" });
    const byScore = await hit("data.pu-block.test", { headers: { "User-Agent": HUMAN_UA }, cf: { botManagement: { score: 2 } } });
    expect(byScore.status).toBe(403);
    const verified = await hit("data.pu-block.test", {
      headers: { "User-Agent": HUMAN_UA },
      cf: { botManagement: { score: 90, verifiedBot: true, verifiedBotCategory: "Search Engine Crawler" } },
    });
    expect(verified.status).toBe(403);
    expect(outbound.requests).toHaveLength(0);
    expect(await usageOf(config.container_id)).toBe(0);
    const human = await hit("data.pu-block.test", { headers: { "User-Agent": HUMAN_UA }, cf: { botManagement: { score: 87 } } });
    expect(human.status).toBe(200);
    expect(await usageOf(config.container_id)).toBe(1);
  });

  it("flag: the origin gets X-Bot and the score, never the client's copies; the access log counts the bots", async () => {
    const config = withPowerUps("pu-flag", { bot_filter: "flag", bot_score_below: 40 });
    const outbound = mockOutbound({ [ORIGIN]: ok });
    vi.spyOn(env.ACCESS_LOG, "writeDataPoint");
    await pushConfig(config);
    await hit("data.pu-flag.test", { headers: { "User-Agent": BOT_UA, "X-Bot": "0" } });
    await hit("data.pu-flag.test", { headers: { "User-Agent": HUMAN_UA, "X-Bot": "1" }, cf: { botManagement: { score: 35 } } });
    await hit("data.pu-flag.test", { headers: { "User-Agent": HUMAN_UA, "X-Bot-Score": "1" }, cf: { botManagement: { score: 88 } } });
    await hit("data.pu-flag.test", { headers: { "User-Agent": HUMAN_UA } });
    const points = vi.mocked(env.ACCESS_LOG.writeDataPoint).mock?.calls ?? [];
    const seen = outbound.requests.map((request) => [request.headers.get("X-Bot"), request.headers.get("X-Bot-Score")]);
    expect(seen).toEqual([["1", "1"], ["1", "35"], ["0", "88"], ["0", null]]);
    const mine = points.filter(([point]) => point?.indexes?.[0] === config.container_id);
    expect(mine.map(([point]) => point?.doubles?.[6])).toEqual([1, 1, 0, 0]);
    expect(await usageOf(config.container_id)).toBe(4);
  });

  it("ignores Cloudflare's score of the site's own proxy (it scored the proxy, not the visitor)", async () => {
    const config = withPowerUps("pu-proxied", { bot_filter: "block" });
    config.sites[0] = { ...config.sites[0]!, path_prefix: "/m", forward_secret: "f".repeat(40) };
    const outbound = mockOutbound({ [ORIGIN]: ok });
    await pushConfig(config);
    const headers = { "User-Agent": HUMAN_UA, "X-Forward-Secret": "f".repeat(40), "X-Forwarded-For": "203.0.113.5" };
    const proxied = await edgeFetch("https://www.pu-proxied.test/m/g/collect?v=2", { headers, cf: { botManagement: { score: 1 } } } as RequestInit);
    expect(proxied.status).toBe(200);
    expect(outbound.requests).toHaveLength(1);
    // Control: the same score on a direct request is a bot.
    const direct = await edgeFetch("https://data.pu-proxied.test/g/collect?v=2", { headers: { "User-Agent": HUMAN_UA }, cf: { botManagement: { score: 1 } } } as RequestInit);
    expect(direct.status).toBe(403);
  });
});

describe("anonymizer", () => {
  it("always: the origin gets the /24 or /48 and a reduced user agent, without high-entropy hints", async () => {
    const config = withPowerUps("pu-anon", { anonymizer: "always" });
    const outbound = mockOutbound({ [ORIGIN]: ok });
    await pushConfig(config);
    await hit("data.pu-anon.test", { headers: { "CF-Connecting-IP": "203.0.113.77", "User-Agent": PHONE_UA, "Sec-CH-UA-Model": '"SM-S918B"', "Sec-CH-UA-Mobile": "?1" } });
    await hit("data.pu-anon.test", { headers: { "CF-Connecting-IP": "2001:db8:1234:5678:9abc::1", "User-Agent": HUMAN_UA } });
    const [phone, desktop] = outbound.requests.map((request) => request.headers);
    expect(phone!.get("X-Forwarded-For")).toBe("203.0.113.0");
    expect(phone!.get("User-Agent")).toBe("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36");
    expect(phone!.get("Sec-CH-UA-Model")).toBeNull();
    expect(phone!.get("Sec-CH-UA-Mobile")).toBe("?1");
    expect(desktop!.get("X-Forwarded-For")).toBe("2001:db8:1234::");
    expect(desktop!.get("User-Agent")).toBe("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36");
  });

  it("consent: only hits that deny analytics storage are anonymized", async () => {
    const config = withPowerUps("pu-anon-c", { anonymizer: "consent" });
    const outbound = mockOutbound({ [ORIGIN]: ok });
    await pushConfig(config);
    const headers = { "CF-Connecting-IP": "203.0.113.77", "User-Agent": PHONE_UA };
    await hit("data.pu-anon-c.test", { headers }, "v=2&en=page_view&gcs=G100");
    await hit("data.pu-anon-c.test", { headers }, "v=2&en=page_view&gcs=G111");
    await hit("data.pu-anon-c.test", { headers }, "v=2&en=page_view");
    expect(outbound.requests.map((request) => request.headers.get("X-Forwarded-For"))).toEqual(["203.0.113.0", "203.0.113.77", "203.0.113.77"]);
    expect(outbound.requests[1]!.headers.get("User-Agent")).toBe(PHONE_UA);
  });
});

describe("device and geo headers", () => {
  it("send the parsed device and the tag gateway's geo names next to ours, computed before truncation", async () => {
    const config = withPowerUps("pu-device", { device_geo_headers: true, anonymizer: "always" });
    const outbound = mockOutbound({ [ORIGIN]: ok });
    await pushConfig(config);
    await hit("data.pu-device.test", {
      headers: { "User-Agent": PHONE_UA, "CF-Connecting-IP": "203.0.113.77", "X-Device-Type": "tv", "X-Forwarded-Country": "ZZ" },
      cf: { country: "US", region: "California", regionCode: "CA", city: "San Jose" },
    });
    await hit("data.pu-device.test", {
      headers: { "User-Agent": HUMAN_UA, "Sec-CH-UA": '"Chromium";v="124", "Microsoft Edge";v="124", "Not-A.Brand";v="99"', "Sec-CH-UA-Platform": '"Windows"', "Sec-CH-UA-Mobile": "?0" },
    });
    const [phone, edge] = outbound.requests.map((request) => request.headers);
    expect(Object.fromEntries(["X-Device-Type", "X-Device-OS", "X-Device-Browser"].map((name) => [name, phone!.get(name)]))).toEqual({
      "X-Device-Type": "mobile",
      "X-Device-OS": "Android",
      "X-Device-Browser": "Chrome",
    });
    expect(phone!.get("X-Forwarded-Country")).toBe("US");
    expect(phone!.get("X-Forwarded-Region")).toBe("CA");
    expect(phone!.get("X-Forwarded-CountryRegion")).toBe("US-CA");
    expect(phone!.get("X-Geo-Country")).toBe("US");
    expect(phone!.get("X-Geo-City")).toBe("San Jose");
    expect(phone!.get("X-Forwarded-For")).toBe("203.0.113.0");
    expect([edge!.get("X-Device-Type"), edge!.get("X-Device-OS"), edge!.get("X-Device-Browser")]).toEqual(["desktop", "Windows", "Edge"]);
    expect(edge!.get("X-Forwarded-Country")).toBeNull();
  });
});

describe("click ID restore", () => {
  const landing = (ads: string) => `v=2&en=page_view&gcs=G1${ads}1&dl=${encodeURIComponent("https://www.pu-clid.test/?gclid=Cj0KCQ-abc_1&fbclid=IwAR2x")}`;
  const later = (ads: string) => `v=2&en=scroll&gcs=G1${ads}1&dl=${encodeURIComponent("https://www.pu-clid.test/pricing")}`;

  it("keeps a landing hit's click IDs with ad storage granted and restores them on later hits lacking them", async () => {
    const config = withPowerUps("pu-clid", { click_id_restore: true });
    const outbound = mockOutbound({ [ORIGIN]: ok });
    await pushConfig(config);
    const first = await hit("data.pu-clid.test", {}, landing("1"));
    const cookie = first.headers.getSetCookie().find((line) => line.startsWith("_qx_clid="))!;
    expect(cookie).toContain("_qx_clid=gclid.Cj0KCQ-abc_1|fbclid.IwAR2x;");
    expect(cookie).toContain("Domain=pu-clid.test");
    expect(cookie).toContain("HttpOnly");
    const pair = cookie.split(";")[0]!;
    const restored = await hit("data.pu-clid.test", { headers: { Cookie: pair } }, later("1"));
    expect(restored.status).toBe(200);
    const dl = new URL(new URL(outbound.requests[1]!.url).searchParams.get("dl")!);
    expect(dl.pathname).toBe("/pricing");
    expect(dl.searchParams.get("gclid")).toBe("Cj0KCQ-abc_1");
    expect(dl.searchParams.get("fbclid")).toBe("IwAR2x");
  });

  it("needs the cookie keeper module, and is off by default", async () => {
    const modules = { sgtm_proxy: true, gtm_recovery: true, cookie_keeper: false, adblock_itp_detection: true, custom_domain: true };
    const keeperOff = withPowerUps("pu-clid-nokeeper", { click_id_restore: true }, { modules });
    const byDefault = makeConfig("pu-clid-default");
    const outbound = mockOutbound({ [ORIGIN]: ok });
    await pushConfig(keeperOff);
    await pushConfig(byDefault);
    for (const host of ["data.pu-clid-nokeeper.test", "data.pu-clid-default.test"]) {
      const landed = await hit(host, {}, landing("1"));
      expect(landed.headers.getSetCookie().some((line) => line.startsWith("_qx_clid=")), host).toBe(false);
      await hit(host, { headers: { Cookie: "_qx_clid=gclid.Cj0KCQ-abc_1" } }, later("1"));
      expect(new URL(new URL(outbound.requests.at(-1)!.url).searchParams.get("dl")!).searchParams.get("gclid"), host).toBeNull();
    }
  });

  it("never restores without ad storage granted; a denial deletes the cookie", async () => {
    const config = withPowerUps("pu-clid-no", { click_id_restore: true });
    const outbound = mockOutbound({ [ORIGIN]: ok });
    await pushConfig(config);
    const denied = await hit("data.pu-clid-no.test", {}, landing("0"));
    expect(denied.headers.getSetCookie().some((line) => line.startsWith("_qx_clid="))).toBe(false);
    const cookie = "_qx_clid=gclid.Cj0KCQ-abc_1";
    const unknown = await hit("data.pu-clid-no.test", { headers: { Cookie: cookie } }, later("-").replace("gcs=G1--1", "gcs=G1-1"));
    expect(unknown.status).toBe(200);
    const refused = await hit("data.pu-clid-no.test", { headers: { Cookie: cookie } }, later("0"));
    expect(refused.headers.getSetCookie().find((line) => line.startsWith("_qx_clid="))).toContain("Max-Age=0");
    for (const request of outbound.requests) {
      expect(new URL(new URL(request.url).searchParams.get("dl")!).searchParams.get("gclid"), request.url).toBe(request === outbound.requests[0] ? "Cj0KCQ-abc_1" : null);
    }
    // Control: the same cookie with ad storage granted is restored.
    await hit("data.pu-clid-no.test", { headers: { Cookie: cookie } }, later("1"));
    expect(new URL(new URL(outbound.requests.at(-1)!.url).searchParams.get("dl")!).searchParams.get("gclid")).toBe("Cj0KCQ-abc_1");
  });
});

describe("preview and debug", () => {
  it("pass sGTM's preview and debug headers, even large ones, and allow them in the preflight", async () => {
    const config = makeConfig("pu-preview");
    const outbound = mockOutbound({ [ORIGIN]: ok });
    await pushConfig(config);
    const big = "Z".repeat(12_000);
    const response = await hit("data.pu-preview.test", { headers: { "X-Gtm-Server-Preview": big, "X-Gtm-Server-Preview-Debug": "1", Cookie: "gtm_preview=env-1; gtm_auth=a; gtm_debug=x" } });
    expect(response.status).toBe(200);
    const sent = outbound.requests[0]!.headers;
    expect(sent.get("X-Gtm-Server-Preview")).toBe(big);
    expect(sent.get("X-Gtm-Server-Preview-Debug")).toBe("1");
    expect(sent.get("Cookie")).toContain("gtm_debug=x");
    const preflight = await edgeFetch("https://data.pu-preview.test/g/collect", {
      method: "OPTIONS",
      headers: { Origin: "https://www.pu-preview.test", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-gtm-server-preview, content-type" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("Access-Control-Allow-Headers")).toContain("x-gtm-server-preview");
  });

  it("preview_header: sent on every request without one of its own", async () => {
    const value = "ZW52LTV8b3VKMEpqV2t1ZkZDd0abc123==";
    const config = withPowerUps("pu-preview-set", { preview_header: value });
    const outbound = mockOutbound({ [ORIGIN]: ok });
    await pushConfig(config);
    await hit("data.pu-preview-set.test");
    await hit("data.pu-preview-set.test", { headers: { "X-Gtm-Server-Preview": "own-value-0123456789" } });
    expect(outbound.requests.map((request) => request.headers.get("X-Gtm-Server-Preview"))).toEqual([value, "own-value-0123456789"]);
  });
});
