/**
 * `/boot` and `/mark-session-detection` bodies (src/shared/session-detection.ts) and the
 * bounded reader every body goes through (src/shared/body.ts): parsing never throws,
 * what is accepted is small and of the declared shape, and no reader buffers past
 * its bound.
 */
import fc from "fast-check";
import { describe, expect } from "vitest";
import { readBoundedText } from "../../src/shared/body";
import { bootSchema, browserDetectionSchema } from "../../src/shared/session-detection";
import { aroundValid, hostileString, stringEdit } from "./arbitraries";
import { fuzz, fuzzAsync } from "./runs";

const TOKEN_RE = /^[A-Za-z0-9_-]{16,128}$/;
const KEYS = ["loader_token", "host", "gcs", "session_id", "adblock", "itp", "site_id", "detected_at", "__proto__", "constructor", "toString", "x"];

const token = fc.stringMatching(/^[A-Za-z0-9_-]{16,40}$/);
const jsonScalar = fc.oneof(fc.boolean(), fc.constant(null), fc.double(), fc.integer(), fc.constantFrom(0, -0, 1e308, "true", "", "null"));
/** A field's value as JSON text, including texts no JSON.stringify produces (`__proto__` keys). */
const rawValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: aroundValid(fc.oneof(token, fc.constantFrom("example.com", "G111", "G100", "sess_0123456789")), 300).map((v) => JSON.stringify(v)) },
  { weight: 2, arbitrary: jsonScalar.map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.constantFrom('{"__proto__":{"polluted":true}}', '{"constructor":{"prototype":{"polluted":true}}}', '{"toString":"x"}', '{"length":1e9}', '["' + "a".repeat(20) + '"]') },
);

type Entry = [string, string];
const asEntries = (body: Record<string, unknown>): Entry[] =>
  Object.entries(body).flatMap(([key, value]): Entry[] => (value === undefined ? [] : [[key, JSON.stringify(value)]]));
/** Bodies the loader really sends. */
const validEntries: fc.Arbitrary<Entry[]> = fc.oneof(
  fc.record({ loader_token: token, host: fc.option(fc.constantFrom("www.example.com", "shop.example.org"), { nil: undefined }), gcs: fc.option(fc.constantFrom("G111", "G100", "G1--"), { nil: undefined }) }).map(asEntries),
  fc.record({ loader_token: token, session_id: fc.stringMatching(/^[A-Za-z0-9_-]{8,64}$/), adblock: fc.boolean(), itp: fc.boolean() }).map(asEntries),
);
type EntryEdit = (entries: Entry[]) => Entry[];
const at = (entries: Entry[], index: number) => index % Math.max(1, entries.length);
const entryEdit: fc.Arbitrary<EntryEdit> = fc.oneof(
  fc.tuple(fc.nat(), rawValue).map(([i, value]): EntryEdit => (e) => e.map((entry, j) => (j === at(e, i) ? [entry[0], value] : entry))),
  fc.nat().map((i): EntryEdit => (e) => e.filter((_, j) => j !== at(e, i))),
  fc.tuple(fc.nat(), aroundValid(fc.constantFrom(...KEYS), 16), rawValue).map(([i, key, value]): EntryEdit => (e) => [...e.slice(0, at(e, i)), [key, value], ...e.slice(at(e, i))]),
  fc.tuple(fc.nat(), stringEdit).map(([i, change]): EntryEdit => (e) => e.map((entry, j) => (j === at(e, i) ? [change(entry[0]), entry[1]] : entry))),
);
const objectText = (entries: Entry[]) => `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${value}`).join(",")}}`;

/** Body text: real bodies with up to two field edits, random objects (repeated keys, `__proto__`), any JSON, not JSON. */
const bodyText: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(validEntries, fc.array(entryEdit, { maxLength: 2 })).map(([entries, edits]) => objectText(edits.reduce((e, f) => f(e), entries))) },
  { weight: 2, arbitrary: fc.array(fc.tuple(aroundValid(fc.constantFrom(...KEYS), 16), rawValue), { maxLength: 8 }).map(objectText) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)) },
  { weight: 1, arbitrary: hostileString(200) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 2_000 }).map((depth) => "[".repeat(depth) + "]".repeat(depth)) },
);

/** The route's parse: JSON.parse, then safeParse. Neither may throw past the try around JSON.parse. */
function parseLikeTheRoute<T>(text: string, schema: { safeParse(value: unknown): { success: boolean; data?: T } }): T | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const result = schema.safeParse(json);
  return result.success ? result.data : undefined;
}

describe("/boot and detection bodies", () => {
  fuzz(
    "bootSchema: never throws; an accepted body is a plain object of a url-safe loader_token, host <= 253 and gcs <= 8 code points, nothing else",
    bodyText,
    (text) => {
      const body = parseLikeTheRoute(text, bootSchema);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      if (body === undefined) return "refused";
      expect(Object.getPrototypeOf(body)).toBe(Object.prototype);
      expect(Object.keys(body).every((key) => ["loader_token", "host", "gcs"].includes(key))).toBe(true);
      expect(body.loader_token).toMatch(TOKEN_RE);
      // zod 4 measures string limits in code points, so an astral character counts once.
      if (body.host !== undefined) expect(typeof body.host === "string" && [...body.host].length <= 253).toBe(true);
      if (body.gcs !== undefined) expect(typeof body.gcs === "string" && [...body.gcs].length <= 8).toBe(true);
      // Bounded whatever the client sent: every code point escaped as a surrogate pair is 12 characters.
      expect(JSON.stringify(body).length).toBeLessThan(128 + 253 * 12 + 8 * 12 + 64);
      return "accepted";
    },
  );

  fuzz(
    "browserDetectionSchema: never throws; an accepted body is exactly loader_token, session_id (8-64 url-safe), adblock and itp booleans",
    bodyText,
    (text) => {
      const body = parseLikeTheRoute(text, browserDetectionSchema);
      if (body === undefined) return "refused";
      expect(Object.keys(body).sort()).toEqual(["adblock", "itp", "loader_token", "session_id"]);
      expect(body.loader_token).toMatch(TOKEN_RE);
      expect(body.session_id).toMatch(/^[A-Za-z0-9_-]{8,64}$/);
      expect(typeof body.adblock === "boolean" && typeof body.itp === "boolean").toBe(true);
      return "accepted";
    },
  );
});

/** A Content-Length as clients send it: right, lying either way, absent, or not a number at all. */
const declaredLength = (actual: number): fc.Arbitrary<string | null> =>
  fc.oneof(
    fc.constant(null),
    fc.constant(String(actual)),
    fc.integer({ min: 0, max: 10_000 }).map(String),
    fc.constantFrom("", " 5", "5 ", "-1", "+5", "1e3", "0x10", "4096.0", "99999999999999999999", "5, 5", "abc"),
  );

const streamedBody = fc
  .record({
    chunks: fc.array(
      fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ minLength: 1, maxLength: 3_000 }), fc.string({ unit: "binary", maxLength: 200 }).map((s) => new TextEncoder().encode(s))),
      { maxLength: 6 },
    ),
    maxBytes: fc.constantFrom(0, 1, 64, 4096, 256 * 1024),
    hasBody: fc.boolean(),
  })
  .chain((body) => {
    const total = body.chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
    return declaredLength(total).map((declared) => ({ ...body, total, declared }));
  });

describe("bounded bodies", () => {
  fuzzAsync(
    "readBoundedText: too_large whenever Content-Length is not digits or over the bound, or the stream passes it; never reads more than the bound plus one chunk",
    streamedBody,
    async ({ chunks, maxBytes, hasBody, total, declared }) => {
      let pulled = 0;
      let next = 0;
      const stream = new ReadableStream<Uint8Array>(
        {
          pull(controller) {
            const chunk = chunks[next++];
            if (!chunk) return controller.close();
            pulled += chunk.byteLength;
            controller.enqueue(chunk);
          },
        },
        { highWaterMark: 0 },
      );
      const headers = declared === null ? undefined : { "Content-Length": declared };
      const request = new Request("https://edge.test/boot", { method: "POST", body: hasBody ? stream : null, headers });
      const result = await readBoundedText(request, maxBytes);
      const sent = hasBody ? total : 0;
      // As the Worker sees it: Headers trims surrounding spaces and tabs.
      const seen = request.headers.get("Content-Length");
      const declaredTooLarge = seen !== null && (!/^\d+$/.test(seen) || Number(seen) > maxBytes);
      const largestChunk = Math.max(0, ...chunks.map((chunk) => chunk.byteLength));
      expect(pulled).toBeLessThanOrEqual(maxBytes + largestChunk);
      if (declaredTooLarge) {
        expect(result).toEqual({ ok: false, problem: "too_large" });
        expect(pulled).toBe(0);
        return "refused";
      }
      if (sent > maxBytes) {
        expect(result).toEqual({ ok: false, problem: "too_large" });
        return "refused";
      }
      const bytes = new Uint8Array(sent);
      let at = 0;
      for (const chunk of hasBody ? chunks : []) {
        bytes.set(chunk, at);
        at += chunk.byteLength;
      }
      let text: string | null = null;
      try {
        text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
      } catch {
        text = null;
      }
      expect(result).toEqual(text === null ? { ok: false, problem: "not_utf8" } : { ok: true, text });
      return result.ok ? "accepted" : "refused";
    },
  );
});
