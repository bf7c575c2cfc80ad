import { describe, expect, it } from "vitest";
import { clickIdRestore, decodeClickIds, encodeClickIds } from "../../src/modules/click-ids";

const ORIGIN = "https://sgtm.origin.test";
const hitUrl = (page: string, gcs: string) => `${ORIGIN}/g/collect?v=2&gcs=${gcs}&dl=${encodeURIComponent(page)}`;
const run = (page: string, gcs: string, cookie: string | null) =>
  clickIdRestore({
    upstreamUrl: hitUrl(page, gcs),
    requestCookieHeader: cookie,
    consent: { ads: gcs[2] === "1" ? true : gcs[2] === "0" ? false : null, analytics: true },
    cookieDomain: "shop.test",
  });
const dlOf = (url: string) => new URL(new URL(url).searchParams.get("dl")!);

describe("clickIdRestore", () => {
  it("stores a landing hit's click IDs with ad storage granted, and leaves its URL alone", () => {
    const outcome = run("https://www.shop.test/?gclid=abc-1&wbraid=w_2&utm_source=x", "G111", null);
    expect(outcome.upstreamUrl).toBe(hitUrl("https://www.shop.test/?gclid=abc-1&wbraid=w_2&utm_source=x", "G111"));
    expect(outcome.setCookie).toBe("_qx_clid=gclid.abc-1|wbraid.w_2; Max-Age=1800; Domain=shop.test; Path=/; Secure; SameSite=Lax; HttpOnly");
  });

  it("restores the kept IDs on a later hit that lacks them, renewing the cookie", () => {
    const outcome = run("https://www.shop.test/cart?x=1", "G111", "a=b; _qx_clid=gclid.abc-1|msclkid.m9");
    expect(outcome.restored).toEqual(["gclid", "msclkid"]);
    const dl = dlOf(outcome.upstreamUrl);
    expect([dl.pathname, dl.searchParams.get("x"), dl.searchParams.get("gclid"), dl.searchParams.get("msclkid")]).toEqual(["/cart", "1", "abc-1", "m9"]);
    expect(outcome.setCookie).toContain("Max-Age=1800");
  });

  it("a new landing replaces the kept set", () => {
    const outcome = run("https://www.shop.test/?fbclid=new", "G111", "_qx_clid=gclid.old");
    expect(outcome.restored).toEqual([]);
    expect(outcome.setCookie).toMatch(/^_qx_clid=fbclid\.new;/);
  });

  it.each([
    ["ads denied: nothing restored, the cookie deleted", "G101", "_qx_clid=gclid.abc", "_qx_clid=; Max-Age=0"],
    ["ads denied, no cookie: nothing to delete", "G101", null, null],
    ["no word on ads: nothing restored, nothing written", "G1-1", "_qx_clid=gclid.abc", null],
  ])("%s", (_name, gcs, cookie, setCookie) => {
    const outcome = run("https://www.shop.test/?gclid=landing", gcs, cookie);
    expect(outcome.upstreamUrl).toBe(hitUrl("https://www.shop.test/?gclid=landing", gcs));
    expect(outcome.restored).toEqual([]);
    if (setCookie === null) expect(outcome.setCookie).toBeNull();
    else expect(outcome.setCookie).toContain(setCookie);
  });

  it("ignores hits without a page URL and page URLs that are not http(s)", () => {
    const noDl = clickIdRestore({ upstreamUrl: `${ORIGIN}/g/collect?v=2`, requestCookieHeader: "_qx_clid=gclid.a", consent: { ads: true, analytics: true }, cookieDomain: "shop.test" });
    expect(noDl).toEqual({ upstreamUrl: `${ORIGIN}/g/collect?v=2`, setCookie: null, restored: [] });
    expect(run("javascript:alert(1)?gclid=x", "G111", "_qx_clid=gclid.a").restored).toEqual([]);
  });

  it("keeps only plain-token IDs", () => {
    expect(run("https://www.shop.test/?gclid=a%3Bb&fbclid=ok", "G111", null).setCookie).toMatch(/^_qx_clid=fbclid\.ok;/);
  });
});

describe("the cookie value", () => {
  it("round-trips and drops what is not a known ID or a plain token", () => {
    expect(decodeClickIds(encodeClickIds({ gclid: "a.b-c_d~e", ttclid: "T1" }))).toEqual({ gclid: "a.b-c_d~e", ttclid: "T1" });
    expect(decodeClickIds("gclid.ok|evil.x|fbclid.|msclkid.a b|.x|dclid")).toEqual({ gclid: "ok" });
    expect(decodeClickIds(undefined)).toEqual({});
  });
});
