/**
 * Cookie keeper (edge contract sections 4 and 8): re-issues the configured
 * first-party cookies with a long Max-Age on the site's cookie domain,
 * consent-aware; keeps each visitor's set per site, bounded, following the
 * latest consent signal; and restores preserved ones at /boot.
 */
import { MAX_COOKIE_AGE_DAYS, type CookieKeeperConfig, type Site } from "../shared/edge-config";
import { latestConsent, NO_CONSENT_SIGNAL, type Consent } from "./consent";

export type KeptCookie = { name: string; value: string };
/** A visitor's preserved cookies on one site and the consent last signalled (section 8). */
export type PreservedSet = { cookies: KeptCookie[]; consent: Consent };

/** Per visitor per site (contract section 8). */
export const MAX_PRESERVED_COOKIES = 20;
export const MAX_PRESERVED_BYTES = 8 * 1024;
/** Longer is no FPID the sGTM sets; a visitor key is kept small. */
const MAX_FPID_CHARS = 256;
export type RestoredCookie = { name: string; value: string; maxAge: number; domain: string };

export interface KeptSetCookiesInput {
  requestCookieHeader: string | null;
  originSetCookies: string[];
  consent: Consent;
  site: Site;
  config: CookieKeeperConfig;
  /** Epoch ms, to tell an origin's deletion (Expires in the past) from a set. */
  now?: number;
}

export interface RestoreCookiesInput {
  preserved: KeptCookie[];
  requestCookieHeader: string | null;
  consent: Consent;
  site: Site;
  config: CookieKeeperConfig;
}

/** RFC 6265 token (cookie-name). */
const COOKIE_NAME_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** RFC 6265 cookie-value: cookie-octets, optionally in double quotes. No `;`, `,`, space, `\`, controls. */
const COOKIE_VALUE_RE = /^(?:[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*|"[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*")$/;
const MAX_COOKIE_VALUE_CHARS = 4000;
/** A Set-Cookie line that could split or smuggle headers is never forwarded. */
const HEADER_BREAKING_RE = /[\r\n\0]/;
const HTTP_ONLY_COOKIES: ReadonlySet<string> = new Set(["FPID"]);

type CookieKind = "analytics" | "ads" | "other";

export function parseCookieHeader(header: string | null): Map<string, string> {
  const cookies = new Map<string, string>();
  if (!header) return cookies;
  for (const pair of header.split(";")) {
    const eq = pair.indexOf("=");
    if (eq === -1) continue;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    // The first occurrence wins: browsers send the most specific (longest path) cookie first.
    if (name && !cookies.has(name)) cookies.set(name, value);
  }
  return cookies;
}

export function keptSetCookies(input: KeptSetCookiesInput): { setCookies: string[]; kept: KeptCookie[] } {
  const { config, consent, site } = input;
  const now = input.now ?? Date.now();
  const maxAge = maxAgeSeconds(config);

  // Latest value per name: the origin's value wins over the request's.
  const chosen = new Map<string, string>();
  for (const [name, value] of parseCookieHeader(input.requestCookieHeader)) {
    if (isKeepable(name, value, config, consent)) chosen.set(name, value);
  }
  const originLines = input.originSetCookies.filter((line) => !HEADER_BREAKING_RE.test(line));
  // The origin's last line for a name decides: a deletion, a denied or an invalid value passes through untouched.
  for (const line of originLines) {
    const cookie = parseSetCookie(line);
    if (!cookie) continue;
    if (!isDeletion(cookie.attributes, now) && isKeepable(cookie.name, cookie.value, config, consent)) {
      chosen.set(cookie.name, cookie.value);
    } else {
      chosen.delete(cookie.name);
    }
  }

  const setCookies: string[] = [];
  const issued = new Set<string>();
  const issue = (name: string) => {
    const value = chosen.get(name);
    if (value === undefined || issued.has(name)) return;
    issued.add(name);
    setCookies.push(serializeKeptCookie(name, value, maxAge, site.cookie_domain));
  };
  // The origin's lines keep their order; a re-issued cookie takes the place of the origin's (first) line for it.
  for (const line of originLines) {
    const name = parseSetCookie(line)?.name;
    if (name !== undefined && chosen.has(name)) issue(name);
    else setCookies.push(line);
  }
  for (const name of chosen.keys()) issue(name);

  return { setCookies, kept: [...issued].map((name) => ({ name, value: chosen.get(name) as string })) };
}

export function restoreCookies(input: RestoreCookiesInput): RestoredCookie[] {
  const { config, consent, site } = input;
  if (!config.restore) return [];
  const present = parseCookieHeader(input.requestCookieHeader);
  const latest = new Map<string, string>();
  for (const { name, value } of input.preserved) {
    // FPID is HttpOnly: the page cannot set it, and its value must not reach page scripts.
    if (HTTP_ONLY_COOKIES.has(name) || present.has(name)) continue;
    if (isKeepable(name, value, config, consent)) latest.set(name, value);
  }
  const maxAge = maxAgeSeconds(config);
  return [...latest].map(([name, value]) => ({ name, value, maxAge, domain: site.cookie_domain }));
}

/**
 * What a hit tells about its visitor's preserved set, or null when it tells nothing: no
 * usable FPID, or no cookie kept and no consent signal.
 */
export function preservedByHit(fpid: string | undefined, kept: KeptCookie[], consent: Consent): ({ fpid: string } & PreservedSet) | null {
  if (fpid === undefined || fpid.length > MAX_FPID_CHARS || !isValidCookieValue(fpid)) return null;
  if (kept.length === 0 && consent.analytics === null && consent.ads === null) return null;
  return { fpid, cookies: boundPreserved(kept), consent };
}

/** Whether two reports say the same of a visitor: the same cookies in the same order, the same consent. */
export function samePreservedSet(a: PreservedSet, b: PreservedSet): boolean {
  return (
    a.consent.analytics === b.consent.analytics &&
    a.consent.ads === b.consent.ads &&
    a.cookies.length === b.cookies.length &&
    a.cookies.every((cookie, i) => cookie.name === b.cookies[i]!.name && cookie.value === b.cookies[i]!.value)
  );
}

/**
 * The visitor's set after a hit. Per kind of cookie: a hit that allows the kind replaces
 * its cookies with the ones it kept (what the browser holds now, never accumulated); a hit
 * that denies it removes them; a hit without a word on it leaves them. Consent follows the
 * latest signal per kind.
 */
export function nextPreserved(previous: PreservedSet | null, hit: PreservedSet, requireConsent: boolean): PreservedSet {
  const source = (name: string): "hit" | "previous" | "none" => {
    const kind = cookieKind(name);
    if (consentAllows(kind, hit.consent, requireConsent)) return "hit";
    return consentDenies(kind, hit.consent) ? "none" : "previous";
  };
  const cookies = [
    ...hit.cookies.filter((cookie) => source(cookie.name) === "hit"),
    ...(previous?.cookies ?? []).filter((cookie) => source(cookie.name) === "previous"),
  ];
  return { cookies: boundPreserved(cookies), consent: latestConsent(previous?.consent ?? NO_CONSENT_SIGNAL, hit.consent) };
}

/** At most MAX_PRESERVED_COOKIES and MAX_PRESERVED_BYTES (names + values): FPID and _ga first, then in order. */
export function boundPreserved(cookies: KeptCookie[]): KeptCookie[] {
  const rank = (name: string) => (name === "FPID" ? 0 : name === "_ga" ? 1 : 2);
  const ordered = cookies.map((cookie, index) => ({ cookie, index }));
  ordered.sort((a, b) => rank(a.cookie.name) - rank(b.cookie.name) || a.index - b.index);
  const bounded: KeptCookie[] = [];
  const names = new Set<string>();
  let bytes = 0;
  for (const { cookie } of ordered) {
    const size = cookie.name.length + cookie.value.length;
    if (names.has(cookie.name) || bounded.length >= MAX_PRESERVED_COOKIES || bytes + size > MAX_PRESERVED_BYTES) continue;
    names.add(cookie.name);
    bounded.push(cookie);
    bytes += size;
  }
  return bounded;
}

export function cookieKind(name: string): CookieKind {
  if (name === "FPID" || name === "_ga" || name.startsWith("_ga_")) return "analytics";
  if (name.startsWith("_gcl_")) return "ads";
  return "other";
}

/**
 * With require_consent a cookie needs an explicit grant for its kind; without,
 * it is extended unless the hit explicitly denies. `other` cookies need both kinds.
 */
export function consentAllows(kind: CookieKind, consent: Consent, requireConsent: boolean): boolean {
  const allows = (state: boolean | null) => (requireConsent ? state === true : state !== false);
  if (kind === "analytics") return allows(consent.analytics);
  if (kind === "ads") return allows(consent.ads);
  return allows(consent.analytics) && allows(consent.ads);
}

export function matchesCookiePattern(name: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) =>
    pattern.endsWith("*") ? name.startsWith(pattern.slice(0, -1)) : name === pattern,
  );
}

export function isValidCookieValue(value: string): boolean {
  return value.length > 0 && value.length <= MAX_COOKIE_VALUE_CHARS && value !== '""' && COOKIE_VALUE_RE.test(value);
}

/** An explicit denial of the kind (`other` cookies need both kinds, so a denial of either). */
function consentDenies(kind: CookieKind, consent: Consent): boolean {
  if (kind === "analytics") return consent.analytics === false;
  if (kind === "ads") return consent.ads === false;
  return consent.analytics === false || consent.ads === false;
}

function isKeepable(name: string, value: string, config: CookieKeeperConfig, consent: Consent): boolean {
  return (
    COOKIE_NAME_RE.test(name) &&
    matchesCookiePattern(name, config.cookies) &&
    isValidCookieValue(value) &&
    consentAllows(cookieKind(name), consent, config.require_consent)
  );
}

function maxAgeSeconds(config: CookieKeeperConfig): number {
  const days = Math.min(Math.max(Math.trunc(config.max_age_days), 1), MAX_COOKIE_AGE_DAYS);
  return days * 86400;
}

function serializeKeptCookie(name: string, value: string, maxAge: number, domain: string): string {
  const line = `${name}=${value}; Max-Age=${maxAge}; Domain=${domain}; Path=/; Secure; SameSite=Lax`;
  return HTTP_ONLY_COOKIES.has(name) ? `${line}; HttpOnly` : line;
}

type ParsedSetCookie = { name: string; value: string; attributes: Map<string, string> };

function parseSetCookie(line: string): ParsedSetCookie | null {
  const [pair = "", ...rest] = line.split(";");
  const eq = pair.indexOf("=");
  if (eq === -1) return null;
  const name = pair.slice(0, eq).trim();
  if (!name) return null;
  const attributes = new Map<string, string>();
  for (const attribute of rest) {
    const at = attribute.indexOf("=");
    const key = (at === -1 ? attribute : attribute.slice(0, at)).trim().toLowerCase();
    attributes.set(key, at === -1 ? "" : attribute.slice(at + 1).trim());
  }
  return { name, value: pair.slice(eq + 1).trim(), attributes };
}

/** The origin clearing a cookie (Max-Age <= 0 or Expires in the past) is forwarded as is, never re-issued. */
function isDeletion(attributes: Map<string, string>, now: number): boolean {
  const maxAge = attributes.get("max-age");
  if (maxAge !== undefined && /^-?\d+$/.test(maxAge)) return Number(maxAge) <= 0;
  const expires = attributes.get("expires");
  if (expires !== undefined) {
    const at = Date.parse(expires);
    return Number.isFinite(at) && at <= now;
  }
  return false;
}
