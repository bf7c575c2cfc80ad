import { describe, expect, it } from "vitest";
import { sanitizeGeoValue, toBrowserHeaders, upstreamHeaders } from "../../src/modules/proxy-headers";

const clientRequest = () =>
  new Request("https://data.example.com/g/collect?v=2", {
    method: "POST",
    headers: {
      Host: "data.example.com",
      "User-Agent": "Mozilla/5.0",
      Cookie: "_ga=GA1.1.1.2",
      "Content-Type": "text/plain",
      Connection: "keep-alive, X-Secret-Hop",
      "Keep-Alive": "timeout=5",
      "X-Secret-Hop": "1",
      "Proxy-Authorization": "Basic abc",
      TE: "trailers",
      Trailer: "Expires",
      Upgrade: "websocket",
      "X-Forwarded-For": "6.6.6.6",
      "X-Forwarded-Host": "evil.com",
      "X-Forwarded-Proto": "http",
      "X-Forwarded-Port": "1",
      "X-Real-IP": "6.6.6.6",
      Forwarded: "for=6.6.6.6",
      "True-Client-IP": "6.6.6.6",
      "CF-Connecting-IP": "6.6.6.6",
      "CF-IPCountry": "XX",
      "X-Geo-Country": "XX",
      "X-Geo-City": "Spoofed",
    },
  });

describe("upstreamHeaders", () => {
  it("keeps end-to-end headers, strips hop-by-hop, and overwrites every client copy of ours", () => {
    const headers = upstreamHeaders(clientRequest(), "data.example.com", "203.0.113.7", {
      country: "DE",
      region: "Bavaria",
      city: "München",
    });
    expect(Object.fromEntries(headers)).toEqual({
      "user-agent": "Mozilla/5.0",
      cookie: "_ga=GA1.1.1.2",
      "content-type": "text/plain",
      "x-forwarded-for": "203.0.113.7",
      "x-forwarded-host": "data.example.com",
      "x-forwarded-proto": "https",
      "x-geo-country": "DE",
      "x-geo-region": "Bavaria",
      "x-geo-city": "M%C3%BCnchen",
    });
  });

  it("sets no client IP or geo it does not know, and drops the client's", () => {
    const headers = upstreamHeaders(clientRequest(), "data.example.com", null);
    expect(headers.has("x-forwarded-for")).toBe(false);
    expect(headers.has("x-geo-country")).toBe(false);
    expect(headers.has("x-geo-city")).toBe(false);
    expect(headers.get("x-forwarded-host")).toBe("data.example.com");
  });

  it("takes the protocol from the request URL", () => {
    const request = new Request("http://localhost:8787/collect");
    expect(upstreamHeaders(request, "localhost", "::1").get("x-forwarded-proto")).toBe("http");
    expect(upstreamHeaders(request, "localhost", "::1").get("x-forwarded-for")).toBe("::1");
  });

  it("sends X-Origin-Auth only as the configured origin secret, never the client's copy", () => {
    const forged = new Request("https://a.test/", { headers: { "X-Origin-Auth": "forged" } });
    expect(upstreamHeaders(forged, "a.test", null).has("x-origin-auth")).toBe(false);
    expect(upstreamHeaders(forged, "a.test", null, {}, "os_0123456789abcdef0123456789abcdef").get("x-origin-auth")).toBe(
      "os_0123456789abcdef0123456789abcdef",
    );
  });

  it("refuses an IP that is not an IP", () => {
    expect(upstreamHeaders(new Request("https://a.test/"), "a.test", "1.2.3.4, 6.6.6.6").has("x-forwarded-for")).toBe(false);
  });
});

describe("sanitizeGeoValue", () => {
  it.each([
    [undefined, null],
    ["", null],
    ["   ", null],
    ["US", "US"],
    ["San Francisco", "San Francisco"],
    ["Zürich", "Z%C3%BCrich"],
    ["東京", "%E6%9D%B1%E4%BA%AC"],
    ["100% City", "100%25 City"],
    ["Evil\r\nX-Injected: 1", "EvilX-Injected: 1"],
    ["Tab\tNull\u0000Del\u007fC1\u0085", "TabNullDelC1"],
    ["lone \ud800 surrogate", "lone  surrogate"],
    ["x".repeat(200), null],
  ])("%j -> %j", (raw, expected) => {
    expect(sanitizeGeoValue(raw)).toBe(expected);
  });
});

describe("toBrowserHeaders", () => {
  const browserCopy = (origin: Headers, setCookies: string[]) => {
    const headers = new Headers(origin);
    toBrowserHeaders(headers, setCookies);
    return headers;
  };

  it("drops hop-by-hop headers and keeps every Set-Cookie separate", () => {
    const origin = new Headers([
      ["Content-Type", "image/gif"],
      ["Connection", "close, X-Hop"],
      ["X-Hop", "1"],
      ["Transfer-Encoding", "chunked"],
      ["Keep-Alive", "timeout=5"],
      ["Cache-Control", "no-store"],
      ["Set-Cookie", "a=1; Path=/"],
      ["Set-Cookie", "b=2; Expires=Wed, 21 Oct 2099 07:28:00 GMT"],
      ["Set-Cookie", "FPID=x; HttpOnly"],
    ]);
    const headers = browserCopy(origin, origin.getSetCookie());
    expect(headers.getSetCookie()).toEqual(["a=1; Path=/", "b=2; Expires=Wed, 21 Oct 2099 07:28:00 GMT", "FPID=x; HttpOnly"]);
    expect(headers.get("content-type")).toBe("image/gif");
    expect(headers.get("cache-control")).toBe("no-store");
    for (const name of ["connection", "x-hop", "transfer-encoding", "keep-alive"]) expect(headers.has(name)).toBe(false);
  });

  it("drops every Access-Control-* header of the origin: the edge sets its own", () => {
    const origin = new Headers([
      ["Access-Control-Allow-Origin", "*"],
      ["Access-Control-Allow-Credentials", "true"],
      ["Access-Control-Expose-Headers", "X-Secret"],
      ["access-control-allow-methods", "PUT"],
      ["X-Access-Control-Note", "kept"],
    ]);
    expect(Object.fromEntries(browserCopy(origin, []))).toEqual({ "x-access-control-note": "kept" });
  });
});
