/**
 * Consent read from a Google hit (edge contract section 4).
 *
 * `gcs` = `G1<ad_storage><analytics_storage>`, each `1` granted, `0` denied,
 * `-` not set (`G100`, `G101`, `G110`, `G111`).
 *
 * `gcd` (consent mode v2) = `1<d><ad_storage><d><analytics_storage><d>
 * <ad_user_data><d><ad_personalization><d>…`, e.g. `13l3l3l3l1` or
 * `13t3t3t3t5l1`: one letter per consent type, telling its default and update
 * state. Only the letters whose final state is well known are read; any
 * other letter, or a string of another shape, means "unknown" (null).
 *
 * When gcs and gcd disagree on a type the denial wins: a cookie is never
 * extended on a contradictory signal.
 */

export type Consent = { analytics: boolean | null; ads: boolean | null };

/** gcd letters: final state after default and update. */
const GCD_LETTER_STATE: Readonly<Record<string, boolean | null>> = {
  l: null, // not set at all
  p: false, // denied by default, no update
  q: false, // denied by default, denied by update
  m: false, // no default, denied by update
  u: false, // granted by default, denied by update
  t: true, // granted by default, no update
  r: true, // denied by default, granted by update
  n: true, // no default, granted by update
  v: true, // granted by default, granted by update
};

const GCS_RE = /^G1([01-])([01-])$/;
const GCD_RE = /^1[0-9]([A-Za-z])[0-9]([A-Za-z])[0-9]([A-Za-z])[0-9]([A-Za-z])[0-9]/;

export const NO_CONSENT_SIGNAL: Consent = Object.freeze({ analytics: null, ads: null });

/** GA4 puts the shared consent parameters (gcs, gcd) of a batch in the URL, never only in the body. */
export function consentFromHit(query: URLSearchParams): Consent {
  const fromGcs = parseGcs(query.get("gcs"));
  const fromGcd = parseGcd(query.get("gcd"));
  return strictestConsent(fromGcs, fromGcd);
}

export function parseGcs(value: string | null): Consent {
  const match = value === null ? null : GCS_RE.exec(value);
  if (!match) return NO_CONSENT_SIGNAL;
  return { ads: gcsFlag(match[1]), analytics: gcsFlag(match[2]) };
}

export function parseGcd(value: string | null): Consent {
  const match = value === null ? null : GCD_RE.exec(value);
  if (!match) return NO_CONSENT_SIGNAL;
  return { ads: gcdLetter(match[1]), analytics: gcdLetter(match[2]) };
}

/** Each kind as the latest signal about it says: a hit without a word on a kind leaves it as it was. */
export function latestConsent(previous: Consent, hit: Consent): Consent {
  return { analytics: hit.analytics ?? previous.analytics, ads: hit.ads ?? previous.ads };
}

/** Two signals taken together: a denial in either wins (e.g. the remembered one and /boot's own gcs). */
export function strictestConsent(a: Consent, b: Consent): Consent {
  return { analytics: combine(a.analytics, b.analytics), ads: combine(a.ads, b.ads) };
}

function gcsFlag(flag: string | undefined): boolean | null {
  return flag === "1" ? true : flag === "0" ? false : null;
}

function gcdLetter(letter: string | undefined): boolean | null {
  if (letter === undefined || !Object.hasOwn(GCD_LETTER_STATE, letter)) return null;
  return GCD_LETTER_STATE[letter] ?? null;
}

function combine(a: boolean | null, b: boolean | null): boolean | null {
  if (a === null) return b;
  if (b === null) return a;
  return a && b;
}
