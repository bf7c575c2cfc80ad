import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PROXY_KINDS, ProxyConfigError, proxyConfig, type ProxyTarget } from "../../src/modules/proxy-config";
import { hostnameSchema } from "../../src/shared/edge-config";

const TARGET: ProxyTarget = {
  siteHost: "www.example.com",
  pathPrefix: "/metrics",
  edgeHostname: "abc123.trqaxal.com",
  forwardSecret: "fs_0123456789abcdefghijklmnopqrstuv",
};

/** Lines of `text` that are not comments (`#` or `//`) and not blank. */
function directives(text: string): string[] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#") && !line.startsWith("//"));
}

describe("proxyConfig per kind", () => {
  it("nginx: a location that keeps path and query, Host and SNI on the edge, the three headers, no Authorization, no cache", () => {
    const lines = directives(proxyConfig("nginx", TARGET));
    expect(lines[0]).toBe("location ^~ /metrics/ {");
    expect(lines.at(-1)).toBe("}");
    expect(lines).toEqual(expect.arrayContaining([
      // no URI part after the host: nginx passes the request URI unchanged
      "proxy_pass https://abc123.trqaxal.com;",
      "proxy_set_header Host abc123.trqaxal.com;",
      "proxy_ssl_server_name on;",
      "proxy_ssl_name abc123.trqaxal.com;",
      "proxy_ssl_verify on;",
      "proxy_set_header X-Public-Host www.example.com;",
      "proxy_set_header X-Forward-Secret fs_0123456789abcdefghijklmnopqrstuv;",
      "proxy_set_header X-Forwarded-For $remote_addr;",
      'proxy_set_header Authorization "";',
      "proxy_cache off;",
    ]));
    expect(lines.join("\n")).not.toMatch(/proxy_hide_header|proxy_cache_valid|proxy_set_header Cookie/);
  });

  it("caddy: handle (prefix kept), the edge as upstream and Host, the three headers, Authorization removed", () => {
    const lines = directives(proxyConfig("caddy", TARGET));
    expect(lines).toEqual([
      "handle /metrics/* {",
      "reverse_proxy https://abc123.trqaxal.com {",
      "header_up Host abc123.trqaxal.com",
      "header_up X-Public-Host www.example.com",
      "header_up X-Forward-Secret fs_0123456789abcdefghijklmnopqrstuv",
      "header_up X-Forwarded-For {remote_host}",
      "header_up -Authorization",
      "}",
      "}",
    ]);
  });

  it("cloudflare-worker: the visitor's CF-Connecting-IP, cache no-store, manual redirects, route on the prefix", () => {
    const text = proxyConfig("cloudflare-worker", TARGET);
    expect(text).toContain('routes = [{ pattern = "www.example.com/metrics/*"');
    expect(text).toContain('compatibility_date = "2024-11-11"');
    expect(text).toContain('const EDGE_HOSTNAME = "abc123.trqaxal.com";');
    expect(text).toContain('const PUBLIC_HOST = "www.example.com";');
    expect(text).toContain('const FORWARD_SECRET = "fs_0123456789abcdefghijklmnopqrstuv";');
    expect(text).toContain('setIfPresent(headers, "X-Forwarded-For", request.headers.get("CF-Connecting-IP"));');
    expect(text).toContain('headers.delete("authorization");');
    expect(text).toContain('cache: "no-store"');
    expect(text).toContain('redirect: "manual"');
    expect(text).toContain("new URL(url.pathname + url.search, \"https://\" + EDGE_HOSTNAME)");
    expect(text).toContain("export default { fetch: forward };");
  });

  it("vercel: says why a rewrite cannot do it, and is Routing Middleware on the prefix with x-real-ip", () => {
    const text = proxyConfig("vercel", TARGET);
    expect(text).toMatch(/Vercel rewrites can proxy \/metrics\/\* to the edge but cannot set\n\/\/ request headers/);
    expect(text).toContain('export const config = { matcher: "/metrics/:path*" };');
    expect(text).toContain('setIfPresent(headers, "X-Forwarded-For", request.headers.get("x-real-ip"));');
    expect(text).toContain('headers.delete("authorization");');
    expect(text).toContain("export default forward;");
    expect(text).not.toContain("cache:");
  });

  it("netlify: a forced 200 rewrite with the two fixed headers, and says what a rewrite cannot do", () => {
    const text = proxyConfig("netlify", TARGET);
    expect(directives(text)).toEqual([
      "[[redirects]]",
      'from = "/metrics/*"',
      'to = "https://abc123.trqaxal.com/metrics/:splat"',
      "status = 200",
      "force = true",
      "[redirects.headers]",
      'X-Public-Host = "www.example.com"',
      'X-Forward-Secret = "fs_0123456789abcdefghijklmnopqrstuv"',
    ]);
    expect(text).toMatch(/cannot do:\n# {3}- set X-Forwarded-For/);
    expect(text).toMatch(/- drop Authorization/);
  });

  it.each(PROXY_KINDS)("%s names the site and how to check it", (kind) => {
    const text = proxyConfig(kind, TARGET);
    expect(text).toContain("Qaxal same-origin mode for https://www.example.com/metrics/");
    expect(text).toContain("npm run edge -- check-site https://www.example.com/metrics");
  });
});

describe("proxyConfig refuses values outside their schema", () => {
  it.each([
    ["kind", "apache", { ...TARGET }],
    ["siteHost", "nginx", { ...TARGET, siteHost: "example.com;\n  proxy_pass http://evil.test" }],
    ["siteHost", "nginx", { ...TARGET, siteHost: "Example.com" }],
    ["edgeHostname", "caddy", { ...TARGET, edgeHostname: "evil.test {remote_host}" }],
    ["edgeHostname", "nginx", { ...TARGET, edgeHostname: "abc.trqaxal.com:8443" }],
    ["edgeHostname", "nginx", { ...TARGET, edgeHostname: TARGET.siteHost }],
    ["pathPrefix", "nginx", { ...TARGET, pathPrefix: "/metrics/" }],
    ["pathPrefix", "nginx", { ...TARGET, pathPrefix: "metrics" }],
    ["pathPrefix", "caddy", { ...TARGET, pathPrefix: "/m}\nrespond 200" }],
    ["pathPrefix", "netlify", { ...TARGET, pathPrefix: '/m"\nto = "https://evil.test' }],
    ["forwardSecret", "cloudflare-worker", { ...TARGET, forwardSecret: `${"a".repeat(32)}"; fetch("https://evil.test"); "` }],
    ["forwardSecret", "nginx", { ...TARGET, forwardSecret: "short" }],
    ["forwardSecret", "nginx", { ...TARGET, forwardSecret: `${"a".repeat(32)}$remote_addr` }],
  ])("%s (%s)", (field, kind, target) => {
    let error: unknown;
    try {
      proxyConfig(kind, target);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ProxyConfigError);
    expect((error as ProxyConfigError).issues.map((issue) => issue.path)).toEqual([field]);
  });

  it("names every bad value at once", () => {
    expect(() => proxyConfig("iis", { siteHost: "", pathPrefix: "", edgeHostname: "", forwardSecret: "" })).toThrow(
      /^kind: must be one of nginx, caddy, cloudflare-worker, vercel, netlify; siteHost: .*; edgeHostname: .*; pathPrefix: .*; forwardSecret: .*; edgeHostname: must not be the site host/,
    );
  });
});

// The property: a config is constant text with each value dropped into its slots. Rendered with
// sentinel values, every other config of that kind is the same text with the sentinels replaced,
// so no value can change a config's structure; and every value outside its schema is refused.
const SENTINELS: ProxyTarget = {
  siteHost: "site-sentinel.invalid",
  pathPrefix: "/prefixsentinel",
  edgeHostname: "edge-sentinel.invalid",
  forwardSecret: "secretsentinel_secretsentinel_secretsentinel",
};

const SAFE = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-";
/** Characters that end a string, a directive, a block or a line in nginx, Caddy, TOML or JavaScript. */
const HOSTILE = ['"', "'", "`", ";", "{", "}", "$", "\\", "\n", "\r", " ", "\t", "#", "/", ":", ".", "*", "\u2028", "\u0000", "A"];

const valueArb = (valid: fc.Arbitrary<string>) =>
  fc.oneof(
    { weight: 12, arbitrary: valid },
    // a valid value with hostile characters spliced in
    { weight: 2, arbitrary: fc.tuple(valid, fc.array(fc.tuple(fc.nat(), fc.constantFrom(...HOSTILE)), { minLength: 1, maxLength: 3 }))
      .map(([value, edits]) => edits.reduce((text, [at, piece]) => text.slice(0, at % (text.length + 1)) + piece + text.slice(at % (text.length + 1)), value)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  );

const targetArb = fc.record({
  siteHost: valueArb(fc.domain()),
  pathPrefix: valueArb(fc.string({ unit: fc.constantFrom(...SAFE), minLength: 1, maxLength: 32 }).map((s) => `/${s}`)),
  edgeHostname: valueArb(fc.domain()),
  forwardSecret: valueArb(fc.string({ unit: fc.constantFrom(...SAFE), minLength: 32, maxLength: 256 })),
});

function schemaValid(target: ProxyTarget): boolean {
  return (
    hostnameSchema.safeParse(target.siteHost).success &&
    hostnameSchema.safeParse(target.edgeHostname).success &&
    target.siteHost !== target.edgeHostname &&
    /^\/[A-Za-z0-9_-]{1,32}$/.test(target.pathPrefix) &&
    /^[A-Za-z0-9_-]{32,256}$/.test(target.forwardSecret)
  );
}

describe("no generated config can be injected", () => {
  it.each(PROXY_KINDS)("%s: accepted values only fill the slots; anything else is refused", (kind) => {
    const template = proxyConfig(kind, SENTINELS);
    const fields = Object.keys(SENTINELS) as Array<keyof ProxyTarget>;
    for (const field of fields) expect(template).toContain(SENTINELS[field]);
    const slot = new RegExp(fields.map((field) => SENTINELS[field]).join("|"), "g");
    const fieldOf = new Map(fields.map((field) => [SENTINELS[field], field]));
    const fill = (target: ProxyTarget) => template.replace(slot, (sentinel) => target[fieldOf.get(sentinel)!]);
    let accepted = 0;
    fc.assert(
      fc.property(targetArb, (target) => {
        if (!schemaValid(target)) {
          expect(() => proxyConfig(kind, target)).toThrow(ProxyConfigError);
          return;
        }
        accepted++;
        const text = proxyConfig(kind, target);
        expect(text).toBe(fill(target));
        for (const value of Object.values(target)) expect(value).toMatch(/^[A-Za-z0-9_./-]+$/);
      }),
      { numRuns: 500 },
    );
    // Both sides of the schema were exercised.
    expect(accepted).toBeGreaterThan(50);
    expect(accepted).toBeLessThan(450);
  });
});
