import { describe, expect, it } from "vitest";
import { analyticsDataPoint, logLine, pathClass, type AccessLogEntry } from "../../src/modules/access-log";

const entry: AccessLogEntry = {
  ts: 1_767_225_600_000,
  container_id: "6f1c0000-0000-4000-8000-000000000001",
  site_id: null,
  host: "data.example.com",
  path_class: "collect",
  method: "POST",
  status: 204,
  latency_ms: 37,
  recovered: true,
  paused: false,
  country: "DE",
  config_version: 7,
};

describe("pathClass", () => {
  it.each([
    ["/g/collect", "collect"],
    ["/collect", "collect"],
    ["/r/collect", "collect"],
    ["/ccm/collect", "collect"],
    ["/k/ct_aaaaaaaaaaaaaaaa", "recovery"],
    ["/l/lt_0123456789abcdef.js", "loader"],
    ["/l/x/y.js", "other"],
    ["/boot", "boot"],
    ["/mark-session-detection", "detection"],
    ["/gtm.js", "gtm"],
    ["/gtag/js", "gtm"],
    ["/gtag/destination", "gtm"],
    ["/", "other"],
    ["/g/collect/", "other"],
    ["/_edge/health", "other"],
  ])("%s -> %s", (pathname, expected) => {
    expect(pathClass(pathname)).toBe(expected);
  });
});

describe("analyticsDataPoint", () => {
  it("indexes by container and lays blobs and doubles out as documented", () => {
    expect(analyticsDataPoint(entry)).toEqual({
      indexes: ["6f1c0000-0000-4000-8000-000000000001"],
      blobs: ["", "data.example.com", "collect", "POST", "DE"],
      doubles: [204, 37, 1, 0, 7, 1_767_225_600_000],
    });
  });
});

describe("logLine", () => {
  it("writes one line with only the entry's fields", () => {
    const withExtra = { ...entry, ip: "203.0.113.7", site_id: "s1" } as AccessLogEntry;
    expect(JSON.parse(logLine(entry))).toEqual(entry);
    const line = logLine(withExtra);
    expect(line).not.toContain("\n");
    expect(JSON.parse(line)).toEqual({ ...entry, site_id: "s1" });
    expect(line).not.toContain("203.0.113.7");
  });
});
