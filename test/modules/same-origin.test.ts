import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { pathUnderPrefix, proxiedClientIp } from "../../src/modules/same-origin";

describe("pathUnderPrefix", () => {
  it.each([
    ["/metrics/g/collect", "/g/collect"],
    ["/metrics", "/"],
    ["/metrics/", "/"],
    ["/metricsx/g/collect", null],
    ["/g/collect", null],
    ["/Metrics/g", null],
  ])("%s under /metrics is %s", (path, expected) => {
    expect(pathUnderPrefix(path, "/metrics")).toBe(expected);
  });

  it("what remains is always rooted and the prefix is gone", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\/[A-Za-z0-9_-]{1,32}$/), fc.webPath(), (prefix, rest) => {
        const stripped = pathUnderPrefix(prefix + rest, prefix);
        if (stripped !== null) expect(stripped.startsWith("/")).toBe(true);
        expect(pathUnderPrefix(`${prefix}/${rest.replace(/^\//, "")}`, prefix)).toBe(`/${rest.replace(/^\//, "")}`);
      }),
    );
  });
});

describe("proxiedClientIp", () => {
  it.each([
    ["198.51.100.7", "198.51.100.7"],
    ["6.6.6.6, 198.51.100.7", "198.51.100.7"],
    ["1.2.3.4,2001:DB8::1", "2001:db8::1"],
    ["198.51.100.7, evil", null],
    ["", null],
    [null, null],
    ["999.1.1.1", null],
    ["1.2.3.4\r\nX-Evil: 1", null],
  ])("%s -> %s", (header, expected) => {
    expect(proxiedClientIp(header)).toBe(expected);
  });

  it("never returns anything but an address (no header split, no spoofed text)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (header) => {
        const ip = proxiedClientIp(header);
        if (ip !== null) expect(ip).toMatch(/^[0-9a-f.:]+$/);
      }),
    );
  });
});
