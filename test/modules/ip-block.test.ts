import { describe, expect, it } from "vitest";
import { compileBlockList, isBlocked } from "../../src/modules/ip-block";
import { parseIpRange } from "../../src/shared/ip-range";

describe("parseIpRange", () => {
  it.each([
    ["10.0.0.0/8", true], ["192.0.2.7", true], ["0.0.0.0/0", true], ["2001:db8::/32", true], ["::1", true], ["::/0", true],
    ["::ffff:192.0.2.1", true], ["10.0.0.0/33", false], ["2001:db8::/129", false], ["10.0.0.0/08", false], ["127.1", false],
    ["0x7f.0.0.1", false], ["010.0.0.1", false], ["fe80::1%eth0", false], ["10.0.0.0/", false], ["", false], ["example.com", false],
    [" 10.0.0.1", false], ["10.0.0.1/32/1", false], ["1.2.3.4.5", false],
  ])("%s -> %s", (text, valid) => {
    expect(parseIpRange(text) !== null).toBe(valid);
  });
});

describe("isBlocked", () => {
  const list = compileBlockList(["198.51.100.0/24", "2001:db8:abcd::/48", "192.0.2.7"]);
  it.each([
    ["198.51.100.0", true], ["198.51.100.255", true], ["198.51.101.0", false], ["192.0.2.7", true], ["192.0.2.6", false],
    ["2001:db8:abcd::", true], ["2001:db8:abcd:ffff:ffff:ffff:ffff:ffff", true], ["2001:db8:abce::", false],
    ["::ffff:198.51.100.9", true], ["::ffff:198.51.101.9", false], ["not-an-ip", false], ["", false], [null, false],
  ])("%s -> %s", (ip, blocked) => {
    expect(isBlocked(ip, list)).toBe(blocked);
  });

  it("an IPv4 range never matches an IPv6 address and back", () => {
    expect(isBlocked("::", compileBlockList(["0.0.0.0/0"]))).toBe(false);
    expect(isBlocked("10.0.0.1", compileBlockList(["::/0"]))).toBe(false);
    expect(isBlocked("10.0.0.1", compileBlockList(["0.0.0.0/0"]))).toBe(true);
  });

  it("an empty list blocks nothing", () => {
    expect(isBlocked("10.0.0.1", [])).toBe(false);
  });
});
