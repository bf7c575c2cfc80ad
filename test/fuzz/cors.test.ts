/**
 * CORS (src/modules/cors.ts): a grant names exactly one canonical origin whose host is
 * a host of the same container, never `*` or `null`, and the origin's own CORS headers
 * never survive to the browser.
 */
import fc from "fast-check";
import { describe, expect } from "vitest";
import { allowedOrigin, applyCors, preflightResponse } from "../../src/modules/cors";
import { toBrowserHeaders } from "../../src/modules/proxy-headers";
import { HEADER_BREAK_RE, aroundValid, asHeaderValue, headerAscii, hostilePiece } from "./arbitraries";
import { fuzz } from "./runs";

const HOSTS: ReadonlySet<string> = new Set(["example.com", "data.example.com", "abc123.trqaxal.com", "localhost"]);
const FOREIGN = ["evil.test", "example.com.evil.test", "evilexample.com", "trqaxal.com", "xn--exmple-cua.com"];

const origins = fc
  .tuple(
    fc.constantFrom("https", "http", "HTTPS", "ftp", "javascript", "null"),
    fc.constantFrom(...HOSTS, ...FOREIGN, "EXAMPLE.com", "example.com.", "[::1]", "127.0.0.1", "user@example.com", "example.com@evil.test"),
    fc.option(fc.oneof(fc.integer({ min: 0, max: 70_000 }).map(String), hostilePiece), { nil: undefined, freq: 2 }),
    fc.constantFrom("", "", "", "/", "/path", "?", "#", " ", "%2f"),
  )
  .map(([scheme, host, port, tail]) => `${scheme}://${host}${port === undefined ? "" : `:${port}`}${tail}`);
/** Origins of this container's pages as browsers send them, so the grant side is exercised too. */
const ownOrigins = fc.constantFrom("https://example.com", "https://data.example.com:8443", "http://localhost:8787", "https://ABC123.trqaxal.com", "http://example.com");
const originHeader = fc.oneof(
  { weight: 3, arbitrary: ownOrigins },
  { weight: 2, arbitrary: aroundValid(ownOrigins, 80) },
  { weight: 4, arbitrary: aroundValid(origins, 80, 3) },
  { weight: 1, arbitrary: fc.constantFrom("null", "*", "", "https://*.example.com") },
);

/** The value as it would arrive in a request header (ASCII, no CR/LF/NUL), or null for none. */
const asOriginHeader = (raw: string): string | null => asHeaderValue(raw.replace(/[^\x00-\x7f]/g, ""));

const GRANT_RE = /^https?:\/\/[a-z0-9.-]+(?::\d{1,5})?$/;

describe("CORS", () => {
  fuzz(
    "allowedOrigin: null, or the request Origin itself (case aside) as a canonical http(s) origin on a host of this container; never * or null",
    originHeader,
    (raw) => {
      const granted = allowedOrigin(raw, HOSTS);
      if (granted === null) return "refused";
      expect(granted).toBe(raw.toLowerCase());
      expect(granted).toMatch(GRANT_RE);
      expect(HOSTS.has(new URL(granted).hostname)).toBe(true);
      return "accepted";
    },
  );

  fuzz(
    "toBrowserHeaders + applyCors: the only Access-Control-* headers are the edge's grant for an allowed Origin; Vary names Origin",
    fc.record({
      requestOrigin: originHeader.map(asOriginHeader),
      originHeaders: fc.array(
        fc.tuple(
          fc.constantFrom("Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Expose-Headers", "access-control-allow-methods", "Vary", "X-Other"),
          fc.oneof(fc.constantFrom("*", "null", "true", "https://evil.test", "Origin", "origin, accept"), headerAscii(4)),
        ),
        { maxLength: 6 },
      ),
    }),
    ({ requestOrigin, originHeaders }) => {
      const origin = new Headers();
      for (const [name, value] of originHeaders) {
        try {
          origin.append(name, value);
        } catch {
          // not a header an origin could send
        }
      }
      const headers = new Headers(origin);
      toBrowserHeaders(headers, origin.getSetCookie());
      applyCors(headers, requestOrigin, HOSTS);
      const granted = allowedOrigin(requestOrigin, HOSTS);
      const cors = [...headers].filter(([name]) => name.startsWith("access-control-"));
      expect(Object.fromEntries(cors)).toEqual(granted ? { "access-control-allow-origin": granted, "access-control-allow-credentials": "true" } : {});
      const vary = (headers.get("vary") ?? "").split(",").map((token) => token.trim().toLowerCase());
      expect(vary).toContain("origin");
      return granted ? "accepted" : "refused";
    },
  );

  fuzz(
    "preflightResponse: 204; a grant only for an allowed Origin; requested headers echoed only as a lower-case token list; no value breaks a header",
    fc.record({
      requestOrigin: originHeader.map(asOriginHeader),
      requested: fc.option(
        fc.oneof(
          fc.array(fc.oneof(fc.constantFrom("content-type", "X-Custom", "authorization", " x-a "), headerAscii(2)), { maxLength: 40 }).map((names) => names.join(",")),
          headerAscii(),
        ),
        { nil: null },
      ),
    }),
    ({ requestOrigin, requested }) => {
      const headers = new Headers();
      if (requestOrigin !== null) headers.set("Origin", requestOrigin);
      const requestedValue = requested === null ? null : asHeaderValue(requested);
      if (requestedValue !== null) headers.set("Access-Control-Request-Headers", requestedValue);
      const response = preflightResponse(new Request("https://example.com/g/collect", { method: "OPTIONS", headers }), HOSTS);
      expect(response.status).toBe(204);
      for (const [, value] of response.headers) expect(value).not.toMatch(HEADER_BREAK_RE);
      const granted = allowedOrigin(requestOrigin, HOSTS);
      expect(response.headers.get("access-control-allow-origin")).toBe(granted);
      if (!granted) {
        expect([...response.headers].filter(([name]) => name.startsWith("access-control-"))).toEqual([]);
        return "refused";
      }
      const allowHeaders = response.headers.get("access-control-allow-headers");
      if (allowHeaders !== null) {
        const names = allowHeaders.split(", ");
        expect(names.length).toBeLessThanOrEqual(32);
        for (const name of names) expect(name).toMatch(/^[!#$%&'*+\-.^_`|~0-9a-z]+$/);
      }
      return "accepted";
    },
  );
});
