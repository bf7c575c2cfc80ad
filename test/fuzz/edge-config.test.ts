/**
 * Admin config bodies (src/shared/edge-config.ts parseEdgeConfig): whatever a caller
 * PUTs, parsing never throws, a refusal names its problems, and an accepted config is
 * stable (it survives JSON and a second parse unchanged) with an origin the edge can
 * only ever reach as a bare http(s) origin.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isSameOrParentDomain, parseEdgeConfig, type EdgeConfigInput } from "../../src/shared/edge-config";
import { makeTwoSiteConfig } from "../support/config";
import { aroundValid, hostileString, stringEdit } from "./arbitraries";
import { fuzz } from "./runs";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = Array<string | number>;

/** Two sites, every optional secret and key present (section 8-10), so edits reach them too. */
const BASE = JSON.parse(
  JSON.stringify(
    ((config) => ({
      ...config,
      origin_secret: "os_0123456789abcdefghijklmnopqrstuv",
      sites: [
        { ...config.sites[0]!, endpoint_key: "ek_a_0123456789abcdef", path_prefix: "/metrics", forward_secret: "fs_0123456789abcdefghijklmnopqrstuv" },
        { ...config.sites[1]!, endpoint_key: "ek_b_0123456789abcdef", previous_endpoint_key: "ek_b_old_0123456789ab" },
      ],
    }))(makeTwoSiteConfig("fuzzcfg")),
  ),
) as EdgeConfigInput & Record<string, Json>;

function leafPaths(value: Json, path: Path = []): Path[] {
  if (value === null || typeof value !== "object") return [path];
  const entries: Array<[string | number, Json]> = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  return [path, ...entries.flatMap(([key, child]) => leafPaths(child, [...path, key]))];
}
const PATHS = leafPaths(BASE as unknown as Json);

const ORIGINS = [
  "https://sgtm.origin.test", "http://127.0.0.1:8787", "https://[::1]:8443", "https://sgtm.origin.test:443", "HTTPS://SGTM.ORIGIN.TEST",
  "https://sgtm.origin.test/", "https://sgtm.origin.test/path", "https://sgtm.origin.test/?", "https://sgtm.origin.test/#",
  "https://user:pass@sgtm.origin.test", "https://@sgtm.origin.test", "https://sgtm.origin.test@evil.test", "https:sgtm.origin.test",
  "https:\\\\evil.test", "https://evil.test\\@sgtm.origin.test", "javascript:alert(1)", "data:text/plain,x", "file:///etc/passwd",
  "ftp://sgtm.origin.test", "https://sgtm.orig\tin.test", "https://sgtm.origin.test\r\n", " https://sgtm.origin.test", "https://sgtm.origin.test.",
  "https://%73gtm.origin.test", "https://sgtm.origin.test:99999", "https://0x7f000001", "https://xn--mnchen-3ya.test", "https://münchen.test", "//sgtm.origin.test",
];
const originValue = aroundValid(fc.constantFrom(...ORIGINS), 80);

const hostileValue: fc.Arbitrary<Json> = fc.oneof(
  hostileString(80),
  fc.constantFrom<Json>(null, true, false, 0, -1, 1.5, 1e308, Number.MAX_SAFE_INTEGER + 2, "", [], {}, ["x"], { __proto__: "x" }),
  fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
);

type Edit = (config: Json) => void;

function parentAndKey(root: Json, path: Path): [Record<string | number, Json>, string | number] | null {
  if (path.length === 0) return null;
  let node = root as Record<string | number, Json>;
  for (const key of path.slice(0, -1)) {
    const next = node?.[key];
    if (next === null || typeof next !== "object") return null;
    node = next as Record<string | number, Json>;
  }
  return [node, path[path.length - 1]!];
}

const pathIndex = fc.nat().map((i) => PATHS[i % PATHS.length]!);
const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.tuple(pathIndex, hostileValue).map(([path, value]): Edit => (root) => {
    const at = parentAndKey(root, path);
    if (at) at[0][at[1]] = value;
  }),
  fc.tuple(pathIndex, stringEdit).map(([path, change]): Edit => (root) => {
    const at = parentAndKey(root, path);
    const current = at?.[0][at[1]];
    if (at && typeof current === "string") at[0][at[1]] = change(current);
  }),
  pathIndex.map((path): Edit => (root) => {
    const at = parentAndKey(root, path);
    if (!at) return;
    if (Array.isArray(at[0])) at[0].splice(Number(at[1]), 1);
    else delete at[0][at[1]];
  }),
  fc.tuple(pathIndex, fc.constantFrom("extra", "__proto__", "constructor", "Origin", "origin_secret", "path_prefix", "forward_secret")).map(([path, key]): Edit => (root) => {
    const at = parentAndKey(root, path);
    const target = at ? at[0][at[1]] : root;
    if (target !== null && typeof target === "object" && !Array.isArray(target)) (target as Record<string, Json>)[key] = "x";
  }),
  originValue.map((origin): Edit => (root) => void ((root as Record<string, Json>).origin = origin)),
  fc.constantFrom<Edit>(
    // Cross-field rules: shared hosts and tokens, the edge hostname as a site host, a foreign cookie domain.
    (root) => void (site(root, 1).primary_host = site(root, 0).primary_host ?? null),
    (root) => void (site(root, 1).container_token = site(root, 0).container_token ?? null),
    (root) => void (site(root, 0).container_token = field(root, "loader_token")),
    (root) => void list(site(root, 0).tracked_domains)?.push(field(root, "edge_hostname")),
    (root) => void (site(root, 0).cookie_domain = "test"),
    (root) => void (site(root, 0).cookie_domain = site(root, 1).cookie_domain ?? null),
    (root) => void (site(root, 1).site_id = site(root, 0).site_id ?? null),
    (root) => void list(field(root, "sites"))?.push(structuredClone(site(root, 0))),
    (root) => void (site(root, 1).endpoint_key = site(root, 0).endpoint_key ?? null),
    (root) => void (site(root, 0).endpoint_key = site(root, 1).container_token ?? null),
    (root) => void delete site(root, 0).forward_secret,
    (root) => void (site(root, 0).path_prefix = "/metrics/../admin"),
  ),
);

const field = (root: Json, key: string): Json => (root as Record<string, Json>)[key] ?? null;
const list = (value: Json | undefined): Json[] | null => (Array.isArray(value) ? value : null);

/** Site `index` of an edited config (earlier edits may have broken `sites`: then a detached object). */
function site(root: Json, index: number): Record<string, Json> {
  const sites = (root as Record<string, Json>).sites;
  return (Array.isArray(sites) && sites[index] !== null && typeof sites[index] === "object" ? sites[index] : {}) as Record<string, Json>;
}

/** The two-site base with one to three edits, or something that is not a config at all. */
const configBody: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(null).map(() => structuredClone(BASE)) },
  {
    weight: 8,
    arbitrary: fc.array(edit, { minLength: 1, maxLength: 3 }).map((edits) => {
      const root = structuredClone(BASE) as unknown as Json;
      for (const apply of edits) apply(root);
      return root;
    }),
  },
  { weight: 1, arbitrary: hostileValue },
);

const HOST_RE = /^[a-z0-9.-]{1,253}$/;

describe("admin config bodies", () => {
  it("the unedited base is accepted (positive control for every property below)", () => {
    expect(parseEdgeConfig(BASE).ok).toBe(true);
  });

  fuzz(
    "parseEdgeConfig: never throws; a refusal names each problem; an accepted config survives JSON and a second parse unchanged",
    configBody,
    (body) => {
      const parsed = parseEdgeConfig(body);
      if (!parsed.ok) {
        expect(parsed.issues.length).toBeGreaterThan(0);
        for (const issue of parsed.issues) expect(typeof issue.path === "string" && issue.message.length > 0).toBe(true);
        return "refused";
      }
      const again = parseEdgeConfig(JSON.parse(JSON.stringify(parsed.config)));
      expect(again).toEqual(parsed);
      return "accepted";
    },
  );

  fuzz(
    "parseEdgeConfig: an accepted origin is a bare http(s) origin (no userinfo, path, query, fragment, whitespace); hosts canonical and owned by one site; cookie_domain a parent of its site; tokens and keys unique; secrets and path prefixes url-safe",
    configBody,
    (body) => {
      const parsed = parseEdgeConfig(body);
      if (!parsed.ok) return "refused";
      const { config } = parsed;
      const url = new URL(config.origin);
      expect(["http:", "https:"]).toContain(url.protocol);
      expect(url.username + url.password + url.search + url.hash).toBe("");
      expect(url.pathname).toBe("/");
      expect(config.origin).toBe(url.origin);
      expect(config.origin).not.toMatch(/[\s\u0000-\u001f\u007f-\u009f]/);
      const owner = new Map<string, string>();
      for (const s of config.sites) {
        expect(isSameOrParentDomain(s.cookie_domain, s.primary_host)).toBe(true);
        for (const host of [s.primary_host, ...s.tracked_domains, s.cookie_domain]) expect(host).toMatch(HOST_RE);
        for (const host of new Set([s.primary_host, ...s.tracked_domains])) {
          expect(host).not.toBe(config.edge_hostname);
          expect(owner.get(host) ?? s.site_id).toBe(s.site_id);
          owner.set(host, s.site_id);
        }
      }
      const tokens = [config.loader_token, ...config.sites.flatMap((s) => [s.container_token, s.endpoint_key, s.previous_endpoint_key])].filter(Boolean);
      expect(new Set(tokens).size).toBe(tokens.length);
      // Secrets go into headers and prefixes into paths: url-safe only, so neither can split one.
      for (const secret of [config.origin_secret, ...config.sites.map((s) => s.forward_secret)]) {
        if (secret !== undefined) expect(secret).toMatch(/^[A-Za-z0-9_-]{32,256}$/);
      }
      for (const s of config.sites) {
        if (s.path_prefix !== undefined) expect(s.path_prefix).toMatch(/^\/[A-Za-z0-9_-]{1,32}$/);
        expect(s.path_prefix === undefined).toBe(s.forward_secret === undefined);
      }
      return "accepted";
    },
  );
});
