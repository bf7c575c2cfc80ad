/**
 * Headers to and from the sGTM origin (edge contract sections 3 and 8): hop-by-hop
 * headers never cross the proxy; the forwarding, geo and origin-auth headers the
 * origin trusts are always ours, never the client's copies; the origin's CORS
 * headers never reach the browser (the edge sets its own).
 */

const HOP_BY_HOP: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/**
 * Client-supplied copies of what the edge asserts (client IP, host, geo, origin auth, and the
 * power-ups' bot flag and device headers, docs/power-ups.md) are dropped, whether or not the
 * power-up is on: the origin can trust every one of them to be the edge's.
 */
const CLIENT_ASSERTED: ReadonlySet<string> = new Set(["host", "x-real-ip", "forwarded", "true-client-ip", "x-origin-auth", "x-bot", "x-bot-score"]);
const CLIENT_ASSERTED_PREFIXES = ["cf-", "x-forwarded-", "x-geo-", "proxy-", "x-device-"];

const MAX_GEO_CHARS = 128;
const IP_RE = /^[0-9A-Fa-f:.]{2,45}$/;
const HOST_RE = /^[a-z0-9.-]{1,253}$/;

export type GeoHints = { country?: string; region?: string; city?: string };

export function upstreamHeaders(
  request: Request,
  publicHost: string,
  clientIp: string | null,
  cf?: GeoHints,
  originSecret?: string,
): Headers {
  const dropped = connectionNamed(request.headers);
  // A native copy, then what must not cross deleted: cheaper than rebuilding it entry by entry.
  const headers = new Headers(request.headers);
  for (const name of request.headers.keys()) {
    if (HOP_BY_HOP.has(name) || dropped.has(name) || isClientAsserted(name)) headers.delete(name);
  }
  if (clientIp && IP_RE.test(clientIp)) headers.set("X-Forwarded-For", clientIp);
  const host = publicHost.toLowerCase();
  if (HOST_RE.test(host)) headers.set("X-Forwarded-Host", host);
  // A Worker's request URL is always absolute http(s): its scheme is its first letters.
  headers.set("X-Forwarded-Proto", request.url.startsWith("https:") ? "https" : "http");
  setGeo(headers, "X-Geo-Country", cf?.country);
  setGeo(headers, "X-Geo-Region", cf?.region);
  setGeo(headers, "X-Geo-City", cf?.city);
  if (originSecret) headers.set("X-Origin-Auth", originSecret);
  return headers;
}

/**
 * Makes a copy of the origin's response headers fit for the browser, in place (a Response
 * made from the origin's keeps its headers without rebuilding them): hop-by-hop,
 * Connection-named and Access-Control-* headers go, and `setCookies` (the edge decides
 * which) replace the origin's Set-Cookie lines.
 */
export function toBrowserHeaders(headers: Headers, setCookies: readonly string[]): void {
  const dropped = connectionNamed(headers);
  const removed = new Set<string>();
  for (const name of headers.keys()) {
    if (name === "set-cookie" || name.startsWith("access-control-") || HOP_BY_HOP.has(name) || dropped.has(name)) removed.add(name);
  }
  for (const name of removed) headers.delete(name);
  // One header per cookie: Set-Cookie lines are never folded into one value.
  for (const cookie of setCookies) headers.append("Set-Cookie", cookie);
}

/**
 * A geo value safe for a header: controls dropped, non-ASCII and `%`
 * percent-encoded (UTF-8) so the origin can decode city names losslessly.
 */
export function sanitizeGeoValue(value: string | undefined): string | null {
  if (value === undefined) return null;
  const cleaned = value
    .replace(/\p{Surrogate}|[\u0000-\u001f\u007f-\u009f]/gu, "")
    .trim()
    .replace(/[^\x20-\x24\x26-\x7e]/gu, (char) => encodeURIComponent(char));
  if (cleaned === "" || cleaned.length > MAX_GEO_CHARS) return null;
  return cleaned;
}

function setGeo(headers: Headers, name: string, value: string | undefined): void {
  const safe = sanitizeGeoValue(value);
  if (safe !== null) headers.set(name, safe);
}

function isClientAsserted(name: string): boolean {
  return CLIENT_ASSERTED.has(name) || CLIENT_ASSERTED_PREFIXES.some((prefix) => name.startsWith(prefix));
}

/** Header names listed in Connection are hop-by-hop for this message (RFC 9110 7.6.1). */
const NONE: ReadonlySet<string> = new Set();

function connectionNamed(headers: Headers): ReadonlySet<string> {
  const connection = headers.get("connection");
  if (connection === null) return NONE;
  const named = new Set<string>();
  for (const token of connection.split(",")) {
    const name = token.trim().toLowerCase();
    if (name) named.add(name);
  }
  return named;
}
