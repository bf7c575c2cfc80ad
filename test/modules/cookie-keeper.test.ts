import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { consentFromHit, type Consent } from "../../src/modules/consent";
import {
  boundPreserved,
  cookieKind,
  keptSetCookies,
  MAX_PRESERVED_BYTES,
  MAX_PRESERVED_COOKIES,
  nextPreserved,
  parseCookieHeader,
  preservedByHit,
  restoreCookies,
  samePreservedSet,
  type KeptCookie,
  type KeptSetCookiesInput,
} from "../../src/modules/cookie-keeper";
import { selectSite } from "../../src/modules/site-select";
import type { CookieKeeperConfig } from "../../src/shared/edge-config";
import { testConfig } from "../support/config";

const config = testConfig();
const siteA = config.sites[0]!;
const siteB = config.sites[1]!;
const MAX_AGE = 395 * 86400;
const TAIL = `Max-Age=${MAX_AGE}; Domain=example.com; Path=/; Secure; SameSite=Lax`;

const keeper = (overrides: Partial<CookieKeeperConfig> = {}): CookieKeeperConfig => ({
  cookies: ["FPID", "_ga", "_ga_*", "_gcl_*", "_fbp"],
  max_age_days: 395,
  require_consent: true,
  restore: true,
  ...overrides,
});

const REQUEST_COOKIES = "FPID=FPID2.2.abc%3D.1700000000; _ga=GA1.1.111.222; _ga_ABC123=GS1.1.333; _gcl_au=1.1.444; _fbp=fb.1.555; sid=xyz";
const LINES = {
  FPID: `FPID=FPID2.2.abc%3D.1700000000; ${TAIL}; HttpOnly`,
  _ga: `_ga=GA1.1.111.222; ${TAIL}`,
  _ga_ABC123: `_ga_ABC123=GS1.1.333; ${TAIL}`,
  _gcl_au: `_gcl_au=1.1.444; ${TAIL}`,
  _fbp: `_fbp=fb.1.555; ${TAIL}`,
};
const ANALYTICS = [LINES.FPID, LINES._ga, LINES._ga_ABC123];
const ALL = [...ANALYTICS, LINES._gcl_au, LINES._fbp];

const consentOf = (gcs: string | null): Consent =>
  consentFromHit(new URL(`https://data.example.com/g/collect?v=2${gcs ? `&gcs=${gcs}` : ""}`).searchParams);

/** A granted hit on site A with the test keeper config, unless told otherwise. */
const keep = (input: Partial<KeptSetCookiesInput>) =>
  keptSetCookies({
    requestCookieHeader: null,
    originSetCookies: [],
    consent: consentOf("G111"),
    site: siteA,
    config: keeper(),
    ...input,
  });

describe("consent matrix", () => {
  it.each([
    ["G100", true, []],
    ["G101", true, ANALYTICS],
    ["G110", true, [LINES._gcl_au]],
    ["G111", true, ALL],
    [null, true, []],
    ["G100", false, []],
    ["G101", false, ANALYTICS],
    ["G110", false, [LINES._gcl_au]],
    ["G111", false, ALL],
    [null, false, ALL],
  ] as Array<[string | null, boolean, string[]]>)("gcs=%s require_consent=%s", (gcs, requireConsent, expected) => {
    const result = keep({ requestCookieHeader: REQUEST_COOKIES, consent: consentOf(gcs), config: keeper({ require_consent: requireConsent }) });
    expect(result.setCookies).toEqual(expected);
    expect(result.kept.map((c) => c.name)).toEqual(expected.map((line) => line.slice(0, line.indexOf("="))));
  });
});

describe("origin Set-Cookie headers", () => {
  const originSetCookies = [
    "sid=s1; Path=/; HttpOnly",
    "_ga=GA1.1.999.888; Domain=data.example.com; Max-Age=63072000; Path=/",
    "pref=dark; Path=/; Expires=Wed, 21 Oct 2099 07:28:00 GMT",
    "FPID=FPID2.2.new%3D.1; Max-Age=63072000; Path=/; Secure; HttpOnly",
  ];

  it("pass through one per line, with kept cookies replaced in place and the origin's value winning", () => {
    const result = keep({ requestCookieHeader: "_ga=GA1.1.old.old; FPID=FPID2.2.old; _gcl_au=1.1.444", originSetCookies, consent: { analytics: true, ads: true } });
    expect(result.setCookies).toEqual([
      "sid=s1; Path=/; HttpOnly",
      `_ga=GA1.1.999.888; ${TAIL}`,
      "pref=dark; Path=/; Expires=Wed, 21 Oct 2099 07:28:00 GMT",
      `FPID=FPID2.2.new%3D.1; ${TAIL}; HttpOnly`,
      `_gcl_au=1.1.444; ${TAIL}`,
    ]);
    expect(result.kept).toEqual([
      { name: "_ga", value: "GA1.1.999.888" },
      { name: "FPID", value: "FPID2.2.new%3D.1" },
      { name: "_gcl_au", value: "1.1.444" },
    ]);
    const headers = new Headers();
    for (const line of result.setCookies) headers.append("Set-Cookie", line);
    expect(headers.getSetCookie()).toEqual(result.setCookies);
  });

  it("pass through unchanged on a denied hit, and nothing is extended", () => {
    const result = keep({ requestCookieHeader: REQUEST_COOKIES, originSetCookies, consent: consentOf("G100"), config: keeper({ require_consent: false }) });
    expect(result.setCookies).toEqual(originSetCookies);
    expect(result.kept).toEqual([]);
  });

  it("are never re-issued when the origin deletes the cookie", () => {
    const deletions = ["_ga=; Max-Age=0; Path=/", "_gcl_au=x; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/"];
    const result = keep({ requestCookieHeader: REQUEST_COOKIES, originSetCookies: deletions, now: Date.UTC(2026, 0, 1) });
    expect(result.setCookies.slice(0, 2)).toEqual(deletions);
    expect(result.setCookies.some((line) => line.startsWith("_ga=GA1") || line.startsWith("_gcl_au=1"))).toBe(false);
    expect(result.kept.map((c) => c.name)).toEqual(["FPID", "_ga_ABC123", "_fbp"]);
  });

  it("drop a line that would split headers", () => {
    const result = keep({ originSetCookies: ["a=1\r\nX-Evil: 1", "b=2"] });
    expect(result.setCookies).toEqual(["b=2"]);
  });
});

describe("re-issue rules", () => {
  it("keeps FPID HttpOnly and no other", () => {
    const { setCookies } = keep({ requestCookieHeader: REQUEST_COOKIES });
    expect(setCookies.filter((line) => line.endsWith("; HttpOnly"))).toEqual([LINES.FPID]);
  });

  it("caps Max-Age at 400 days", () => {
    const run = (days: number) =>
      keep({ requestCookieHeader: "_ga=GA1.1.1.2", config: keeper({ max_age_days: days }) }).setCookies[0];
    expect(run(400)).toContain(`Max-Age=${400 * 86400};`);
    expect(run(1000)).toContain(`Max-Age=${400 * 86400};`);
    expect(run(1)).toContain("Max-Age=86400;");
  });

  it("extends only configured names, prefixes matching as prefixes", () => {
    const { kept } = keep({ requestCookieHeader: "_ga_X=1; _gax=2; _gcl_aw=3; _gcl=4; FPIDX=5; sid=6" });
    expect(kept.map((c) => c.name)).toEqual(["_ga_X", "_gcl_aw"]);
  });

  it("extends only cookies that exist", () => {
    const result = keep({});
    expect(result).toEqual({ setCookies: [], kept: [] });
  });

  it.each([
    ["comma", "_ga=a,b"],
    ["space", "_ga=a b; Path=/"],
    ["control character", "_ga=a\u0001b"],
    ["backslash", "_ga=a\\b"],
    ["unbalanced quote", '_ga="abc'],
    ["empty", "_ga=; Path=/"],
    ["over 4000 chars", `_ga=${"a".repeat(4001)}`],
  ])("never re-issues an invalid origin value (%s); the origin's line passes as is", (_name, line) => {
    const result = keep({ requestCookieHeader: "_ga=GA1.1.old", originSetCookies: [line] });
    expect(result).toEqual({ setCookies: [line], kept: [] });
  });

  it("never re-issues an invalid request value", () => {
    const result = keep({ requestCookieHeader: '_ga=a\u0001b; _gcl_au=a\\b; _ga_X="abc; _ga_Y=a,b; _ga_Z=' });
    expect(result).toEqual({ setCookies: [], kept: [] });
  });

  it("re-issues a quoted value as is", () => {
    const { setCookies } = keep({ requestCookieHeader: '_ga="GA1.1.1.2"' });
    expect(setCookies).toEqual([`_ga="GA1.1.1.2"; ${TAIL}`]);
  });
});

describe("multi-domain isolation", () => {
  const hitOn = (host: string, publicHost: string | null) => {
    const site = selectSite(config, host, publicHost);
    const { setCookies } = keep({ requestCookieHeader: "_ga=GA1.1.1.2", site, config: config.cookie_keeper });
    return { site, setCookies };
  };

  it("sets cookies on the selected site's cookie domain only", () => {
    const b = hitOn("data.example.org", null);
    expect(b.site.web_gtm_id).toBe("GTM-BBBB22");
    expect(b.setCookies).toEqual([`_ga=GA1.1.1.2; Max-Age=${MAX_AGE}; Domain=example.org; Path=/; Secure; SameSite=Lax`]);
    const a = hitOn("abc123.trqaxal.com", "www.example.com");
    expect(a.site.web_gtm_id).toBe("GTM-AAAA11");
    expect(a.setCookies.every((line) => line.includes("Domain=example.com;"))).toBe(true);
  });

  it("ignores a foreign X-Public-Host", () => {
    const b = hitOn("shop.example.org", "evil.com");
    expect(b.site.site_id).toBe(siteB.site_id);
    expect(b.setCookies.every((line) => line.includes("Domain=example.org;"))).toBe(true);
  });
});

describe("restoreCookies", () => {
  const preserved = [
    { name: "FPID", value: "FPID2.2.abc" },
    { name: "_ga", value: "GA1.1.1.2" },
    { name: "_ga_ABC123", value: "GS1.1.3" },
    { name: "_gcl_au", value: "1.1.4" },
    { name: "sid", value: "not-configured" },
    { name: "_ga_BAD", value: "a;b" },
  ];
  const restore = (gcs: string | null, requestCookieHeader: string | null, overrides: Partial<CookieKeeperConfig> = {}) =>
    restoreCookies({ preserved, requestCookieHeader, consent: consentOf(gcs), site: siteB, config: keeper(overrides) });

  it("returns the missing cookies, never FPID", () => {
    expect(restore("G111", "_ga_ABC123=GS1.1.3")).toEqual([
      { name: "_ga", value: "GA1.1.1.2", maxAge: MAX_AGE, domain: "example.org" },
      { name: "_gcl_au", value: "1.1.4", maxAge: MAX_AGE, domain: "example.org" },
    ]);
  });

  it("follows the consent rules", () => {
    expect(restore("G101", null).map((c) => c.name)).toEqual(["_ga", "_ga_ABC123"]);
    expect(restore("G110", null).map((c) => c.name)).toEqual(["_gcl_au"]);
    expect(restore(null, null)).toEqual([]);
    expect(restore(null, null, { require_consent: false }).map((c) => c.name)).toEqual(["_ga", "_ga_ABC123", "_gcl_au"]);
    expect(restore("G100", null, { require_consent: false })).toEqual([]);
  });

  it("returns nothing when restore is off", () => {
    expect(restore("G111", null, { restore: false })).toEqual([]);
  });
});

describe("parseCookieHeader", () => {
  it.each([
    [null, {}],
    ["", {}],
    ["a=1", { a: "1" }],
    ["a=1; b=2;c=3", { a: "1", b: "2", c: "3" }],
    ["a=1; a=2", { a: "1" }],
    ["a=x=y", { a: "x=y" }],
    ["novalue; b=2", { b: "2" }],
    ["  spaced  =  v  ", { spaced: "v" }],
    ['q="quoted"', { q: '"quoted"' }],
    ["=nameless; c=", { c: "" }],
  ] as Array<[string | null, Record<string, string>]>)("%j", (header, expected) => {
    expect(Object.fromEntries(parseCookieHeader(header))).toEqual(expected);
  });
});

describe("properties", () => {
  const NAMES = ["FPID", "_ga", "_ga_ABC", "_gcl_au", "_gcl_aw", "_fbp", "sid", "_gax", "a b", "x;y"];
  const stateArb = fc.constantFrom(true, false, null);
  const valueArb = fc.oneof(
    fc.stringMatching(/^[A-Za-z0-9.%_-]{1,20}$/),
    fc.string({ unit: "binary", maxLength: 20 }),
    fc.constantFrom("a;b", "a\r\nSet-Cookie: x=1", "a,b", '"q"', "a\u0000b", ""),
  );
  const pairArb = fc.tuple(fc.constantFrom(...NAMES), valueArb);
  const attrsArb = fc.constantFrom("", "; Path=/", "; Max-Age=0", "; Max-Age=600", "; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
  const REISSUED = /^([^=;]+)=([^;]*); Max-Age=(\d+); Domain=([a-z0-9.-]+); Path=\/; Secure; SameSite=Lax(; HttpOnly)?$/;

  it("never injects: every line is the origin's own or a well-formed re-issue on the site's domain, consent respected", () => {
    fc.assert(
      fc.property(
        fc.array(pairArb, { maxLength: 8 }),
        fc.array(fc.tuple(pairArb, attrsArb), { maxLength: 5 }),
        stateArb,
        stateArb,
        fc.boolean(),
        fc.integer({ min: 1, max: 2000 }),
        fc.constantFrom(siteA, siteB),
        (requestPairs, originPairs, analytics, ads, requireConsent, days, site) => {
          const originSetCookies = originPairs.map(([[name, value], attrs]) => `${name}=${value}${attrs}`);
          const consent = { analytics, ads };
          const { setCookies, kept } = keep({
            requestCookieHeader: requestPairs.map(([n, v]) => `${n}=${v}`).join("; "),
            originSetCookies,
            consent,
            site,
            config: keeper({ require_consent: requireConsent, max_age_days: days }),
          });
          const reissued = setCookies.filter((line) => !originSetCookies.includes(line));
          expect(setCookies.every((line) => !/[\r\n\0]/.test(line))).toBe(true);
          expect(reissued.map((line) => line.slice(0, line.indexOf("=")))).toEqual(kept.map((c) => c.name));
          for (const line of reissued) {
            const match = REISSUED.exec(line);
            expect(match, line).not.toBeNull();
            const [, name = "", value = "", maxAge, domain, httpOnly] = match!;
            expect(value).toMatch(/^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]+$|^"[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]+"$/);
            expect(Number(maxAge)).toBe(Math.min(days, 400) * 86400);
            expect(domain).toBe(site.cookie_domain);
            expect(Boolean(httpOnly)).toBe(name === "FPID");
            const kind = cookieKind(name);
            if (kind !== "ads") expect(analytics === false || (requireConsent && analytics !== true)).toBe(false);
            if (kind !== "analytics") expect(ads === false || (requireConsent && ads !== true)).toBe(false);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe("preserved sets (section 8)", () => {
  const c = (name: string, value = "v"): KeptCookie => ({ name, value });
  const set = (cookies: KeptCookie[], analytics: boolean | null, ads: boolean | null) => ({ cookies, consent: { analytics, ads } });
  const previous = set([c("FPID"), c("_ga"), c("_ga_OLD"), c("_gcl_aw"), c("custom")], true, true);

  it("samePreservedSet: equal only with the same cookies in order and the same consent; a repeat changes nothing", () => {
    const report = set([c("FPID", "1"), c("_ga", "2")], true, null);
    expect(samePreservedSet(report, set([c("FPID", "1"), c("_ga", "2")], true, null))).toBe(true);
    expect(samePreservedSet(report, set([c("FPID", "1"), c("_ga", "3")], true, null))).toBe(false);
    expect(samePreservedSet(report, set([c("_ga", "2"), c("FPID", "1")], true, null))).toBe(false);
    expect(samePreservedSet(report, set([c("FPID", "1")], true, null))).toBe(false);
    expect(samePreservedSet(report, set([c("FPID", "1"), c("_ga", "2")], true, false))).toBe(false);
    expect(samePreservedSet(report, set([c("FPID", "1"), c("_ga", "2")], null, null))).toBe(false);
    // Why the Worker may leave a repeat out of a batch: applying it again gives the same set.
    const once = nextPreserved(previous, report, true);
    expect(nextPreserved(once, report, true)).toEqual(once);
  });

  it.each([
    ["a grant of both replaces every kind", set([c("FPID"), c("_ga", "new")], true, true), ["FPID", "_ga"], { analytics: true, ads: true }],
    ["a denial of both removes everything", set([], false, false), [], { analytics: false, ads: false }],
    ["an ad denial removes ad cookies and `other` ones", set([c("FPID"), c("_ga"), c("_ga_OLD")], true, false), ["FPID", "_ga", "_ga_OLD"], { analytics: true, ads: false }],
    ["an analytics denial keeps only ad cookies", set([c("_gcl_aw")], false, true), ["_gcl_aw"], { analytics: false, ads: true }],
    ["no word on ads leaves ad and `other` cookies", set([c("FPID"), c("_ga")], true, null), ["FPID", "_ga", "_gcl_aw", "custom"], { analytics: true, ads: true }],
    ["no signal at all changes nothing", set([], null, null), ["FPID", "_ga", "_ga_OLD", "_gcl_aw", "custom"], { analytics: true, ads: true }],
  ])("%s", (_name, hit, names, consent) => {
    const next = nextPreserved(previous, hit, true);
    expect(next.cookies.map((cookie) => cookie.name)).toEqual(names);
    expect(next.consent).toEqual(consent);
  });

  it("without require_consent a hit without a signal replaces the set (nothing is denied)", () => {
    expect(nextPreserved(previous, set([c("_ga", "x")], null, null), false).cookies).toEqual([c("_ga", "x")]);
  });

  it("bounds a set to 20 cookies and 8 KB, FPID and _ga first, one value per name", () => {
    const many = Array.from({ length: 30 }, (_, i) => c(`_ga_${i}`));
    const bounded = boundPreserved([...many, c("_ga"), c("FPID"), c("_ga_0", "again")]);
    expect(bounded).toHaveLength(MAX_PRESERVED_COOKIES);
    expect(bounded.slice(0, 3).map((cookie) => cookie.name)).toEqual(["FPID", "_ga", "_ga_0"]);
    const big = boundPreserved([c("_ga_A", "x".repeat(5_000)), c("_ga_B", "y".repeat(5_000)), c("_ga_C", "z")]);
    expect(big.map((cookie) => cookie.name)).toEqual(["_ga_A", "_ga_C"]);
    expect(big.reduce((sum, cookie) => sum + cookie.name.length + cookie.value.length, 0)).toBeLessThanOrEqual(MAX_PRESERVED_BYTES);
  });

  it("a hit says something only with a usable FPID and a kept cookie or a consent signal", () => {
    const granted = { analytics: true, ads: true };
    const none = { analytics: null, ads: null };
    expect(preservedByHit("FPID2.2.x", [c("_ga")], none)).toEqual({ fpid: "FPID2.2.x", cookies: [c("_ga")], consent: none });
    expect(preservedByHit("FPID2.2.x", [], { analytics: false, ads: null })).not.toBeNull();
    expect(preservedByHit("FPID2.2.x", [], none)).toBeNull();
    expect(preservedByHit(undefined, [c("_ga")], granted)).toBeNull();
    expect(preservedByHit("a;b", [c("_ga")], granted)).toBeNull();
    expect(preservedByHit("x".repeat(257), [c("_ga")], granted)).toBeNull();
  });
});
