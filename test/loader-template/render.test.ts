import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeRecoveryParam } from "../../src/modules/recovery-path";
import { LOADER_TEMPLATE } from "../../src/loader-template/loader.generated";
import {
  CONFIG_PLACEHOLDER,
  gtmLoadPath,
  loaderConfig,
  renderLoader,
  scriptSafeJson,
} from "../../src/loader-template/render";
import type { Site } from "../../src/shared/edge-config";
import { decodePayload, deriveSiteEndpoints } from "../../src/shared/site-endpoints";
import { testConfig } from "../support/config";

const BLOCKED_IN_URL = /gtm\.js|gtag\/js|gtm-/i;

/** The JSON render put where the placeholder was. */
function injectedJson(rendered: string): string {
  const [before, after] = LOADER_TEMPLATE.split(CONFIG_PLACEHOLDER) as [string, string];
  expect(rendered.startsWith(before)).toBe(true);
  expect(rendered.endsWith(after)).toBe(true);
  return rendered.slice(before.length, rendered.length - after.length);
}

describe("renderLoader", () => {
  it("injects the site's loader config in place of the single placeholder", () => {
    const config = testConfig();
    const site = config.sites[1]!;
    const rendered = renderLoader(config, site);
    expect(LOADER_TEMPLATE.split(CONFIG_PLACEHOLDER)).toHaveLength(2);
    expect(rendered).not.toContain(CONFIG_PLACEHOLDER);
    expect(JSON.parse(injectedJson(rendered))).toEqual({
      lt: "lt_0123456789abcdef",
      n: "__qx",
      h: "/k/ct_bbbbbbbbbbbbbbbb",
      q: "p",
      s: 0,
      g: gtmLoadPath(site),
      b: "/boot",
      x: "/mark-session-detection",
      m: { r: true, k: true, d: true },
    });
  });

  it("a site with endpoint paths gets only its own names: no token, no fixed path, GTM encoded with its codec", async () => {
    const config = testConfig();
    const site = config.sites[0]!;
    const endpoints = await deriveSiteEndpoints("endpoint-key-0123456789");
    const injected = JSON.parse(injectedJson(renderLoader(config, site, endpoints)));
    expect(injected).toEqual({
      n: endpoints.pageName,
      h: endpoints.hit,
      q: endpoints.param,
      s: endpoints.codec.seed,
      g: expect.stringMatching(new RegExp(`^${endpoints.gtm.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\?${endpoints.param}=`)),
      b: endpoints.boot,
      x: endpoints.detect,
      m: { r: true, k: true, d: true },
    });
    const payload = injected.g.split("=")[1];
    expect(new TextDecoder().decode(decodePayload(payload, endpoints.codec)!)).toBe(`/gtm.js?id=${site.web_gtm_id}`);
    for (const fixed of ["/k/", "/boot", "/mark-session", "lt_", "ct_", "__qx", "GTM-", "gtm.js"]) {
      expect(JSON.stringify(injected)).not.toContain(fixed);
    }
  });

  it("maps module flags; restore needs both cookie_keeper and cookie_keeper.restore", () => {
    const base = testConfig();
    const off = testConfig({
      modules: { ...base.modules, gtm_recovery: false, adblock_itp_detection: false },
      cookie_keeper: { ...base.cookie_keeper, restore: false },
    });
    expect(loaderConfig(off, off.sites[0]!).m).toEqual({ r: false, k: false, d: false });
    expect(loaderConfig(off, off.sites[0]!).g).toBe("/gtm.js?id=GTM-AAAA11");
    const keeperOff = testConfig({ modules: { ...base.modules, cookie_keeper: false } });
    expect(loaderConfig(keeperOff, keeperOff.sites[0]!).m.k).toBe(false);
  });

  it("never leaks the GTM id or a GTM URL into the script", () => {
    const config = testConfig();
    const rendered = renderLoader(config, config.sites[0]!);
    expect(rendered).not.toContain("GTM-AAAA11");
    expect(rendered).not.toMatch(/googletagmanager\.com\/gtm|gtag\/js\?/);
  });
});

describe("scriptSafeJson", () => {
  it("escapes what could end a script element or a pre-ES2019 string literal", () => {
    const value = { a: "</script><script>alert(1)</script>", b: "line\u2028sep\u2029end", c: "$& $1 $$" };
    const json = scriptSafeJson(value);
    expect(json).not.toMatch(/[<>\u2028\u2029]/);
    expect(json).toContain("\\u003c/script\\u003e");
    expect(JSON.parse(json)).toEqual(value);
  });
});

describe("gtmLoadPath", () => {
  it("is the /k/ recovery path of /gtm.js?id=<web GTM id>", () => {
    const site = testConfig().sites[0]!;
    const path = gtmLoadPath(site);
    const url = new URL(path, "https://data.example.com");
    expect(url.pathname).toBe("/k/ct_aaaaaaaaaaaaaaaa");
    const decoded = decodeRecoveryParam(url.searchParams.get("p"));
    expect(decoded).toEqual({ ok: true, path: "/gtm.js", query: "?id=GTM-AAAA11" });
    expect(path).not.toMatch(BLOCKED_IN_URL);
  });

  it("never spells gtm.js, gtag/js or GTM- (any case) for any id, and always decodes to the id", () => {
    const site = testConfig().sites[0]!;
    const idChars = fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".split(""));
    fc.assert(
      fc.property(fc.string({ unit: idChars, minLength: 4, maxLength: 12 }), (suffix) => {
        const withId: Site = { ...site, web_gtm_id: `GTM-${suffix}` };
        const url = new URL(gtmLoadPath(withId), "https://data.example.com");
        const decoded = decodeRecoveryParam(url.searchParams.get("p"));
        expect(decoded.ok && decoded.path).toBe("/gtm.js");
        expect(new URLSearchParams(decoded.ok ? decoded.query : "").get("id")).toBe(`GTM-${suffix}`);
        expect(url.href).not.toMatch(BLOCKED_IN_URL);
      }),
      { numRuns: 2000 },
    );
  });
});
