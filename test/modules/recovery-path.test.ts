import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeKeyedRecoveryParam, decodeRecoveryParam, encodeRecoveryParam, MAX_DECODED_BYTES, MAX_RAW_PARAM_CHARS, RECOVERY_PATHS, recoveryUpstreamUrl } from "../../src/modules/recovery-path";
import { deriveSiteEndpoints, encodePayload } from "../../src/shared/site-endpoints";

const ORIGINS = ["https://sgtm-7.edge-1.example.net:8443", "https://sgtm.example.net", "http://127.0.0.1:8787"];
const RUNS = { numRuns: 2000 };

function bytesToBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * The invariant every outcome must keep: refused, or an allowlisted path whose upstream URL
 * is on the origin. What the decoder accepts always builds: the route decodes before it
 * admits (and counts), so nothing may be refused after (section 8).
 */
function assertSafe(p: string): void {
  const decoded = decodeRecoveryParam(p);
  if (!decoded.ok) {
    expect(decoded.reason.length).toBeGreaterThan(0);
    return;
  }
  expect(RECOVERY_PATHS).toContain(decoded.path);
  for (const origin of ORIGINS) {
    const upstream = recoveryUpstreamUrl(origin, decoded.path, decoded.query);
    expect(upstream, `accepted but not buildable: ${JSON.stringify(decoded)}`).not.toBeNull();
    const url = new URL(upstream!);
    expect(url.origin).toBe(origin);
    expect(url.pathname).toBe(decoded.path);
    expect(upstream).toBe(origin + decoded.path + decoded.query);
  }
}

/** What the decoder lets through in a raw query: no control characters, no `#`, no whitespace of any script. */
const CODE_POINT_OK_IN_QUERY = (s: string) => !/[\s#\u0000-\u001f\u007f-\u009f]/u.test(s);
const isWellFormed = (s: string) => new TextDecoder().decode(new TextEncoder().encode(s)) === s;

/** Opaque queries: raw unicode strings and GA4-style encoded key=value pairs (dl/dr full URLs, %2F, %20, UTF-8). */
const queryArb = fc.oneof(
  fc.constant(""),
  fc.string({ unit: "binary", maxLength: 200 }).filter((s) => CODE_POINT_OK_IN_QUERY(s) && isWellFormed(s)).map((s) => `?${s}`),
  fc
    .array(fc.tuple(fc.stringMatching(/^[a-z_.]{1,8}$/), fc.string({ unit: "binary", maxLength: 60 }).filter(isWellFormed)), {
      maxLength: 12,
    })
    .map((pairs) => `?${pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&")}`),
);

describe("encode/decode round trip", () => {
  it("returns every allowlisted path and opaque query byte for byte", () => {
    fc.assert(
      fc.property(fc.constantFrom(...RECOVERY_PATHS), queryArb, (path, query) => {
        const p = encodeRecoveryParam(path + query);
        expect(p).toMatch(/^[A-Za-z0-9_-]*$/);
        expect(decodeRecoveryParam(p)).toEqual({ ok: true, path, query });
        const padded = p + "=".repeat((4 - (p.length % 4)) % 4);
        expect(decodeRecoveryParam(padded)).toEqual({ ok: true, path, query });
      }),
      RUNS,
    );
  });

  it("keeps a real GA4 hit intact up to the upstream URL", () => {
    const query =
      "?v=2&tid=G-XYZ123&gtm=45je5&gcs=G111&dl=https%3A%2F%2Fwww.example.com%2Fsearch%3Fq%3Dcaf%C3%A9%2520bar&dr=https%3A%2F%2Fgoogle.com%2F&dt=Caf%C3%A9%20%E2%80%94%20Menü&en=page_view&ep.x=a+b";
    const decoded = decodeRecoveryParam(encodeRecoveryParam(`/g/collect${query}`));
    expect(decoded).toEqual({ ok: true, path: "/g/collect", query });
    expect(recoveryUpstreamUrl(ORIGINS[0]!, "/g/collect", query)).toBe(`${ORIGINS[0]}/g/collect${query}`);
  });

  it("accepts exactly 8 KB decoded and refuses one byte more", () => {
    const path = "/g/collect?";
    const atLimit = path + "a".repeat(MAX_DECODED_BYTES - path.length);
    expect(decodeRecoveryParam(encodeRecoveryParam(atLimit)).ok).toBe(true);
    expect(decodeRecoveryParam(encodeRecoveryParam(`${atLimit}a`))).toMatchObject({ ok: false });
  });

  it("refuses an oversized raw p before decoding it", () => {
    expect(decodeRecoveryParam("A".repeat(MAX_RAW_PARAM_CHARS + 1))).toEqual({
      ok: false,
      reason: expect.stringContaining("chars"),
    });
  });
});

const INJECTIONS = [
  "../", "/..", "..", "%2e%2e/", "%2E%2E%2F", "%252e%252e%252f", "%25252e", ".%2e/", "%2f", "%2F", "%5c", "%5C", "%252f",
  "\\", "\\\\", "//evil.com/", "//", "@evil.com", "user:pass@", "\uff0f", "\u2215", "\u2044", "\uff3c", "\u29f8", "\uff0e\uff0e",
  "#", "#@evil.com", "\r\n", "\n", "\r", "\t", "\u0000", "%00", "\u0085", "\u007f", " ", "http://evil.com", "https:", "javascript:",
  "?", "/", ".", ":", ";", "%", "%%", "\u202e", "\ufeff", "\u00a0", "\u3002", "/./", "/g/collect/..", "/gtm.js/../admin",
];

/** A valid payload with separators or encodings spliced in anywhere. */
const mutatedPayloadArb = fc
  .tuple(fc.constantFrom(...RECOVERY_PATHS), queryArb, fc.array(fc.tuple(fc.constantFrom(...INJECTIONS), fc.nat()), { minLength: 1, maxLength: 4 }))
  .map(([path, query, injections]) => {
    let text = path + query;
    for (const [injection, at] of injections) {
      const index = at % (text.length + 1);
      text = text.slice(0, index) + injection + text.slice(index);
    }
    return text;
  });

describe("no input leaves the origin or the allowlist", () => {
  it("arbitrary strings as p", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 300 }), assertSafe), RUNS);
  });

  it("arbitrary bytes, base64url-encoded", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => assertSafe(bytesToBase64Url(bytes))), RUNS);
  });

  it("arbitrary ASCII text, base64url-encoded", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary-ascii", maxLength: 120 }), (text) => assertSafe(encodeRecoveryParam(text))),
      RUNS,
    );
  });

  it("valid payloads with injected separators and encodings", () => {
    fc.assert(
      fc.property(mutatedPayloadArb, (text) => {
        assertSafe(encodeRecoveryParam(text));
        const decoded = decodeRecoveryParam(encodeRecoveryParam(text));
        // An accepted mutation can only have touched the opaque query, never the path.
        if (decoded.ok) expect(text.startsWith(decoded.path)).toBe(true);
      }),
      RUNS,
    );
  });

  it("recoveryUpstreamUrl given any path and query stays on the origin", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ORIGINS),
        fc.oneof(fc.constantFrom(...RECOVERY_PATHS), fc.string({ unit: "binary", maxLength: 40 })),
        fc.string({ unit: "binary", maxLength: 80 }),
        (origin, path, query) => {
          const upstream = recoveryUpstreamUrl(origin, path, query);
          if (upstream === null) return;
          expect(RECOVERY_PATHS).toContain(path);
          expect(new URL(upstream).origin).toBe(origin);
          expect(new URL(upstream).pathname).toBe(path);
        },
      ),
      RUNS,
    );
  });
});

const OVERLONG_SLASH = new Uint8Array([0x2f, 0x67, 0xc0, 0xaf, 0x63, 0x6f, 0x6c, 0x6c, 0x65, 0x63, 0x74]); // "/g" + overlong "/" + "collect"
const LONE_SURROGATE = new Uint8Array([0x2f, 0x67, 0x2f, 0xed, 0xa0, 0x80]);
const TRUNCATED_UTF8 = new Uint8Array([0x2f, 0x63, 0x6f, 0x6c, 0x6c, 0x65, 0x63, 0x74, 0x3f, 0x61, 0x3d, 0xe2, 0x82]);
const BARE_CONTINUATION = new Uint8Array([0x2f, 0x63, 0x6f, 0x6c, 0x6c, 0x65, 0x63, 0x74, 0x3f, 0x80]);

/** [name, raw p] — every one must be refused. */
const HOSTILE: Array<[string, string | null]> = [
  ["missing", null],
  ["empty", ""],
  ["absolute https URL", encodeRecoveryParam("https://evil.com/g/collect")],
  ["absolute http URL", encodeRecoveryParam("http://evil.com/collect?v=2")],
  ["javascript scheme", encodeRecoveryParam("javascript:alert(1)")],
  ["protocol-relative", encodeRecoveryParam("//evil.com/g/collect")],
  ["triple slash", encodeRecoveryParam("///evil.com/g/collect")],
  ["backslash host", encodeRecoveryParam("/\\evil.com/g/collect")],
  ["backslash path", encodeRecoveryParam("/g\\collect")],
  ["dot-dot", encodeRecoveryParam("/g/../admin")],
  ["dot-dot to allowed", encodeRecoveryParam("/x/../g/collect")],
  ["trailing dot segment", encodeRecoveryParam("/g/collect/.")],
  ["encoded dot-dot", encodeRecoveryParam("/g/%2e%2e/collect")],
  ["encoded dot-dot upper", encodeRecoveryParam("/g/%2E%2E/collect")],
  ["double-encoded dot-dot", encodeRecoveryParam("/g/%252e%252e/collect")],
  ["mixed dot and encoded dot", encodeRecoveryParam("/g/.%2e/collect")],
  ["encoded slash", encodeRecoveryParam("/g%2fcollect")],
  ["encoded slash upper", encodeRecoveryParam("/g%2Fcollect")],
  ["double-encoded slash", encodeRecoveryParam("/g%252fcollect")],
  ["encoded backslash", encodeRecoveryParam("/g%5ccollect")],
  ["double-encoded backslash", encodeRecoveryParam("/g%255ccollect")],
  ["encoded allowed path", encodeRecoveryParam("%2fg%2fcollect")],
  ["encoded NUL in path", encodeRecoveryParam("/g/collect%00")],
  ["CRLF in query", encodeRecoveryParam("/g/collect?v=2\r\nX-Injected: 1")],
  ["LF in path", encodeRecoveryParam("/g/collect\n")],
  ["NUL in query", encodeRecoveryParam("/g/collect?v=2\u0000")],
  ["tab in query", encodeRecoveryParam("/g/collect?v=\t2")],
  ["DEL in query", encodeRecoveryParam("/g/collect?v=\u007f")],
  ["C1 control in query", encodeRecoveryParam("/g/collect?v=\u0085")],
  ["space in query", encodeRecoveryParam("/g/collect?v=2 HTTP/1.1")],
  ["fragment", encodeRecoveryParam("/g/collect#x")],
  ["fragment in query", encodeRecoveryParam("/g/collect?v=2#@evil.com")],
  ["userinfo", encodeRecoveryParam("/@evil.com/g/collect")],
  ["userinfo after path", encodeRecoveryParam("/g/collect@evil.com")],
  ["fullwidth solidus", encodeRecoveryParam("/g\uff0fcollect")],
  ["division slash", encodeRecoveryParam("/g\u2215collect")],
  ["fraction slash", encodeRecoveryParam("/g\u2044collect")],
  ["fullwidth reverse solidus", encodeRecoveryParam("/g\uff3ccollect")],
  ["big reverse solidus", encodeRecoveryParam("/g\u29f8collect")],
  ["fullwidth dots", encodeRecoveryParam("/\uff0e\uff0e/g/collect")],
  ["BOM prefix", encodeRecoveryParam("\ufeff/g/collect")],
  ["RTL override", encodeRecoveryParam("/g/collect\u202e")],
  ["relative path", encodeRecoveryParam("g/collect")],
  ["not allowlisted", encodeRecoveryParam("/admin")],
  ["allowlisted prefix", encodeRecoveryParam("/g/collectx")],
  ["trailing slash", encodeRecoveryParam("/g/collect/")],
  ["double slash inside", encodeRecoveryParam("/g//collect")],
  ["uppercase path", encodeRecoveryParam("/G/COLLECT")],
  ["matrix parameter", encodeRecoveryParam("/g/collect;jsessionid=1")],
  ["overlong UTF-8 slash", bytesToBase64Url(OVERLONG_SLASH)],
  ["lone surrogate bytes", bytesToBase64Url(LONE_SURROGATE)],
  ["truncated UTF-8 in query", bytesToBase64Url(TRUNCATED_UTF8)],
  ["bare continuation byte", bytesToBase64Url(BARE_CONTINUATION)],
  ["standard base64 alphabet", btoa("/g/collect?a=>>>??")],
  ["not base64 at all", "/g/collect?v=2"],
  ["impossible length", "AAAAA"],
  ["padding in the middle", "L2cv=Y29sbGVjdA"],
  ["padding on a wrong length", "L2cvY29sbGVjdA="],
  ["whitespace in p", " L2cvY29sbGVjdA"],
  ["over 8 KB decoded", encodeRecoveryParam(`/g/collect?${"a".repeat(MAX_DECODED_BYTES)}`)],
  ["over 11 KB raw", "A".repeat(MAX_RAW_PARAM_CHARS + 4)],
];

describe("hostile payloads", () => {
  it("has at least 30 of them", () => {
    expect(HOSTILE.length).toBeGreaterThanOrEqual(30);
  });

  it.each(HOSTILE)("refuses %s", (_name, p) => {
    const decoded = decodeRecoveryParam(p);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.reason).toMatch(/\S/);
  });
});

describe("recoveryUpstreamUrl", () => {
  it("builds origin + path + query", () => {
    expect(recoveryUpstreamUrl("https://sgtm.example.net", "/gtm.js", "?id=GTM-ABC123")).toBe(
      "https://sgtm.example.net/gtm.js?id=GTM-ABC123",
    );
    expect(recoveryUpstreamUrl("https://sgtm.example.net", "/collect", "")).toBe("https://sgtm.example.net/collect");
  });

  it.each([
    ["path off the allowlist", "https://sgtm.example.net", "/admin", ""],
    ["origin with a trailing slash", "https://sgtm.example.net/", "/collect", ""],
    ["origin with a path", "https://sgtm.example.net/base", "/collect", ""],
    ["not an origin", "sgtm.example.net", "/collect", ""],
    ["query without ?", "https://sgtm.example.net", "/collect", "@evil.com"],
    ["fragment in query", "https://sgtm.example.net", "/collect", "?a#b"],
    ["CRLF in query", "https://sgtm.example.net", "/collect", "?a\r\nb"],
    ["space in query", "https://sgtm.example.net", "/collect", "?a b"],
  ])("returns null for %s", (_name, origin, path, query) => {
    expect(recoveryUpstreamUrl(origin, path, query)).toBeNull();
  });
});

describe("decodeKeyedRecoveryParam (section 9 payloads)", () => {
  it("decides exactly as the /k/ decoder for every input: every rule of section 5 holds under the keyed encoding", async () => {
    const { codec } = await deriveSiteEndpoints("recovery-keyed-0123456789");
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: "binary", maxLength: 300 }),
          fc.constantFrom(...RECOVERY_PATHS).chain((path) => fc.string({ maxLength: 200 }).map((query) => `${path}?${query}`)),
        ),
        (text) => {
          const keyed = decodeKeyedRecoveryParam(encodePayload(text, codec), codec);
          const fixed = decodeRecoveryParam(encodeRecoveryParam(text));
          // Same decision and same result; only the log wording of a refusal may differ.
          expect(keyed.ok ? keyed : { ok: false }).toEqual(fixed.ok ? fixed : { ok: false });
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("refuses another site's payload and plain base64url", async () => {
    const [a, b] = await Promise.all(["keyed-a-0123456789ab", "keyed-b-0123456789ab"].map(deriveSiteEndpoints));
    const hit = "/g/collect?v=2&tid=G-XYZ";
    expect(decodeKeyedRecoveryParam(encodePayload(hit, a!.codec), a!.codec)).toEqual({ ok: true, path: "/g/collect", query: "?v=2&tid=G-XYZ" });
    expect(decodeKeyedRecoveryParam(encodePayload(hit, a!.codec), b!.codec).ok).toBe(false);
    expect(decodeKeyedRecoveryParam(encodeRecoveryParam(hit), a!.codec).ok).toBe(false);
  });
});
