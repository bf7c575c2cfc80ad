/**
 * Click ID restore (docs/power-ups.md): the ad click IDs a landing hit's page URL (`dl`)
 * carries are kept in a first-party cookie on the site's cookie domain, and put back into the
 * page URL of later hits of the session that lack them, so sGTM attributes the whole
 * session. Only with ad storage granted on the hit itself: no grant, nothing stored and
 * nothing restored; a denial deletes the cookie.
 */
import type { Consent } from "./consent";
import { parseCookieHeader } from "./cookie-keeper";

export const CLICK_ID_PARAMS = ["gclid", "dclid", "gbraid", "wbraid", "fbclid", "msclkid", "ttclid"] as const;
export const CLICK_ID_COOKIE = "_qx_clid";
/** A session as GA4 counts one: 30 minutes since the last hit (the cookie is renewed by every hit that uses it). */
export const CLICK_ID_SESSION_SECONDS = 1800;

type ClickIdName = (typeof CLICK_ID_PARAMS)[number];
export type ClickIds = Partial<Record<ClickIdName, string>>;

/** Click IDs are opaque URL-safe tokens; anything else (or longer) is not kept. */
const VALUE_RE = /^[A-Za-z0-9._~-]{1,512}$/;
const MAX_PAGE_URL_CHARS = 8192;

export interface ClickIdInput {
  upstreamUrl: string;
  requestCookieHeader: string | null;
  consent: Consent;
  cookieDomain: string;
}

export interface ClickIdOutcome {
  upstreamUrl: string;
  setCookie: string | null;
  restored: ClickIdName[];
}

export function clickIdRestore(input: ClickIdInput): ClickIdOutcome {
  const unchanged: ClickIdOutcome = { upstreamUrl: input.upstreamUrl, setCookie: null, restored: [] };
  const url = new URL(input.upstreamUrl);
  const pageUrl = pageUrlOf(url);
  if (!pageUrl) return unchanged;
  const stored = decodeClickIds(parseCookieHeader(input.requestCookieHeader).get(CLICK_ID_COOKIE));
  if (input.consent.ads !== true) {
    const forget = input.consent.ads === false && Object.keys(stored).length > 0;
    return { ...unchanged, setCookie: forget ? clickIdCookie("", 0, input.cookieDomain) : null };
  }
  const seen = clickIdsOf(pageUrl);
  if (Object.keys(seen).length > 0) {
    return { ...unchanged, setCookie: clickIdCookie(encodeClickIds(seen), CLICK_ID_SESSION_SECONDS, input.cookieDomain) };
  }
  const restored = CLICK_ID_PARAMS.filter((name) => stored[name] !== undefined);
  if (restored.length === 0) return unchanged;
  for (const name of restored) pageUrl.searchParams.set(name, stored[name]!);
  url.searchParams.set("dl", pageUrl.href);
  return {
    upstreamUrl: url.href,
    setCookie: clickIdCookie(encodeClickIds(stored), CLICK_ID_SESSION_SECONDS, input.cookieDomain),
    restored,
  };
}

/** The click IDs of a page URL, each only when it is a plain token. */
export function clickIdsOf(pageUrl: URL): ClickIds {
  const ids: ClickIds = {};
  for (const name of CLICK_ID_PARAMS) {
    const value = pageUrl.searchParams.get(name);
    if (value !== null && VALUE_RE.test(value)) ids[name] = value;
  }
  return ids;
}

/** `gclid.VALUE|fbclid.VALUE`: only cookie-octets, no `;`, `,`, space or quote. */
export function encodeClickIds(ids: ClickIds): string {
  return CLICK_ID_PARAMS.filter((name) => ids[name] !== undefined).map((name) => `${name}.${ids[name]}`).join("|");
}

export function decodeClickIds(value: string | undefined): ClickIds {
  const ids: ClickIds = {};
  if (!value || value.length > 4096) return ids;
  for (const part of value.split("|")) {
    const dot = part.indexOf(".");
    const name = part.slice(0, dot) as ClickIdName;
    const id = part.slice(dot + 1);
    if (dot > 0 && (CLICK_ID_PARAMS as readonly string[]).includes(name) && VALUE_RE.test(id)) ids[name] = id;
  }
  return ids;
}

/** The GA4 hit's page URL (`dl`), when it is an http(s) URL. */
function pageUrlOf(url: URL): URL | null {
  const dl = url.searchParams.get("dl");
  if (!dl || dl.length > MAX_PAGE_URL_CHARS) return null;
  try {
    const page = new URL(dl);
    return page.protocol === "https:" || page.protocol === "http:" ? page : null;
  } catch {
    return null;
  }
}

/** HttpOnly: only the edge reads it. */
function clickIdCookie(value: string, maxAge: number, domain: string): string {
  return `${CLICK_ID_COOKIE}=${value}; Max-Age=${maxAge}; Domain=${domain}; Path=/; Secure; SameSite=Lax; HttpOnly`;
}
