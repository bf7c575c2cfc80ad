import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bearerToken, secretMatches } from "../../src/shared/secrets";

describe("secretMatches", () => {
  it("matches exactly the expected secret", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string(), (expected, presented) => {
        expect(secretMatches(expected, expected)).toBe(true);
        expect(secretMatches(presented, expected)).toBe(presented === expected);
      }),
    );
  });

  it("fails closed without an expected secret or a presented one", () => {
    expect(secretMatches("", "")).toBe(false);
    expect(secretMatches("x", undefined)).toBe(false);
    expect(secretMatches(null, "x")).toBe(false);
    expect(secretMatches("secret-and-more", "secret")).toBe(false);
    expect(secretMatches("secret", "secret-and-more")).toBe(false);
  });
});

describe("bearerToken", () => {
  it.each([
    ["Bearer abc", "abc"],
    ["bearer abc ", "abc"],
    ["Basic abc", null],
    ["Bearer a b", null],
    ["Bearer", null],
  ])("%j -> %j", (header, token) => {
    expect(bearerToken(new Request("https://x.test", { headers: { Authorization: header } }))).toBe(token);
  });
});
