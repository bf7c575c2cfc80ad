import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NO_CONSENT_SIGNAL } from "../../src/modules/consent";
import { keptSetCookies } from "../../src/modules/cookie-keeper";
import { domainAttributes, isSiteCookieDomain, siteSetCookies } from "../../src/modules/set-cookie";
import { testConfig } from "../support/config";

const SHOP = "shop.example.com";

describe("isSiteCookieDomain (section 8)", () => {
  it.each([
    // domain, request host, cookie domain, allowed
    ["example.com", "www.example.com", "example.com", true],
    ["www.example.com", "www.example.com", "example.com", true],
    ["a.shop.example.com", "x.a.shop.example.com", "shop.example.com", true],
    ["shop.example.com", "x.a.shop.example.com", "shop.example.com", true],
    ["a.shop.example.com", "x.a.shop.example.com", "example.com", true],
    // the cookie domain is always the site's, whatever host the hit came through
    ["example.com", "abc123.trqaxal.com", "example.com", true],
    ["trqaxal.com", "abc123.trqaxal.com", "example.com", false],
    ["abc123.trqaxal.com", "abc123.trqaxal.com", "example.com", false],
    ["com", "www.example.com", "example.com", false],
    ["other.example.com", "www.example.com", "example.com", false],
    ["example.org", "www.example.com", "example.com", false],
    ["evil-example.com", "www.evil-example.com", "example.com", false],
    ["xample.com", "www.example.com", "example.com", false],
    ["www.example.com.evil.test", "www.example.com", "example.com", false],
  ])("Domain=%s on a hit for %s, cookie_domain %s: %s", (domain, host, cookieDomain, allowed) => {
    expect(isSiteCookieDomain(domain, host, cookieDomain)).toBe(allowed);
  });
});

describe("domainAttributes", () => {
  it.each([
    ["a=1", []],
    ["a=1; Path=/; Secure", []],
    ["a=1; Domain=", []],
    ["a=1; Domain=.Example.COM", ["example.com"]],
    ["a=1;domain=example.com;DOMAIN=trqaxal.com", ["example.com", "trqaxal.com"]],
    ["a=1; Domain = example.com ", ["example.com"]],
    ["domain=trqaxal.com", []],
    ["a=domain=x; Path=/", []],
  ])("%j -> %j", (line, domains) => {
    expect(domainAttributes(line)).toEqual(domains);
  });
});

describe("siteSetCookies", () => {
  it("keeps host-only and site lines, in order; drops the edge zone, other sites, and any line with one foreign Domain", () => {
    const lines = [
      "host_only=1; Path=/",
      "a=1; Domain=example.com; Path=/",
      "zone=1; Domain=trqaxal.com; Path=/",
      "b=1; Domain=.www.example.com",
      "other=1; Domain=example.org",
      "twice=1; Domain=example.com; Domain=trqaxal.com",
      "parent=1; Domain=com",
    ];
    expect(siteSetCookies(lines, "www.example.com", "example.com")).toEqual([
      "host_only=1; Path=/",
      "a=1; Domain=example.com; Path=/",
      "b=1; Domain=.www.example.com",
    ]);
  });
});

describe("property: no line that reaches the browser names a Domain outside the site", () => {
  const config = testConfig();
  const [siteA, siteB] = config.sites;
  const domainPool = [
    "example.com", "www.example.com", "data.example.com", "metrics.example.com", "a.b.example.com", "com",
    "example.org", "shop.example.org", "trqaxal.com", "abc123.trqaxal.com", "evil.test", "xample.com", "",
  ];
  const domainArb = fc.oneof(
    fc.constantFrom(...domainPool),
    fc.stringMatching(/^[A-Za-z0-9.-]{1,24}$/),
  ).chain((domain) => fc.constantFrom(domain, `.${domain}`, domain.toUpperCase(), ` ${domain} `));
  const attributeArb = fc.oneof(
    domainArb.map((domain) => `Domain=${domain}`),
    fc.constantFrom("Path=/", "Secure", "HttpOnly", "Max-Age=600", "SameSite=None", "domain", "Domain"),
  );
  const lineArb = fc
    .tuple(fc.constantFrom("FPID", "_ga", "_ga_X1", "_gcl_aw", "session", "x"), fc.stringMatching(/^[A-Za-z0-9.]{1,12}$/), fc.array(attributeArb, { maxLength: 4 }))
    .map(([name, value, attributes]) => [`${name}=${value}`, ...attributes].join("; "));

  it("holds for the filter alone and through the cookie keeper", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(siteA!, siteB!),
        fc.constantFrom("example.com", "www.example.com", "data.example.com", "shop.example.org", "data.example.org", "abc123.trqaxal.com"),
        fc.array(lineArb, { maxLength: 8 }),
        fc.constantFrom("G111", "G100", null),
        (site, requestHost, lines, gcs) => {
          const inSite = (line: string) =>
            domainAttributes(line).every((domain) => isSiteCookieDomain(domain, requestHost, site.cookie_domain));
          const passed = siteSetCookies(lines, requestHost, site.cookie_domain);
          expect(passed.every(inSite)).toBe(true);
          // positive control: every line that is within the site passes, in order
          expect(passed).toEqual(lines.filter(inSite));
          const { setCookies } = keptSetCookies({
            requestCookieHeader: "_ga=GA1.1.1.2; FPID=f",
            originSetCookies: passed,
            consent: gcs ? { analytics: gcs[3] === "1", ads: gcs[2] === "1" } : NO_CONSENT_SIGNAL,
            site,
            config: config.cookie_keeper,
          });
          expect(setCookies.every(inSite)).toBe(true);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it("a site's own cookie domain is never refused (control)", () => {
    expect(siteSetCookies([`_ga=1; Domain=${SHOP}`], `www.${SHOP}`, SHOP)).toHaveLength(1);
  });
});
