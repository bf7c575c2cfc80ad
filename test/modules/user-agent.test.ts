import { describe, expect, it } from "vitest";
import { deviceHeaders, gatewayGeoHeaders } from "../../src/modules/device-geo";
import { parseDevice } from "../../src/modules/user-agent";

const device = (headers: Record<string, string>) => parseDevice(new Headers(headers));

describe("parseDevice", () => {
  it.each([
    ["Android phone", { "User-Agent": "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36" },
      { type: "mobile", os: "Android", browser: "Chrome", browserMajor: "124" }],
    ["iPad", { "User-Agent": "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1" },
      { type: "tablet", os: "iOS", browser: "Mobile Safari", browserMajor: "17" }],
    ["Mac Firefox", { "User-Agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.4; rv:125.0) Gecko/20100101 Firefox/125.0" },
      { type: "desktop", os: "macOS", browser: "Firefox", browserMajor: "125" }],
    ["reduced Chrome UA with client hints naming Edge on Windows", {
      "User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
      "Sec-CH-UA": '"Chromium";v="124", "Microsoft Edge";v="124", "Not-A.Brand";v="99"', "Sec-CH-UA-Platform": '"Windows"', "Sec-CH-UA-Mobile": "?0",
    }, { type: "desktop", os: "Windows", browser: "Edge", browserMajor: "124" }],
    ["client hints say mobile", { "User-Agent": "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", "Sec-CH-UA-Mobile": "?1" },
      { type: "mobile", os: "Android", browser: "Chrome", browserMajor: "124" }],
    ["only Chromium and GREASE brands", { "Sec-CH-UA": '"Not/A)Brand";v="8", "Chromium";v="126"', "Sec-CH-UA-Platform": '"Linux"' },
      { type: "unknown", os: "Linux", browser: "Chromium", browserMajor: "126" }],
    ["a hostile platform hint is dropped", { "Sec-CH-UA-Platform": '"Win;dows<x>"', "User-Agent": "curl/8" },
      { type: "unknown", os: null, browser: null, browserMajor: null }],
    ["nothing at all", {}, { type: "unknown", os: null, browser: null, browserMajor: null }],
  ])("%s", (_name, headers, expected) => {
    expect(device(headers)).toEqual(expected);
  });
});

describe("deviceHeaders and gatewayGeoHeaders", () => {
  it("name only what is known", () => {
    expect(deviceHeaders({ type: "unknown", os: null, browser: null, browserMajor: null })).toEqual({ "X-Device-Type": "unknown" });
    expect(deviceHeaders({ type: "mobile", os: "iOS", browser: "Mobile Safari", browserMajor: "17" })).toEqual({
      "X-Device-Type": "mobile", "X-Device-OS": "iOS", "X-Device-Browser": "Mobile Safari",
    });
  });

  it.each([
    [{ country: "US", regionCode: "CA" }, { "X-Forwarded-Country": "US", "X-Forwarded-Region": "CA", "X-Forwarded-CountryRegion": "US-CA" }],
    [{ country: "de", regionCode: "by" }, { "X-Forwarded-Country": "DE", "X-Forwarded-Region": "BY", "X-Forwarded-CountryRegion": "DE-BY" }],
    [{ country: "GB" }, { "X-Forwarded-Country": "GB" }],
    [{ country: "FR", regionCode: "Île" }, { "X-Forwarded-Country": "FR" }],
    [{ country: "XX", regionCode: "CA" }, {}],
    [{ country: "USA" }, {}],
    [{ country: "U\r\n" }, {}],
    [{}, {}],
  ])("%j", (geo, expected) => {
    expect(gatewayGeoHeaders(geo)).toEqual(expected);
  });
});
