import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeRecoveryParam } from "../../src/modules/recovery-path";
import { decodePayload, deriveSiteEndpoints, encodePayload, ENDPOINT_KINDS, payloadCodec } from "../../src/shared/site-endpoints";

const keyArb = fc.string({ unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), minLength: 16, maxLength: 64 });
const RESERVED = /^\/(?:_edge|l|k)\/|^\/(?:boot|mark-session-detection)$/;

/** Every substring of `length` characters. */
function fragments(text: string, length: number): Set<string> {
  const found = new Set<string>();
  for (let i = 0; i + length <= text.length; i++) found.add(text.slice(i, i + length));
  return found;
}

describe("deriveSiteEndpoints", () => {
  it("is deterministic per key, and every path is distinct, rooted and off the fixed routes", async () => {
    const a = await deriveSiteEndpoints("site-key-0123456789abcdef");
    expect(await deriveSiteEndpoints("site-key-0123456789abcdef")).toEqual(a);
    const paths = ENDPOINT_KINDS.map((kind) => a[kind]);
    expect(new Set(paths).size).toBe(paths.length);
    for (const path of paths) {
      expect(path).toMatch(/^(\/[a-z][a-z0-9-]*)+(\.[a-z0-9.]+|\/)?$/);
      expect(path).not.toMatch(RESERVED);
    }
    expect(a.param).toMatch(/^[a-z][a-z0-9]{0,5}$/);
    expect([...a.codec.alphabet].sort().join("")).toBe([..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"].sort().join(""));
  });

  it("paths of two sites share no 6-character fragment beyond chance", async () => {
    // Over many key pairs, a shared 6-gram (outside the common endings) must be rare, not systematic.
    const pairs = 200;
    let shared = 0;
    await fc.assert(
      fc.asyncProperty(keyArb, keyArb, async (k1, k2) => {
        fc.pre(k1 !== k2);
        const [a, b] = await Promise.all([deriveSiteEndpoints(k1), deriveSiteEndpoints(k2)]);
        const strip = (path: string) => path.replace(/\.(min|bundle|v2)?\.?[a-z]*$|\/$/, "");
        const gramsA = new Set(ENDPOINT_KINDS.flatMap((kind) => [...fragments(strip(a[kind]), 6)]));
        if (ENDPOINT_KINDS.some((kind) => [...fragments(strip(b[kind]), 6)].some((gram) => gramsA.has(gram)))) shared++;
      }),
      { numRuns: pairs },
    );
    expect(shared / pairs).toBeLessThan(0.02);
  });

  it("no segment count, prefix, or length is common to all sites", async () => {
    const sites = await Promise.all(Array.from({ length: 40 }, (_, i) => deriveSiteEndpoints(`key-${i}-0123456789abcdef`)));
    const loaders = sites.map((site) => site.loader);
    expect(new Set(loaders.map((path) => path.split("/").length)).size).toBeGreaterThan(1);
    expect(new Set(loaders.map((path) => path.length)).size).toBeGreaterThan(5);
    expect(new Set(loaders.map((path) => path.slice(0, 3))).size).toBeGreaterThan(20);
    expect(new Set(sites.map((site) => site.param)).size).toBeGreaterThan(30);
  });
});

describe("payload codec", () => {
  it("decode(encode(x)) == x for any text and any site", async () => {
    const codecs = await Promise.all(["k1-0123456789abcdef", "k2-0123456789abcdef"].map(async (k) => (await deriveSiteEndpoints(k)).codec));
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 300 }), fc.constantFrom(...codecs), (text, codec) => {
        const decoded = decodePayload(encodePayload(text, codec), codec);
        expect(decoded && new TextDecoder().decode(decoded)).toBe(text);
      }),
    );
  });

  it("seed 0 is plain base64url, the encoding of the fixed /k/ route", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 200 }), (text) => {
        expect(encodePayload(text, payloadCodec(0))).toBe(encodeRecoveryParam(text));
      }),
    );
  });

  it("the same hit encodes to unrelated characters on two sites", async () => {
    const hit = "/g/collect?v=2&tid=G-XYZ123&en=page_view&dl=https%3A%2F%2Fexample.com%2F";
    const [a, b] = await Promise.all(["site-a-0123456789ab", "site-b-0123456789ab"].map(deriveSiteEndpoints));
    const encodedA = encodePayload(hit, a!.codec);
    const encodedB = encodePayload(hit, b!.codec);
    const gramsA = fragments(encodedA, 5);
    expect([...fragments(encodedB, 5)].filter((gram) => gramsA.has(gram)).length).toBeLessThanOrEqual(1);
    // Positive control: the measure does see sharing, e.g. between two sites with one key.
    const again = encodePayload(hit, (await deriveSiteEndpoints("site-a-0123456789ab")).codec);
    expect([...fragments(again, 5)].filter((gram) => gramsA.has(gram)).length).toBe(gramsA.size);
  });

  it("refuses text outside the site's alphabet, impossible lengths and non-canonical tails", async () => {
    const { codec } = await deriveSiteEndpoints("site-c-0123456789ab");
    expect(decodePayload("a=b", codec)).toBeNull();
    expect(decodePayload("/", codec)).toBeNull();
    expect(decodePayload("AAAAA", codec)).toBeNull();
    const valid = encodePayload("/g", codec);
    expect(decodePayload(valid, codec)).not.toBeNull();
    const last = codec.alphabet.indexOf(valid.at(-1)!);
    const flipped = valid.slice(0, -1) + codec.alphabet[last ^ 1];
    expect(decodePayload(flipped, codec)).toBeNull();
  });
});
