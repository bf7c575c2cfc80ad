/**
 * Cookie headers, origin Set-Cookie lines and restoration (src/modules/cookie-keeper.ts):
 * no parsed cookie can split a header or smuggle a second cookie, nothing is set or
 * restored for a domain outside the site, and a denied kind is never kept.
 */
import fc from "fast-check";
import { describe, expect } from "vitest";
import type { Consent } from "../../src/modules/consent";
import {
  cookieKind,
  keptSetCookies,
  matchesCookiePattern,
  parseCookieHeader,
  restoreCookies,
  type KeptSetCookiesInput,
} from "../../src/modules/cookie-keeper";
import { siteSetCookies } from "../../src/modules/set-cookie";
import { isSameOrParentDomain, type CookieKeeperConfig, type Site } from "../../src/shared/edge-config";
import { testConfig } from "../support/config";
import { HEADER_BREAK_RE, aroundValid, asHeaderValue, hostileString, nearValid } from "./arbitraries";
import { fuzz } from "./runs";

const base = testConfig();
/** Site A gains a host two labels below its cookie domain, so "between host and cookie_domain" has a middle. */
const config = testConfig({
  sites: base.sites.map((site, i) => (i === 0 ? { ...site, tracked_domains: [...site.tracked_domains, "eu.data.example.com"] } : site)),
});
const SITES = config.sites;

const NAMES = ["FPID", "_ga", "_ga_ABC123", "_gcl_au", "_gcl_aw", "_fbp", "sid", "_gax", "__Host-x", "a b", "x;y", "é", ""];
const cookieName = aroundValid(fc.constantFrom(...NAMES), 24, 4);
const cookieValue = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z0-9.%_=-]{1,24}$/) },
  fc.stringMatching(/^"[A-Za-z0-9.]{0,8}"$/),
  fc.constantFrom("a;b", "a\r\nSet-Cookie: x=1", "a,b", "a b", '"', '""', "a\u0000b", "", "\\", "a=b"),
  hostileString(32),
);
const pair = fc.tuple(cookieName, cookieValue).map(([name, value]) => `${name}=${value}`);

/** A Cookie header as a browser, a script or an attacker sends it, reduced to what workerd hands the Worker. */
const cookieHeader: fc.Arbitrary<string | null> = fc
  .oneof(
    fc.array(pair, { maxLength: 10 }).chain((pairs) => fc.constantFrom("; ", ";", " ; ", ";;").map((sep) => pairs.join(sep))),
    nearValid(fc.array(pair, { minLength: 1, maxLength: 6 }).map((pairs) => pairs.join("; "))),
    hostileString(120),
  )
  .map(asHeaderValue);

const consentState = fc.constantFrom<boolean | null>(true, false, null);
const consentArb: fc.Arbitrary<Consent> = fc.record({ analytics: consentState, ads: consentState });
const keeperArb: fc.Arbitrary<CookieKeeperConfig> = fc.record({
  cookies: fc.constantFrom(["FPID", "_ga", "_ga_*", "_gcl_*"], ["FPID", "_ga", "_ga_*", "_gcl_*", "_fbp", "sid"], ["_ga*"], []),
  max_age_days: fc.integer({ min: 1, max: 400 }),
  require_consent: fc.boolean(),
  restore: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
});

/** A request host of the site and the domains a cookie for it may carry: cookie_domain up to that host. */
function allowedDomains(site: Site, host: string): Set<string> {
  const allowed = new Set<string>();
  const labels = host.split(".");
  for (let i = 0; i < labels.length; i++) {
    const candidate = labels.slice(i).join(".");
    if (isSameOrParentDomain(site.cookie_domain, candidate)) allowed.add(candidate);
  }
  return allowed;
}

const SITE_HOSTS = SITES.flatMap((site) => [site.primary_host, ...site.tracked_domains].map((host) => ({ site, host })));

/** Domain attributes an origin could send: own, parents, the edge zone, another site's, public suffixes, tricks. */
function domainValues(site: Site, host: string): fc.Arbitrary<string> {
  const other = SITES.find((s) => s !== site)!;
  const edgeZone = config.edge_hostname.split(".").slice(1).join(".");
  return aroundValid(
    fc.constantFrom(
      site.cookie_domain, `.${site.cookie_domain}`, host, `.${host}`, site.cookie_domain.toUpperCase(), `${site.cookie_domain}.`,
      other.cookie_domain, other.primary_host, config.edge_hostname, edgeZone, `.${edgeZone}`, "com", "org", "evil.test",
      `evil${site.cookie_domain}`, `${site.cookie_domain}.evil.test`, "", "localhost",
    ),
    40,
  );
}

const ATTRIBUTE_ARBS: fc.Arbitrary<string>[] = [
  fc.constantFrom("Path=/", "Secure", "HttpOnly", "SameSite=None", "SameSite=Lax", "Partitioned"),
  fc.integer({ min: -10, max: 10_000_000 }).map((seconds) => `Max-Age=${seconds}`),
  fc.constantFrom("Expires=Thu, 01 Jan 1970 00:00:00 GMT", "Expires=Fri, 01 Jan 2100 00:00:00 GMT", "Expires=nonsense"),
  hostileString(24),
];

function setCookieLine(site: Site, host: string): fc.Arbitrary<string> {
  const attribute = fc.oneof(
    { weight: 3, arbitrary: domainValues(site, host).chain((d) => fc.constantFrom(`Domain=${d}`, `domain=${d}`, ` DOMAIN = ${d} `)) },
    { weight: 4, arbitrary: fc.oneof(...ATTRIBUTE_ARBS) },
  );
  const line = fc.tuple(pair, fc.array(attribute, { maxLength: 5 })).map(([first, attrs]) => [first, ...attrs].join("; "));
  return fc.oneof({ weight: 4, arbitrary: line }, { weight: 1, arbitrary: nearValid(line) });
}

/** One record arbitrary per (site, request host), built once. */
const keptInput = fc.oneof(
  ...SITE_HOSTS.map(({ site, host }) =>
    fc.record({
      site: fc.constant(site),
      host: fc.constant(host),
      requestCookieHeader: cookieHeader,
      originSetCookies: fc.array(setCookieLine(site, host), { maxLength: 6 }),
      consent: consentArb,
      config: keeperArb,
    }),
  ),
);

/**
 * The non-empty Domain attributes of a line as a browser reads them (RFC 6265 5.2.3:
 * leading dot ignored, case-insensitive); the browser applies the last one.
 */
function domainValuesOf(line: string): string[] {
  const domains: string[] = [];
  for (const attribute of line.split(";").slice(1)) {
    const eq = attribute.indexOf("=");
    if (eq === -1 || attribute.slice(0, eq).trim().toLowerCase() !== "domain") continue;
    const value = attribute.slice(eq + 1).trim().toLowerCase().replace(/^\./, "");
    if (value !== "") domains.push(value);
  }
  return domains;
}
const effectiveDomain = (line: string): string | null => domainValuesOf(line).at(-1) ?? null;

const denied = (kind: ReturnType<typeof cookieKind>, consent: Consent, requireConsent: boolean): boolean => {
  const refuses = (state: boolean | null) => state === false || (requireConsent && state !== true);
  if (kind === "analytics") return refuses(consent.analytics);
  if (kind === "ads") return refuses(consent.ads);
  return refuses(consent.analytics) || refuses(consent.ads);
};

describe("Cookie header", () => {
  fuzz(
    "parseCookieHeader: never throws; no name or value holds ; CR LF or NUL; names non-empty without =; the first occurrence wins",
    cookieHeader,
    (header) => {
      const cookies = parseCookieHeader(header);
      const pairs = (header ?? "").split(";");
      expect(cookies.size).toBeLessThanOrEqual(pairs.length);
      const firstValue = new Map<string, string>();
      for (const p of pairs) {
        const eq = p.indexOf("=");
        const name = p.slice(0, eq).trim();
        if (eq !== -1 && name !== "" && !firstValue.has(name)) firstValue.set(name, p.slice(eq + 1).trim());
      }
      expect(cookies.size).toBe(firstValue.size);
      for (const [name, value] of cookies) {
        expect(name + value).not.toMatch(/[;\r\n\0]/);
        expect(name).not.toContain("=");
        expect(name).toBe(name.trim());
        expect(value).toBe(value.trim());
        expect(value).toBe(firstValue.get(name));
      }
      return cookies.size > 0 ? "accepted" : "refused";
    },
  );

  fuzz(
    "restoreCookies: only the site's cookie_domain, only configured names with valid values, never FPID or a present cookie, never a denied kind",
    fc.record({
      site: fc.constantFrom(...SITES),
      preserved: fc.array(fc.record({ name: cookieName, value: cookieValue }), { maxLength: 12 }),
      requestCookieHeader: cookieHeader,
      consent: consentArb,
      config: keeperArb,
    }),
    (input) => {
      const restored = restoreCookies(input);
      if (!input.config.restore) expect(restored).toEqual([]);
      const present = parseCookieHeader(input.requestCookieHeader);
      const names = new Set<string>();
      for (const cookie of restored) {
        expect(cookie.domain).toBe(input.site.cookie_domain);
        expect(cookie.name).toMatch(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/);
        expect(matchesCookiePattern(cookie.name, input.config.cookies)).toBe(true);
        expect(cookie.value).toMatch(/^(?:[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]+|"[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]+")$/);
        expect(cookie.name).not.toBe("FPID");
        expect(present.has(cookie.name)).toBe(false);
        expect(denied(cookieKind(cookie.name), input.consent, input.config.require_consent)).toBe(false);
        expect(cookie.maxAge).toBe(input.config.max_age_days * 86400);
        expect(names.has(cookie.name)).toBe(false);
        names.add(cookie.name);
      }
      return restored.length > 0 ? "accepted" : "refused";
    },
  );
});

describe("origin Set-Cookie lines", () => {
  fuzz(
    "keptSetCookies: every emitted line is one header line (no CR LF NUL); re-issued lines carry Domain=cookie_domain; a denied kind is never kept",
    keptInput,
    ({ host: _host, ...input }: KeptSetCookiesInput & { host: string }) => {
      const { setCookies, kept } = keptSetCookies(input);
      for (const line of setCookies) expect(line).not.toMatch(HEADER_BREAK_RE);
      const reissued = setCookies.filter((line) => !input.originSetCookies.includes(line));
      expect(reissued.map((line) => line.slice(0, line.indexOf("=")))).toEqual(kept.map((cookie) => cookie.name));
      for (const line of reissued) expect(effectiveDomain(line)).toBe(input.site.cookie_domain);
      for (const cookie of kept) {
        expect(denied(cookieKind(cookie.name), input.consent, input.config.require_consent)).toBe(false);
        expect(`${cookie.name}=${cookie.value}`).not.toMatch(/[;,\s\0]/);
      }
      return kept.length > 0 ? "accepted" : "refused";
    },
  );

  // Written before the filter landed (c84c80c), when it failed at once: `FPID=a;b; Domain=example.comexample.com`
  // passed through. The pipeline (proxy-to-origin.ts) filters with siteSetCookies, then the keeper re-issues.
  fuzz(
    "siteSetCookies (+ keptSetCookies): the Domain of every line that reaches the browser is the site's cookie_domain or between the request host and it; every other line passes",
    keptInput,
    ({ host, ...input }: KeptSetCookiesInput & { host: string }) => {
      const allowed = allowedDomains(input.site, host);
      // What origin.headers.getSetCookie() can hold: no CR, LF or NUL, surrounding blanks trimmed.
      const originLines = input.originSetCookies.map(asHeaderValue).filter((line): line is string => line !== null);
      const filtered = siteSetCookies(originLines, host, input.site.cookie_domain);
      const { setCookies } = keptSetCookies({ ...input, originSetCookies: filtered });
      for (const line of [...filtered, ...setCookies]) {
        for (const domain of domainValuesOf(line)) expect(allowed, line).toContain(domain);
        expect(line).not.toMatch(HEADER_BREAK_RE);
      }
      // Not over-eager: a line whose every Domain is the site's own is kept, in order.
      const expected = originLines.filter((line) => domainValuesOf(line).every((domain) => allowed.has(domain)));
      expect(filtered).toEqual(expected);
      return filtered.length < originLines.length ? "refused" : "accepted";
    },
  );
});
