/**
 * Consent parameters (src/modules/consent.ts): any gcs/gcd a hit carries parses
 * without throwing, a string of another shape is no signal at all, and when the
 * two disagree the denial wins.
 */
import fc from "fast-check";
import { describe, expect } from "vitest";
import { consentFromHit, parseGcd, parseGcs, type Consent } from "../../src/modules/consent";
import { aroundValid, hostileString } from "./arbitraries";
import { fuzz } from "./runs";

type State = boolean | null;
const state = fc.constantFrom<State>(true, false, null);

const GCS_FLAG: Record<string, string> = { true: "1", false: "0", null: "-" };
/** gcd letters by final state; `l` is "not set". Unknown letters must read as null. */
const GCD_LETTERS: Record<string, string[]> = { true: ["t", "r", "n", "v"], false: ["p", "q", "m", "u"], null: ["l"] };

/** A well-formed gcs for known states. */
const gcsOf = (ads: State, analytics: State) => `G1${GCS_FLAG[String(ads)]}${GCS_FLAG[String(analytics)]}`;

/** A well-formed gcd for known states, with random digits, tail and letter choice. */
const gcdArb = (ads: State, analytics: State) =>
  fc
    .tuple(
      fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 5, maxLength: 5 }),
      fc.constantFrom(...GCD_LETTERS[String(ads)]!),
      fc.constantFrom(...GCD_LETTERS[String(analytics)]!),
      fc.stringMatching(/^[a-z0-9]{0,4}$/),
      fc.stringMatching(/^[a-z]{2}$/),
    )
    .map(([d, adsLetter, analyticsLetter, tail, others]) => `1${d[0]}${adsLetter}${d[1]}${analyticsLetter}${d[2]}${others[0]}${d[3]}${others[1]}${d[4]}${tail}`);
/** Built once per state pair: building arbitraries inside `chain` on every run costs more than the checks. */
const GCD_ARBS = new Map<string, fc.Arbitrary<string>>();
for (const ads of [true, false, null]) for (const analytics of [true, false, null]) GCD_ARBS.set(`${ads}/${analytics}`, gcdArb(ads, analytics));
const gcdFor = (ads: State, analytics: State) => GCD_ARBS.get(`${ads}/${analytics}`)!;

const signal = fc.record({ ads: state, analytics: state });
const gcsValue = aroundValid(signal.map(({ ads, analytics }) => gcsOf(ads, analytics)), 24);
const gcdValue = aroundValid(signal.chain(({ ads, analytics }) => gcdFor(ads, analytics)), 40);

const isState = (value: unknown) => value === true || value === false || value === null;
/** Denial wins, a grant needs one side granting and neither denying, null only when neither says anything. */
const combined = (a: State, b: State): State => (a === false || b === false ? false : a === true || b === true ? true : null);

describe("consent parameters", () => {
  fuzz("parseGcs / parseGcd: never throw, states only true/false/null, and a string of another shape is no signal", fc.oneof(gcsValue, gcdValue, hostileString(40), fc.constant(null)), (value) => {
    const gcs = parseGcs(value);
    const gcd = parseGcd(value);
    for (const consent of [gcs, gcd]) {
      expect(Object.keys(consent).sort()).toEqual(["ads", "analytics"]);
      expect(isState(consent.ads) && isState(consent.analytics)).toBe(true);
    }
    if (value === null || !/^G1[01-][01-]$/.test(value)) expect(gcs).toEqual({ ads: null, analytics: null });
    if (value === null || !/^1\d[A-Za-z]\d[A-Za-z]\d[A-Za-z]\d[A-Za-z]\d/.test(value)) expect(gcd).toEqual({ ads: null, analytics: null });
    const signalled = [gcs.ads, gcs.analytics, gcd.ads, gcd.analytics].some((state) => state !== null);
    return signalled ? "accepted" : "refused";
  });

  fuzz(
    "parseGcs / parseGcd: a well-formed signal reads back exactly the states it encodes",
    fc.tuple(signal, signal).chain(([a, b]) => fc.tuple(fc.constant(a), fc.constant(b), gcdFor(b.ads, b.analytics))),
    ([gcsState, gcdState, gcd]) => {
      expect(parseGcs(gcsOf(gcsState.ads, gcsState.analytics))).toEqual(gcsState);
      expect(parseGcd(gcd)).toEqual(gcdState);
      return "accepted";
    },
  );

  fuzz(
    "consentFromHit: denial wins over a grant; no signal on either side is null; duplicated or encoded parameters never turn a denial into a grant",
    fc.record({
      gcs: fc.option(gcsValue, { nil: undefined }),
      gcd: fc.option(gcdValue, { nil: undefined }),
      extra: fc.array(fc.tuple(fc.constantFrom("gcs", "gcd", "GCS", "gcs[]", "g%63s", "x"), fc.oneof(gcsValue, gcdValue)), { maxLength: 3 }),
      raw: fc.oneof(fc.constant(""), hostileString(40).map((text) => text.replace(/[#\s]/g, ""))),
    }),
    ({ gcs, gcd, extra, raw }) => {
      const params = new URLSearchParams();
      if (gcs !== undefined) params.append("gcs", gcs);
      if (gcd !== undefined) params.append("gcd", gcd);
      for (const [key, value] of extra) params.append(key, value);
      const url = new URL(`https://sgtm.example.net/g/collect?${params}${raw ? `&${raw}` : ""}`);
      const consent: Consent = consentFromHit(url.searchParams);
      const fromGcs = parseGcs(url.searchParams.get("gcs"));
      const fromGcd = parseGcd(url.searchParams.get("gcd"));
      expect(consent.analytics).toBe(combined(fromGcs.analytics, fromGcd.analytics));
      expect(consent.ads).toBe(combined(fromGcs.ads, fromGcd.ads));
      // The first gcs/gcd the URL carries is the one read: a later duplicate cannot lift a denial.
      if (gcs !== undefined && parseGcs(gcs).analytics === false) expect(consent.analytics).toBe(false);
      if (gcd !== undefined && parseGcd(gcd).ads === false) expect(consent.ads).toBe(false);
      return consent.analytics !== null || consent.ads !== null ? "accepted" : "refused";
    },
  );
});
