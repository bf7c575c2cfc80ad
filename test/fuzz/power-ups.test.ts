/**
 * Power-ups' properties (docs/power-ups.md): blocked-IP matching agrees with a bitwise
 * prefix comparison for random addresses and ranges, truncation never leaks the host part,
 * click IDs are never restored or stored without ad storage granted, and a reduced user
 * agent never carries the device model or a minor version.
 */
import fc from "fast-check";
import ipaddr from "ipaddr.js";
import { describe, expect } from "vitest";
import { IPV4_PREFIX, IPV6_PREFIX, reducedUserAgent, truncateIp } from "../../src/modules/anonymizer";
import { clickIdRestore, CLICK_ID_COOKIE, CLICK_ID_PARAMS } from "../../src/modules/click-ids";
import { compileBlockList, isBlocked } from "../../src/modules/ip-block";
import { parseDevice } from "../../src/modules/user-agent";
import { fuzz } from "./runs";

const v4 = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 });
const v6 = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 16, maxLength: 16 });
const text = (bytes: number[]) => ipaddr.fromByteArray(bytes).toString();

/** The same first `prefix` bits, by hand: the oracle the library's matching is checked against. */
function samePrefix(a: number[], b: number[], prefix: number): boolean {
  for (let bit = 0; bit < prefix; bit++) {
    const mask = 0x80 >> (bit % 8);
    if ((a[bit >> 3]! & mask) !== (b[bit >> 3]! & mask)) return false;
  }
  return true;
}

/** A range and an address near it: the address is the range's base with a few bits flipped, so both sides occur. */
const rangeAndAddress = fc.oneof(v4, v6).chain((base) =>
  fc.record({
    base: fc.constant(base),
    prefix: fc.integer({ min: 0, max: base.length * 8 }),
    flips: fc.array(fc.integer({ min: 0, max: base.length * 8 - 1 }), { maxLength: 3 }),
    otherFamily: fc.boolean().map((other) => other && base.length === 4),
  }),
);

describe("power-ups", () => {
  fuzz(
    "blocked IPs: an address is blocked exactly when it shares the range's prefix (and family), for random IPv4/IPv6 addresses and CIDR ranges",
    rangeAndAddress,
    ({ base, prefix, flips, otherFamily }) => {
      const address = [...base];
      for (const bit of flips) address[bit >> 3]! ^= 0x80 >> (bit % 8);
      const range = `${text(base)}/${prefix}`;
      const visitor = otherFamily ? `::ffff:${text(address)}` : text(address);
      const blocked = isBlocked(visitor, compileBlockList([range]));
      expect(blocked).toBe(samePrefix(base, address, prefix));
      return blocked ? "accepted" : "refused";
    },
  );

  fuzz(
    "anonymizer: a truncated address keeps the network (/24, /48) and zeroes every host bit",
    fc.oneof(v4, v6),
    (bytes) => {
      const truncated = truncateIp(text(bytes));
      expect(truncated).not.toBeNull();
      const out = ipaddr.parse(truncated!).toByteArray();
      const prefix = bytes.length === 4 ? IPV4_PREFIX : IPV6_PREFIX;
      expect(out).toHaveLength(bytes.length);
      expect(out.slice(0, prefix / 8)).toEqual(bytes.slice(0, prefix / 8));
      expect(out.slice(prefix / 8).every((byte) => byte === 0)).toBe(true);
      return bytes.slice(prefix / 8).some((byte) => byte !== 0) ? "accepted" : "refused";
    },
  );

  const clickId = fc.stringMatching(/^[A-Za-z0-9._~-]{1,40}$/);
  const consentState = fc.constantFrom(true, false, null);
  fuzz(
    "click IDs: never restored and never stored without ad storage granted on the hit",
    fc.record({
      ads: consentState,
      analytics: consentState,
      landing: fc.dictionary(fc.constantFrom(...CLICK_ID_PARAMS), clickId, { maxKeys: 3 }),
      kept: fc.dictionary(fc.constantFrom(...CLICK_ID_PARAMS), clickId, { maxKeys: 3 }),
      noise: fc.string({ maxLength: 30 }),
    }),
    ({ ads, analytics, landing, kept, noise }) => {
      const page = new URL("https://www.shop.test/p");
      for (const [name, value] of Object.entries(landing)) page.searchParams.set(name, value);
      page.searchParams.set("q", noise);
      const upstreamUrl = `https://sgtm.origin.test/g/collect?v=2&dl=${encodeURIComponent(page.href)}`;
      const cookie = `${CLICK_ID_COOKIE}=${Object.entries(kept).map(([name, value]) => `${name}.${value}`).join("|")}`;
      const outcome = clickIdRestore({ upstreamUrl, requestCookieHeader: cookie, consent: { ads, analytics }, cookieDomain: "shop.test" });
      if (ads !== true) {
        expect(outcome.upstreamUrl).toBe(upstreamUrl);
        expect(outcome.restored).toEqual([]);
        if (outcome.setCookie !== null) expect(outcome.setCookie).toMatch(new RegExp(`^${CLICK_ID_COOKIE}=; Max-Age=0;`));
        return "refused";
      }
      const restoredPage = new URL(new URL(outcome.upstreamUrl).searchParams.get("dl")!);
      for (const name of CLICK_ID_PARAMS) {
        const expected = Object.keys(landing).length > 0 ? landing[name] : (kept[name] ?? landing[name]);
        expect(restoredPage.searchParams.get(name) ?? undefined).toBe(expected);
      }
      expect(restoredPage.searchParams.get("q")).toBe(noise);
      return outcome.restored.length > 0 ? "accepted" : "refused";
    },
  );

  const model = fc.stringMatching(/^[A-Z]{2}-[A-Z][0-9]{3}[A-Z]$/);
  const version = fc.tuple(fc.integer({ min: 50, max: 140 }), fc.integer({ min: 1, max: 9999 }), fc.integer({ min: 1, max: 999 }));
  fuzz(
    "anonymizer: a reduced user agent carries no device model and no minor version",
    fc.record({ model, version, mobile: fc.boolean(), android: fc.integer({ min: 5, max: 15 }) }),
    ({ model: m, version: [major, minor, patch], mobile, android }) => {
      const ua = `Mozilla/5.0 (Linux; Android ${android}; ${m}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${major}.0.${minor}.${patch} ${mobile ? "Mobile " : ""}Safari/537.36`;
      const reduced = reducedUserAgent(parseDevice(new Headers({ "User-Agent": ua })));
      expect(reduced).not.toContain(m);
      expect(reduced).not.toContain(`.${minor}.${patch}`);
      expect(reduced).toContain(`Chrome/${major}.0.0.0`);
      return mobile ? "accepted" : "refused";
    },
  );
});
