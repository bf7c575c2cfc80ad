/** The pure parts of container creation: body normalisation, cookie domains. */
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { hostnameSchema, urlSafeTokenSchema } from "../../../src/shared/edge-config.ts";
import { cookieDomainFor, createContainerBodySchema } from "../../../supabase/functions/sgtm-containers/body.ts";

const schema = createContainerBodySchema("trqaxal.com");
const CLIENT = "6F1C0B5E-1F2A-4C3D-8E9F-0A1B2C3D4E5F";

function parse(overrides: Record<string, unknown>) {
  return schema.safeParse({
    clientId: CLIENT,
    name: "Shop",
    domains: ["example.com"],
    webGtmIds: { "example.com": "GTM-ABC123" },
    containerConfigB64: "aWQ9R1RNLUFCQzEyMw==",
    ...overrides,
  });
}

function paths(overrides: Record<string, unknown>): string[] {
  const result = parse(overrides);
  return result.success ? [] : result.error.issues.map((issue) => issue.path.join("."));
}

Deno.test("domains are normalised and every domain gets a GTM id, the first's by default", () => {
  const result = parse({
    name: "  Shop  ",
    domains: [" WWW.Example.COM. ", "shop.example.com"],
    webGtmIds: { "www.example.com.": "gtm-abc123", "SHOP.example.com": "GTM-SHOP99" },
  });
  assertEquals(result.success && result.data, {
    clientId: CLIENT.toLowerCase(),
    name: "Shop",
    containerConfigB64: "aWQ9R1RNLUFCQzEyMw==",
    sites: [{ domain: "www.example.com", webGtmId: "GTM-ABC123" }, { domain: "shop.example.com", webGtmId: "GTM-SHOP99" }],
  });
  const fallback = parse({ domains: ["a.example.com", "b.example.com"], webGtmIds: { "a.example.com": "GTM-AAAA11" } });
  assertEquals(fallback.success && fallback.data.sites.map((s) => s.webGtmId), ["GTM-AAAA11", "GTM-AAAA11"]);
});

Deno.test("bad domains, ids and configs are named by path", () => {
  const table: [Record<string, unknown>, string[]][] = [
    [{ domains: [] }, ["domains"]],
    [{ domains: ["localhost"] }, ["domains.0"]],
    [{ domains: ["example.com:443"] }, ["domains.0"]],
    [{ domains: ["https://example.com"] }, ["domains.0"]],
    [{ domains: ["edge.trqaxal.com"] }, ["domains.0"]],
    [{ domains: ["example.com", "EXAMPLE.com"] }, ["domains.1"]],
    [{ webGtmIds: { "example.com": "UA-1234" } }, ["webGtmIds.example.com"]],
    [{ webGtmIds: { "example.com": "GTM-ABC123", "other.com": "GTM-ABC123" } }, ["webGtmIds.other.com"]],
    [{ containerConfigB64: "not base64!" }, ["containerConfigB64"]],
    [{ containerConfigB64: "A".repeat(16 * 1024 + 4) }, ["containerConfigB64"]],
    [{ name: "x".repeat(101) }, ["name"]],
    [{ clientId: "client-1" }, ["clientId"]],
    [{ extra: true }, [""]],
  ];
  for (const [overrides, expected] of table) assertEquals(paths(overrides), expected, JSON.stringify(overrides).slice(0, 60));
});

Deno.test("cookie domain: www. dropped, nothing higher", () => {
  assertEquals(
    ["www.example.com", "example.com", "shop.example.com", "www.co", "www.example.co.uk"].map(cookieDomainFor),
    ["example.com", "example.com", "shop.example.com", "www.co", "example.co.uk"],
  );
});
