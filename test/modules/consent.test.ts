import { describe, expect, it } from "vitest";
import { consentFromHit, latestConsent, parseGcd, parseGcs, strictestConsent } from "../../src/modules/consent";

const hit = (query: string) => new URL(`https://data.example.com/g/collect?v=2&tid=G-XYZ${query}`);

describe("gcs", () => {
  it.each([
    ["G100", { ads: false, analytics: false }],
    ["G101", { ads: false, analytics: true }],
    ["G110", { ads: true, analytics: false }],
    ["G111", { ads: true, analytics: true }],
    ["G1--", { ads: null, analytics: null }],
    ["G1-1", { ads: null, analytics: true }],
    ["G10-", { ads: false, analytics: null }],
    ["G111x", { ads: null, analytics: null }],
    ["G211", { ads: null, analytics: null }],
    ["g111", { ads: null, analytics: null }],
    ["", { ads: null, analytics: null }],
  ])("%s", (gcs, expected) => {
    expect(parseGcs(gcs)).toEqual(expected);
    expect(consentFromHit(hit(`&gcs=${gcs}`).searchParams)).toEqual(expected);
  });
});

describe("gcd (consent mode v2)", () => {
  it.each([
    ["13l3l3l3l1", { ads: null, analytics: null }],
    ["13l3l3l3l1l1", { ads: null, analytics: null }],
    ["13t3t3t3t5l1", { ads: true, analytics: true }],
    ["13r3r3r3r5", { ads: true, analytics: true }],
    ["11p1p1p1p5", { ads: false, analytics: false }],
    ["13q3r3q3q5", { ads: false, analytics: true }],
    ["13n3m3n3n5", { ads: true, analytics: false }],
    ["13v3u3v3v5", { ads: true, analytics: false }],
    ["13l3R3l3l5", { ads: null, analytics: null }],
    ["13e3e3e3e5", { ads: null, analytics: null }],
    ["13r3", { ads: null, analytics: null }],
    ["xx", { ads: null, analytics: null }],
  ])("%s", (gcd, expected) => {
    expect(parseGcd(gcd)).toEqual(expected);
    expect(consentFromHit(hit(`&gcd=${gcd}`).searchParams)).toEqual(expected);
  });
});

describe("consentFromHit", () => {
  it("means no signal without gcs or gcd", () => {
    expect(consentFromHit(hit("").searchParams)).toEqual({ ads: null, analytics: null });
  });

  it("fills a type gcs leaves unset from gcd", () => {
    expect(consentFromHit(hit("&gcs=G1-1&gcd=13r3r3r3r5").searchParams)).toEqual({ ads: true, analytics: true });
  });

  it("lets a denial win when gcs and gcd disagree", () => {
    expect(consentFromHit(hit("&gcs=G111&gcd=13q3q3q3q5").searchParams)).toEqual({ ads: false, analytics: false });
    expect(consentFromHit(hit("&gcs=G100&gcd=13r3r3r3r5").searchParams)).toEqual({ ads: false, analytics: false });
  });
});

describe("latestConsent and strictestConsent (section 8)", () => {
  const T = true;
  const F = false;
  it.each([
    // previous, hit -> latest
    [{ analytics: T, ads: T }, { analytics: F, ads: F }, { analytics: F, ads: F }],
    [{ analytics: F, ads: F }, { analytics: T, ads: null }, { analytics: T, ads: F }],
    [{ analytics: T, ads: F }, { analytics: null, ads: null }, { analytics: T, ads: F }],
    [{ analytics: null, ads: null }, { analytics: null, ads: T }, { analytics: null, ads: T }],
  ])("latest of %j then %j is %j", (previous, hit, latest) => {
    expect(latestConsent(previous, hit)).toEqual(latest);
  });

  it.each([
    [{ analytics: F, ads: T }, { analytics: T, ads: T }, { analytics: F, ads: T }],
    [{ analytics: T, ads: T }, { analytics: T, ads: F }, { analytics: T, ads: F }],
    [{ analytics: null, ads: T }, { analytics: T, ads: null }, { analytics: T, ads: T }],
    [{ analytics: null, ads: null }, { analytics: null, ads: null }, { analytics: null, ads: null }],
  ])("strictest of %j and %j is %j", (a, b, strictest) => {
    expect(strictestConsent(a, b)).toEqual(strictest);
    expect(strictestConsent(b, a)).toEqual(strictest);
  });
});
