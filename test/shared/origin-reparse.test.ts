import { describe, expect, it } from "vitest";
import { originSchema } from "../../src/shared/edge-config";

describe("originSchema", () => {
  it("refuses an origin that does not parse back to itself (lookalike slash U+2215, found by npm run fuzz)", () => {
    expect(originSchema.safeParse("https://\u2215xn--mnchen-3ya.test").success).toBe(false);
  });

  it("keeps plain and punycode origins (control)", () => {
    expect(originSchema.safeParse("https://xn--mnchen-3ya.test").data).toBe("https://xn--mnchen-3ya.test");
    expect(originSchema.safeParse("https://sgtm-7.edge-1.example.net:8443").data).toBe("https://sgtm-7.edge-1.example.net:8443");
  });
});
