import { describe, expect, it } from "vitest";
import loaderSource from "../../src/loader-template/loader.js?raw";
import { LOADER_SOURCE_SHA256, LOADER_TEMPLATE } from "../../src/loader-template/loader.generated";

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

describe("loader.generated.ts", () => {
  it("was built from the current loader.js (else run `node scripts/build-loader.mjs`)", async () => {
    expect(await sha256Hex(loaderSource)).toBe(LOADER_SOURCE_SHA256);
  });

  it("is minified ES2017 without the source comments", () => {
    expect(LOADER_TEMPLATE).not.toContain("Qaxal loader");
    expect(LOADER_TEMPLATE).not.toMatch(/\?\.|\?\?/);
    expect(LOADER_TEMPLATE.length).toBeLessThan(loaderSource.length / 2);
  });
});
