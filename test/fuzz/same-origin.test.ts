/**
 * Same-origin mode's parsers (src/modules/same-origin.ts, section 10): the path under a
 * site's path_prefix and the visitor address its proxy reports. A path is under the
 * prefix only segment-wise, removing the prefix never moves a request off its host or
 * the upstream off the origin, and the address is only ever the proxy's own entry.
 */
import fc from "fast-check";
import { describe, expect } from "vitest";
import { pathUnderPrefix, proxiedClientIp } from "../../src/modules/same-origin";
import { aroundValid, asHeaderValue, hostileString } from "./arbitraries";
import { fuzz } from "./runs";

const EDGE = "https://edge.test";
const ORIGIN = "https://sgtm.origin.test:8443";
const prefix = fc.stringMatching(/^\/[A-Za-z0-9_-]{1,12}$/);
const rest = fc.oneof(
  fc.constantFrom("", "/", "/g/collect", "//evil.test/x", "/../admin", "/%2e%2e/admin", "/./x", "?x=1", "#f", "%2fx", "/\\evil.test"),
  hostileString(40),
);

/** A request path as the edge's URL parser leaves it: the prefix (maybe mangled) followed by anything. */
const requestUrl = fc
  .tuple(prefix, aroundValid(fc.constant(""), 20, 2), rest)
  .map(([p, mangle, tail]) => ({ prefix: p, url: new URL(`${EDGE}${p}${mangle}${tail}`.replace(/\p{Surrogate}/gu, "\ufffd")) }));

describe("same-origin mode", () => {
  fuzz(
    "pathUnderPrefix: a path is under the prefix only as whole segments; the stripped path keeps the request on its host and the upstream on the origin",
    requestUrl,
    ({ prefix: p, url }) => {
      const stripped = pathUnderPrefix(url.pathname, p);
      if (stripped === null) {
        expect(url.pathname === p || url.pathname.startsWith(`${p}/`)).toBe(false);
        return "refused";
      }
      expect(url.pathname === p || url.pathname.startsWith(`${p}/`)).toBe(true);
      expect(stripped.startsWith("/")).toBe(true);
      if (url.pathname === p) expect(stripped).toBe("/");
      else expect(p + stripped).toBe(url.pathname);
      const rewritten = new URL(url);
      rewritten.pathname = stripped;
      expect(rewritten.origin).toBe(EDGE);
      expect(new URL(ORIGIN + rewritten.pathname + rewritten.search).origin).toBe(ORIGIN);
      return "accepted";
    },
  );

  const ip = fc.oneof(fc.ipV4(), fc.ipV6(), fc.ipV6().map((v) => v.toUpperCase()));
  const forwardedFor = fc
    .oneof(
      { weight: 4, arbitrary: fc.array(fc.oneof(ip, fc.constantFrom("unknown", "", " 1.2.3.4 ", "[::1]", "1.2.3.4:80", "evil, 1.1.1.1")), { minLength: 1, maxLength: 5 }).map((entries) => entries.join(", ")) },
      { weight: 2, arbitrary: aroundValid(ip, 60) },
      { weight: 1, arbitrary: fc.constantFrom("1.1.1.1,".repeat(200), `${"a".repeat(1100)}, 1.2.3.4`) },
    )
    .map(asHeaderValue);

  fuzz(
    "proxiedClientIp: null, or exactly the last X-Forwarded-For entry as a plain IPv4 or lower-case IPv6 address; nothing a visitor prepends is used",
    fc.oneof(forwardedFor, fc.constant(null)),
    (header) => {
      const address = proxiedClientIp(header);
      if (address === null) return "refused";
      expect(header!.length).toBeLessThanOrEqual(1024);
      expect(address).toBe(header!.split(",").at(-1)!.trim().toLowerCase());
      expect(address).toMatch(/^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f:]{2,39})$/);
      if (address.includes(".")) expect(address.split(".").every((part) => Number(part) <= 255 && String(Number(part)) === part)).toBe(true);
      return "accepted";
    },
  );
});
