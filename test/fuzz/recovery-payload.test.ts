/**
 * The `/k/` payload (src/modules/recovery-path.ts): whatever `p` a client sends, an
 * accepted payload is an allowlisted path on the container's origin exactly, with
 * no control character anywhere, and a refused one carries nothing to fetch.
 */
import fc from "fast-check";
import { describe, expect } from "vitest";
import {
  MAX_DECODED_BYTES,
  RECOVERY_PATHS,
  decodeKeyedRecoveryParam,
  decodeRecoveryParam,
  encodeRecoveryParam,
  recoveryUpstreamUrl,
  type DecodedRecovery,
} from "../../src/modules/recovery-path";
import { encodePayload, payloadCodec } from "../../src/shared/site-endpoints";
import { CONTROL_OR_BREAK_RE, aroundValid, hostileString, nearValid } from "./arbitraries";
import { fuzz, type Outcome } from "./runs";

/** Origins as the config schema emits them: ports, IPv4 and IPv6 literals, http for local stacks. */
const ORIGINS = [
  "https://sgtm-7.edge-1.example.net:8443",
  "https://sgtm.example.net",
  "http://127.0.0.1:8787",
  "http://[::1]:8080",
  "https://xn--mnchen-3ya.example",
];

function bytesToBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** GA4-shaped queries: encoded key=value pairs (full URLs in dl/dr), raw unicode, hostile strings. */
const queryArb: fc.Arbitrary<string> = fc.oneof(
  fc.constant(""),
  fc
    .array(fc.tuple(fc.stringMatching(/^[a-z_.]{1,8}$/), fc.string({ unit: "binary", maxLength: 40 })), { maxLength: 10 })
    .map((pairs) => `?${pairs.map(([key, value]) => `${key}=${encodeURIComponent(value.replace(/[\ud800-\udfff]/g, ""))}`).join("&")}`),
  hostileString(80).map((text) => `?${text}`),
);

const validPayload = fc.tuple(fc.constantFrom(...RECOVERY_PATHS), queryArb).map(([path, query]) => path + query);

/** A payload right at the decoded-size limit, a few bytes either side. */
const limitPayload = fc
  .tuple(fc.constantFrom(...RECOVERY_PATHS), fc.integer({ min: -4, max: 4 }), fc.constantFrom("a", "\u00e9", "%2f"))
  .map(([path, delta, unit]) => {
    const room = MAX_DECODED_BYTES - path.length - 1 + delta;
    const unitBytes = new TextEncoder().encode(unit).length;
    return `${path}?${unit.repeat(Math.max(0, Math.floor(room / unitBytes)))}${"a".repeat(Math.max(0, room % unitBytes))}`;
  });

/** `p` as the route reads it from the query string. */
const pArb: fc.Arbitrary<string | null> = fc.oneof(
  { weight: 4, arbitrary: aroundValid(validPayload, 200).map(encodeRecoveryParam) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 300 }).map(bytesToBase64Url) },
  { weight: 2, arbitrary: nearValid(validPayload.map(encodeRecoveryParam)) },
  { weight: 2, arbitrary: hostileString(200) },
  { weight: 1, arbitrary: fc.tuple(validPayload.map(encodeRecoveryParam), fc.constantFrom("=", "==", "===", "=A")).map(([p, pad]) => p + pad) },
  { weight: 1, arbitrary: limitPayload.map(encodeRecoveryParam) },
  { weight: 1, arbitrary: fc.constant(null) },
);

/** The invariant of every decoder outcome, whatever the payload's encoding. */
function checkDecoded(decoded: DecodedRecovery): Outcome {
  if (!decoded.ok) {
    expect(Object.keys(decoded).sort()).toEqual(["ok", "reason"]);
    expect(decoded.reason.length).toBeGreaterThan(0);
    return "refused";
  }
  expect(RECOVERY_PATHS).toContain(decoded.path);
  expect(decoded.query === "" || decoded.query.startsWith("?")).toBe(true);
  expect(decoded.query).not.toMatch(/[\s#\u0000-\u001f\u007f-\u009f]/u);
  for (const origin of ORIGINS) {
    // The route admits (and counts) on the decoder's word: the last check must agree, or a refusal is counted.
    const upstream = recoveryUpstreamUrl(origin, decoded.path, decoded.query);
    expect(upstream).toBe(origin + decoded.path + decoded.query);
    expect(upstream).not.toMatch(CONTROL_OR_BREAK_RE);
    const url = new URL(upstream!);
    expect(url.origin).toBe(origin);
    expect(url.pathname).toBe(decoded.path);
    expect(url.username + url.password + url.hash).toBe("");
  }
  return "accepted";
}

/** A per-site codec (section 9) and a payload in it: encoded valid or near-valid payloads, or raw hostile text. */
const keyedArb = fc.integer().chain((seed) => {
  const codec = payloadCodec(seed);
  return fc.tuple(
    fc.constant(codec),
    fc.oneof(
      { weight: 4, arbitrary: aroundValid(validPayload, 200).map((text) => encodePayload(text, codec)) },
      { weight: 2, arbitrary: nearValid(validPayload.map((text) => encodePayload(text, codec))) },
      { weight: 1, arbitrary: fc.constant(null) },
      { weight: 2, arbitrary: hostileString(200) },
      // Another site's encoding of a valid payload: decodes to garbage or not at all, never to a foreign URL.
      { weight: 1, arbitrary: validPayload.map((text) => encodePayload(text, payloadCodec(seed ^ 0x5bd1e995))) },
    ),
  );
});

describe("/k/ payload decoder", () => {
  // Before a302974 this failed: the decoder accepted a query with non-ASCII whitespace that the upstream check
  // refuses (p=L2cvY29sbGVjdD86NjU1MzXhmoBfYV89, "/g/collect?:65535\u1680_a_="), a counted 400.
  fuzz(
    "decodeRecoveryParam: an accepted payload is an allowlisted path whose upstream URL is origin + path + query on every origin exactly, no whitespace or control character; a refusal carries only a reason",
    pArb,
    (p) => checkDecoded(decodeRecoveryParam(p)),
  );

  fuzz(
    "decodeKeyedRecoveryParam: the same for a per-site payload in any site's codec",
    keyedArb,
    ([codec, p]) => checkDecoded(decodeKeyedRecoveryParam(p, codec)),
  );

  fuzz(
    "recoveryUpstreamUrl: any path and query give null or an allowlisted path on the origin exactly, with no whitespace or control character",
    fc.record({
      origin: fc.constantFrom(...ORIGINS),
      path: aroundValid(fc.constantFrom(...RECOVERY_PATHS), 60),
      query: fc.oneof(queryArb, hostileString(80)),
    }),
    ({ origin, path, query }) => {
      const upstream = recoveryUpstreamUrl(origin, path, query);
      if (upstream === null) return "refused";
      expect(RECOVERY_PATHS).toContain(path);
      expect(upstream).not.toMatch(/[\s\u0000-\u001f\u007f-\u009f#]/);
      const url = new URL(upstream);
      expect(url.origin).toBe(origin);
      expect(url.pathname).toBe(path);
      expect(url.username + url.password).toBe("");
      return "accepted";
    },
  );
});
