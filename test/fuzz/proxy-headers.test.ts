/**
 * Headers across the proxy (src/modules/proxy-headers.ts): what reaches the origin
 * never carries a client's copy of a header the edge asserts (forwarding, geo, origin
 * auth) and never a broken value; what reaches the browser never carries the origin's
 * hop-by-hop or CORS headers, and every Set-Cookie stays its own line.
 */
import fc from "fast-check";
import { describe, expect } from "vitest";
import { sanitizeGeoValue, toBrowserHeaders, upstreamHeaders } from "../../src/modules/proxy-headers";
import { HEADER_BREAK_RE, aroundValid, headerAscii, hostileString } from "./arbitraries";
import { fuzz } from "./runs";

const HOP_BY_HOP = ["connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"];
const ASSERTED = ["host", "x-real-ip", "forwarded", "true-client-ip", "x-origin-auth"];
const ASSERTED_PREFIXES = ["cf-", "x-forwarded-", "x-geo-", "proxy-"];
const isAsserted = (name: string) => ASSERTED.includes(name) || ASSERTED_PREFIXES.some((prefix) => name.startsWith(prefix));

const DANGEROUS_NAMES = [
  "X-Forwarded-For", "x-forwarded-host", "X-Forwarded-Proto", "X-Forwarded-Port", "X-Forwarded-Server", "x-geo-country", "X-Geo-City",
  "X-Geo-Region", "X-GEO-Latitude", "CF-Connecting-IP", "cf-ipcountry", "CF-Worker", "Forwarded", "X-Real-IP", "True-Client-IP", "Host",
  "X-Origin-Auth", "Proxy-Authorization", "Proxy-Connection", "Connection", "Keep-Alive", "TE", "Trailer", "Upgrade", "X-Forward-Secret",
  "X-Public-Host", "Cookie", "User-Agent", "Referer", "Access-Control-Allow-Origin", "Access-Control-Expose-Headers", "Set-Cookie",
  "X-Hop", "X-Access-Control-Note", "Content-Type", "Cache-Control", "Vary",
];
const headerName = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...DANGEROUS_NAMES) },
  { weight: 1, arbitrary: fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,20}$/) },
);
/** Connection lists that name other headers (hop-by-hop for this message, RFC 9110 7.6.1). */
const connectionValue = fc
  .array(fc.oneof(fc.constantFrom(...DANGEROUS_NAMES), fc.constantFrom("close", "keep-alive", "")), { maxLength: 4 })
  .map((names) => names.join(", "));
const headerPair = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(headerName, headerAscii()) },
  { weight: 1, arbitrary: fc.tuple(fc.constant("Connection"), connectionValue) },
);

/** Headers from pairs the way workerd would accept them (an invalid value could never have arrived). */
function headersOf(pairs: ReadonlyArray<readonly [string, string]>): Headers {
  const headers = new Headers();
  for (const [name, value] of pairs) {
    try {
      headers.append(name, value);
    } catch {
      // refused by Headers: not a request or response anyone can send
    }
  }
  return headers;
}

function connectionNamed(headers: Headers): Set<string> {
  return new Set((headers.get("connection") ?? "").split(",").map((token) => token.trim().toLowerCase()).filter(Boolean));
}

const geoValue = fc.option(fc.oneof(hostileString(160), fc.constantFrom("Zürich", "São Paulo", "北京", "Ḩawallī", "100%", "a\r\nX-Injected: 1")), { nil: undefined });

describe("headers to the origin", () => {
  fuzz(
    "upstreamHeaders: no client copy of a forwarding, geo, CF, host or origin-auth header reaches the origin; the edge's own values are well-formed; hop-by-hop and Connection-named headers dropped; the rest passes unchanged",
    fc.record({
      pairs: fc.array(headerPair, { maxLength: 10 }),
      https: fc.boolean(),
      publicHost: aroundValid(fc.constantFrom("www.example.com", "Data.Example.com", "shop.example.org"), 80),
      clientIp: fc.oneof(fc.ipV4(), fc.ipV6(), fc.constant(null), headerAscii(4)),
      geo: fc.record({ country: geoValue, region: geoValue, city: geoValue }),
      originSecret: fc.option(fc.stringMatching(/^[A-Za-z0-9_-]{32,64}$/), { nil: undefined }),
    }),
    ({ pairs, https, publicHost, clientIp, geo, originSecret }) => {
      const request = new Request(`${https ? "https" : "http"}://edge.test/g/collect`, { headers: headersOf(pairs) });
      const sent = upstreamHeaders(request, publicHost, clientIp, geo, originSecret);
      const dropped = connectionNamed(request.headers);
      for (const [name, value] of sent) expect(value).not.toMatch(HEADER_BREAK_RE);
      for (const name of HOP_BY_HOP) expect(sent.has(name)).toBe(false);
      // The edge's own: from its arguments only, never from the client's headers.
      expect(sent.get("x-forwarded-for")).toBe(clientIp !== null && /^[0-9A-Fa-f:.]{2,45}$/.test(clientIp) ? clientIp : null);
      const host = publicHost.toLowerCase();
      expect(sent.get("x-forwarded-host")).toBe(/^[a-z0-9.-]{1,253}$/.test(host) ? host : null);
      expect(sent.get("x-forwarded-proto")).toBe(https ? "https" : "http");
      expect(sent.get("x-geo-country")).toBe(sanitizeGeoValue(geo.country));
      expect(sent.get("x-geo-region")).toBe(sanitizeGeoValue(geo.region));
      expect(sent.get("x-geo-city")).toBe(sanitizeGeoValue(geo.city));
      expect(sent.get("x-origin-auth")).toBe(originSecret ?? null);
      const own = new Set(["x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-geo-country", "x-geo-region", "x-geo-city", "x-origin-auth"]);
      for (const [name] of sent) if (!own.has(name)) expect(isAsserted(name), name).toBe(false);
      // Everything else the client sent passes as it was.
      let passed = 0;
      for (const [name] of request.headers) {
        if (HOP_BY_HOP.includes(name) || dropped.has(name) || isAsserted(name)) continue;
        // A native copy: every value exactly as it came, repeated names included.
        expect(sent.get(name)).toBe(request.headers.get(name));
        passed++;
      }
      return passed > 0 ? "accepted" : "refused";
    },
  );

  fuzz(
    "sanitizeGeoValue: null or printable ASCII of at most 128 chars that percent-decodes to the input minus controls, lone surrogates and surrounding blanks",
    geoValue,
    (value) => {
      const safe = sanitizeGeoValue(value);
      const expected = value?.replace(/\p{Surrogate}|[\u0000-\u001f\u007f-\u009f]/gu, "").trim() ?? "";
      if (safe === null) {
        // encodeURIComponent escapes a superset of what the edge escapes, so it bounds the edge's length from above.
        expect(expected === "" || encodeURIComponent(expected).length > 128).toBe(true);
        return "refused";
      }
      expect(safe).toMatch(/^[\x20-\x7e]{1,128}$/);
      expect(decodeURIComponent(safe)).toBe(expected);
      return "accepted";
    },
  );
});

describe("headers from the origin", () => {
  fuzz(
    "toBrowserHeaders: no hop-by-hop, Connection-named or Access-Control-* header of the origin reaches the browser; each Set-Cookie stays one line, in order; the rest passes unchanged",
    fc.array(
      fc.oneof(
        { weight: 4, arbitrary: headerPair },
        { weight: 2, arbitrary: fc.tuple(fc.constant("Set-Cookie"), headerAscii()) },
        { weight: 1, arbitrary: fc.tuple(fc.constantFrom("Access-Control-Allow-Origin", "access-control-allow-credentials", "Access-Control-Allow-Headers", "ACCESS-CONTROL-MAX-AGE"), fc.constantFrom("*", "null", "true", "https://evil.test")) },
      ),
      { maxLength: 10 },
    ),
    (pairs) => {
      const origin = headersOf(pairs);
      const out = new Headers(origin);
      toBrowserHeaders(out, origin.getSetCookie());
      const dropped = connectionNamed(origin);
      expect(out.getSetCookie()).toEqual(origin.getSetCookie());
      // Set-Cookie lines always pass here (even if Connection names them): the Domain filter and keeper decide on them.
      dropped.delete("set-cookie");
      for (const [name, value] of out) {
        expect(value).not.toMatch(HEADER_BREAK_RE);
        expect(HOP_BY_HOP.includes(name) || dropped.has(name) || name.startsWith("access-control-"), name).toBe(false);
      }
      for (const [name] of origin) {
        if (name === "set-cookie" || HOP_BY_HOP.includes(name) || dropped.has(name) || name.startsWith("access-control-")) continue;
        expect(out.get(name)).toBe(origin.get(name));
      }
      return [...out].length > 0 ? "accepted" : "refused";
    },
  );
});
