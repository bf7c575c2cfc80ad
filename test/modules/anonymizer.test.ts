import { describe, expect, it } from "vitest";
import { reducedUserAgent, shouldAnonymize, truncateIp } from "../../src/modules/anonymizer";
import { parseDevice } from "../../src/modules/user-agent";

describe("truncateIp", () => {
  it.each([
    ["203.0.113.77", "203.0.113.0"], ["10.1.2.255", "10.1.2.0"], ["0.0.0.0", "0.0.0.0"],
    ["2001:db8:1234:5678:9abc:def0:1234:5678", "2001:db8:1234::"], ["2001:db8::1", "2001:db8::"], ["::1", "::"],
    ["::ffff:203.0.113.77", "203.0.113.0"], ["nope", null], ["", null], [null, null], ["10.0.0.0/8", null],
  ])("%s -> %s", (ip, truncated) => {
    expect(truncateIp(ip)).toBe(truncated);
  });
});

describe("shouldAnonymize", () => {
  it.each([
    ["off", false, false], ["off", null, false], ["always", true, true], ["always", null, true],
    ["consent", false, true], ["consent", true, false], ["consent", null, false],
  ] as const)("%s with analytics %s -> %s", (mode, analytics, expected) => {
    expect(shouldAnonymize(mode, () => ({ analytics, ads: null }))).toBe(expected);
  });
});

const reduced = (ua: string, hints: Record<string, string> = {}) => reducedUserAgent(parseDevice(new Headers({ "User-Agent": ua, ...hints })));

describe("reducedUserAgent", () => {
  it.each([
    ["Chrome on Android (model dropped)", "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36",
      "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36"],
    ["Edge on Windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51",
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0"],
    ["Safari on iPhone", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1",
      "Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/605.1.15"],
    ["Safari on iPad", "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
      "Mozilla/5.0 (iPad; CPU OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/605.1.15"],
    ["Firefox on macOS", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.4; rv:125.0) Gecko/20100101 Firefox/125.0",
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Gecko/20100101 Firefox/125.0"],
    ["Samsung Internet", "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-A536B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
      "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/0.0.0.0 Mobile Safari/537.36"],
    ["unknown agent", "SomeApp/3.2.1 (build 77; device XYZ-123)", "Mozilla/5.0"],
  ])("%s", (_name, ua, expected) => {
    expect(reduced(ua)).toBe(expected);
  });
});
