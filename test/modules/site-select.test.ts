import { describe, expect, it } from "vitest";
import { normalizeHost, selectSite } from "../../src/modules/site-select";
import { SITE_A_ID, SITE_B_ID, testConfig } from "../support/config";

describe("normalizeHost", () => {
  it.each([
    ["example.com", "example.com"],
    ["Example.COM", "example.com"],
    ["example.com:8443", "example.com"],
    ["example.com.", "example.com"],
    ["EXAMPLE.com.:443", "example.com"],
    ["localhost", "localhost"],
    ["127.0.0.1", "127.0.0.1"],
    ["127.0.0.1:8787", "127.0.0.1"],
    ["xn--mnchen-3ya.de", "xn--mnchen-3ya.de"],
    [null, null],
    ["", null],
    [".", null],
    ["example.com:", null],
    ["example.com:99999", null],
    ["example.com:80:80", null],
    ["[::1]", null],
    ["[::1]:443", null],
    ["::1", null],
    ["exa mple.com", null],
    ["example.com/path", null],
    ["user@example.com", null],
    ["under_score.com", null],
    ["-bad.com", null],
    ["bad-.com", null],
    ["a..b", null],
    ["münchen.de", null],
    ["256.1.1.1", null],
    ["1.2.3", null],
    ["example.com\r\n", null],
    [`${"a".repeat(64)}.com`, null],
  ])("%j -> %j", (raw, expected) => {
    expect(normalizeHost(raw)).toBe(expected);
  });
});

describe("selectSite", () => {
  const config = testConfig();

  it.each([
    ["site A by primary host", "example.com", null, SITE_A_ID],
    ["site B by tracked domain", "data.example.org", null, SITE_B_ID],
    ["request host with port and case", "Shop.Example.org:443", null, SITE_B_ID],
    ["X-Public-Host of the same container", "abc123.trqaxal.com", "shop.example.org", SITE_B_ID],
    ["X-Public-Host wins over the request host", "example.com", "DATA.example.org:443", SITE_B_ID],
    ["foreign X-Public-Host ignored", "data.example.org", "evil.com", SITE_B_ID],
    ["X-Public-Host naming the edge hostname falls back", "data.example.org", "abc123.trqaxal.com", SITE_B_ID],
    ["malformed X-Public-Host ignored", "data.example.org", "shop.example.org\r\nX: 1", SITE_B_ID],
    ["edge hostname: first site", "abc123.trqaxal.com", null, SITE_A_ID],
    ["custom domain without a site: first site", "metrics.example.com", null, SITE_A_ID],
  ])("%s", (_name, host, publicHost, expected) => {
    expect(selectSite(config, host, publicHost).site_id).toBe(expected);
  });
});
