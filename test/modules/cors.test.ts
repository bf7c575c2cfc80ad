import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { corsHeaders, preflightResponse } from "../../src/modules/cors";

const HOSTS: ReadonlySet<string> = new Set(["example.com", "data.example.com", "abc123.trqaxal.com", "localhost"]);

describe("corsHeaders", () => {
  it.each([
    ["https://example.com", "https://example.com"],
    ["https://data.example.com", "https://data.example.com"],
    ["http://localhost:8787", "http://localhost:8787"],
    ["https://example.com:8443", "https://example.com:8443"],
    ["HTTPS://EXAMPLE.COM", "https://example.com"],
    ["https://Data.Example.com", "https://data.example.com"],
  ])("allows %s", (origin, reflected) => {
    expect(corsHeaders(origin, HOSTS)).toEqual({
      "Access-Control-Allow-Origin": reflected,
      "Access-Control-Allow-Credentials": "true",
      Vary: "Origin",
    });
  });

  it.each([
    ["absent", null],
    ["empty", ""],
    ["null origin", "null"],
    ["wildcard", "*"],
    ["another container's host", "https://other-customer.com"],
    ["suffix trick", "https://example.com.evil.com"],
    ["prefix trick", "https://evilexample.com"],
    ["subdomain not listed", "https://www2.example.com"],
    ["fragment trick", "https://evil.com#example.com"],
    ["userinfo trick", "https://example.com@evil.com"],
    ["userinfo on ours", "https://evil@example.com"],
    ["path", "https://example.com/"],
    ["path trick", "https://evil.com/example.com"],
    ["query trick", "https://evil.com?example.com"],
    ["default port spelled out", "https://example.com:443"],
    ["file scheme", "file://example.com"],
    ["ftp scheme", "ftp://example.com"],
    ["javascript scheme", "javascript://example.com"],
    ["no scheme", "example.com"],
    ["whitespace", " https://example.com"],
    ["trailing dot", "https://example.com."],
    ["backslash", "https:\\\\example.com"],
    ["IPv6", "https://[::1]"],
  ])("refuses %s", (_name, origin) => {
    expect(corsHeaders(origin, HOSTS)).toBeNull();
  });
});

describe("corsHeaders property", () => {
  const PIECES = ["https://", "http://", "example.com", "evil.com", ".", "@", "#", "/", "?", ":443", ":8443", "\\", " ", "null", "*", "EXAMPLE"];
  const candidateArb = fc.oneof(
    fc.string({ unit: "binary", maxLength: 40 }),
    fc.array(fc.constantFrom(...PIECES), { maxLength: 6 }).map((parts) => parts.join("")),
  );

  it("only ever reflects a canonical http(s) origin of a container host", () => {
    fc.assert(
      fc.property(candidateArb, (candidate) => {
        const headers = corsHeaders(candidate, HOSTS);
        if (headers === null) return;
        const reflected = headers["Access-Control-Allow-Origin"]!;
        const url = new URL(reflected);
        expect(reflected).toBe(url.origin);
        expect(["https:", "http:"]).toContain(url.protocol);
        expect(HOSTS.has(url.hostname)).toBe(true);
        expect(reflected).toBe(candidate.toLowerCase());
      }),
      { numRuns: 3000 },
    );
  });
});

describe("preflightResponse", () => {
  const preflight = (headers: Record<string, string>) =>
    preflightResponse(new Request("https://data.example.com/g/collect", { method: "OPTIONS", headers }), HOSTS);

  it("grants an allowed origin with methods, safe headers and max-age", () => {
    const response = preflight({
      Origin: "https://example.com",
      "Access-Control-Request-Method": "POST",
      "Access-Control-Request-Headers": "Content-Type, X-Requested-With",
    });
    expect(response.status).toBe(204);
    expect(Object.fromEntries(response.headers)).toEqual({
      "access-control-allow-origin": "https://example.com",
      "access-control-allow-credentials": "true",
      "access-control-allow-methods": "GET, POST, OPTIONS",
      "access-control-allow-headers": "content-type, x-requested-with",
      "access-control-max-age": "600",
      vary: "Origin, Access-Control-Request-Headers",
    });
  });

  it.each([
    ["a name with a space", "content-type, x evil"],
    ["a name with a colon", "x-a:b"],
    ["a quote", 'x-"a"'],
    ["too long", "x-a,".repeat(400)],
  ])("does not echo requested headers with %s", (_name, requested) => {
    const response = preflight({ Origin: "https://example.com", "Access-Control-Request-Headers": requested });
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe("https://example.com");
    expect(response.headers.has("access-control-allow-headers")).toBe(false);
  });

  it.each([["https://evil.com"], ["null"], ["*"]])("answers %s with a bare 204", (origin) => {
    const response = preflight({ Origin: origin, "Access-Control-Request-Method": "POST" });
    expect(response.status).toBe(204);
    expect(Object.fromEntries(response.headers)).toEqual({ vary: "Origin" });
  });
});
