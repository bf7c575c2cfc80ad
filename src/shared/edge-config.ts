/**
 * EdgeConfig: the one schema of the edge contract (section 1).
 * Imported by the Worker (bare `zod` from node_modules) and by the Supabase
 * functions (Deno resolves `zod` through supabase/functions/deno.json).
 */
// Named imports, not the `z` namespace: the bundler can then leave the rest of zod out
// (the Worker bundle went from 849 KiB to 274 KiB).
import { array, boolean, guid, literal, number, strictObject, string } from "zod";
import type { input, output } from "zod";
import { parseIpRange } from "./ip-range.ts";

const HOST_LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const HOSTNAME_RE = new RegExp(`^${HOST_LABEL}(?:\\.${HOST_LABEL})*$`);
const URL_SAFE_TOKEN_RE = /^[A-Za-z0-9_-]{16,128}$/;
/** Cookie name (RFC 6265 token), optionally ending in `*` for a prefix match. */
const COOKIE_PATTERN_RE = /^[!#$%&'+\-.^_`|~0-9A-Za-z]+\*?$/;

export const MAX_COOKIE_AGE_DAYS = 400;
export const DEFAULT_COOKIE_AGE_DAYS = 395;

export const hostnameSchema = string()
  .max(253)
  .regex(HOSTNAME_RE, "must be a lower-case hostname without port or trailing dot");

export const urlSafeTokenSchema = string()
  .regex(URL_SAFE_TOKEN_RE, "must be 16-128 url-safe characters [A-Za-z0-9_-]");

export const originSchema = string()
  .max(2048)
  .superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: "custom", message: "must be an absolute URL" });
      return;
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      ctx.addIssue({ code: "custom", message: "must use http or https" });
    }
    if (url.username || url.password) ctx.addIssue({ code: "custom", message: "must not carry userinfo" });
    if (url.search || value.includes("?")) ctx.addIssue({ code: "custom", message: "must not carry a query" });
    if (url.hash || value.includes("#")) ctx.addIssue({ code: "custom", message: "must not carry a fragment" });
    if (url.pathname !== "/") ctx.addIssue({ code: "custom", message: "must be a base URL without a path" });
    // What is stored must parse back to itself: lookalike characters (e.g. U+2215) can make
    // the parser produce an origin that no URL parser accepts again.
    if (!reparsesToItself(url.origin)) ctx.addIssue({ code: "custom", message: "must be a plain ASCII origin" });
  })
  .transform((value) => new URL(value).origin);

/** Shared by the edge and the origin's reverse proxy (X-Origin-Auth, contract section 8). */
const originSecretSchema = string()
  .regex(/^[A-Za-z0-9_-]{32,256}$/, "must be 32-256 url-safe characters [A-Za-z0-9_-]");

function reparsesToItself(origin: string): boolean {
  try {
    return new URL(origin).origin === origin && /^[\x21-\x7e]+$/.test(origin);
  } catch {
    return false;
  }
}

export const modulesSchema = strictObject({
  sgtm_proxy: boolean(),
  gtm_recovery: boolean(),
  cookie_keeper: boolean(),
  adblock_itp_detection: boolean(),
  custom_domain: boolean(),
});

export const MAX_OVERAGE_PERCENT = 50;

export const planSchema = strictObject({
  monthly_request_limit: number().int().min(1).nullable(),
  auto_upgrade: boolean(),
  /** Soft quota (docs/power-ups.md): the container pauses at the limit plus this share; absent = 0. */
  overage_percent: number().int().min(0).max(MAX_OVERAGE_PERCENT).optional(),
});

export const MAX_BLOCKED_IPS = 100;

/**
 * Per-container power-ups (docs/power-ups.md). Absent, or any field absent: off. The control
 * plane pushes only what the container's plan entitles.
 */
export const powerUpsSchema = strictObject({
  /** `flag`: the origin gets X-Bot and X-Bot-Score; `block`: answered at the edge, never counted. */
  bot_filter: literal(["off", "flag", "block"]).default("off"),
  /** A Cloudflare bot score (1 = automated .. 99 = human) below this is a bot. */
  bot_score_below: number().int().min(1).max(99).default(30),
  blocked_ips: array(
    string().max(49).refine((value) => parseIpRange(value) !== null, "must be an IPv4 or IPv6 address or CIDR range"),
  ).max(MAX_BLOCKED_IPS).default([]),
  /** The origin sees a truncated address and a reduced user agent: always, or when the hit denies analytics storage. */
  anonymizer: literal(["off", "always", "consent"]).default("off"),
  /** X-Device-Type/-OS/-Browser and the tag gateway's geo header names. */
  device_geo_headers: boolean().default(false),
  /** Ad click IDs of a landing hit kept in a first-party cookie (ad storage granted) and restored on later hits. */
  click_id_restore: boolean().default(false),
  /** sGTM preview: sent as X-Gtm-Server-Preview on every request that has none of its own. */
  preview_header: string().regex(/^[A-Za-z0-9+/=_-]{16,4096}$/, "must be the preview header value from the sGTM preview").optional(),
});

export const cookieKeeperSchema = strictObject({
  cookies: array(string().max(128).regex(COOKIE_PATTERN_RE, "must be a cookie name or prefix*")).max(64)
    .default(["FPID", "_ga", "_ga_*", "_gcl_*"]),
  max_age_days: number().int().min(1).max(MAX_COOKIE_AGE_DAYS).default(DEFAULT_COOKIE_AGE_DAYS),
  require_consent: boolean().default(true),
  restore: boolean().default(true),
});

export const siteSchema = strictObject({
  site_id: guid(),
  primary_host: hostnameSchema,
  tracked_domains: array(hostnameSchema).max(100).default([]),
  cookie_domain: hostnameSchema,
  container_token: urlSafeTokenSchema,
  web_gtm_id: string().regex(/^GTM-[A-Z0-9]{4,12}$/, "must look like GTM-XXXXXX"),
  /** Section 9: the key the site's own paths are derived from; the previous one is served too while set. */
  endpoint_key: urlSafeTokenSchema.optional(),
  previous_endpoint_key: urlSafeTokenSchema.optional(),
  /** Section 10: the path under which the site's own reverse proxy forwards to the edge, and its secret. */
  path_prefix: string().regex(/^\/[A-Za-z0-9_-]{1,32}$/, "must be / followed by 1-32 characters [A-Za-z0-9_-]").optional(),
  forward_secret: string().regex(/^[A-Za-z0-9_-]{32,256}$/, "must be 32-256 url-safe characters [A-Za-z0-9_-]").optional(),
});

export const customDomainSchema = strictObject({
  hostname: hostnameSchema,
  verified: boolean(),
});

export const edgeConfigSchema = strictObject(
  {
    container_id: guid(),
    client_id: guid(),
    config_version: number().int().min(1).max(Number.MAX_SAFE_INTEGER),
    origin: originSchema,
    origin_secret: originSecretSchema.optional(),
    edge_hostname: hostnameSchema,
    loader_token: urlSafeTokenSchema,
    modules: modulesSchema,
    plan: planSchema,
    cookie_keeper: cookieKeeperSchema.default(cookieKeeperSchema.parse({})),
    sites: array(siteSchema).min(1).max(100),
    custom_domains: array(customDomainSchema).max(100).default([]),
    power_ups: powerUpsSchema.optional(),
  })
  .superRefine((config, ctx) => {
    const siteOfHost = new Map<string, number>();
    const tokens = new Set<string>();
    const siteIds = new Set<string>();
    config.sites.forEach((site, index) => {
      if (siteIds.has(site.site_id)) {
        ctx.addIssue({ code: "custom", path: ["sites", index, "site_id"], message: "duplicate site_id" });
      }
      siteIds.add(site.site_id);
      if (tokens.has(site.container_token) || site.container_token === config.loader_token) {
        ctx.addIssue({ code: "custom", path: ["sites", index, "container_token"], message: "duplicate token" });
      }
      tokens.add(site.container_token);
      for (const field of ["endpoint_key", "previous_endpoint_key"] as const) {
        const key = site[field];
        if (key === undefined) continue;
        if (tokens.has(key) || key === config.loader_token) {
          ctx.addIssue({ code: "custom", path: ["sites", index, field], message: "duplicate key" });
        }
        tokens.add(key);
      }
      if (site.previous_endpoint_key !== undefined && site.endpoint_key === undefined) {
        ctx.addIssue({ code: "custom", path: ["sites", index, "previous_endpoint_key"], message: "needs endpoint_key" });
      }
      if ((site.path_prefix === undefined) !== (site.forward_secret === undefined)) {
        ctx.addIssue({ code: "custom", path: ["sites", index, "path_prefix"], message: "path_prefix and forward_secret go together" });
      }
      for (const host of new Set([site.primary_host, ...site.tracked_domains])) {
        const owner = siteOfHost.get(host);
        if (host === config.edge_hostname || (owner !== undefined && owner !== index)) {
          ctx.addIssue({ code: "custom", path: ["sites", index], message: `host ${host} is used twice` });
        }
        siteOfHost.set(host, index);
      }
      if (!isSameOrParentDomain(site.cookie_domain, site.primary_host)) {
        ctx.addIssue({
          code: "custom",
          path: ["sites", index, "cookie_domain"],
          message: "must be the primary host or one of its parent domains",
        });
      }
    });
    config.custom_domains.forEach((domain, index) => {
      if (domain.hostname === config.edge_hostname) {
        ctx.addIssue({ code: "custom", path: ["custom_domains", index, "hostname"], message: "is the edge hostname" });
      }
    });
  });

export type EdgeConfigInput = input<typeof edgeConfigSchema>;
export type EdgeConfig = output<typeof edgeConfigSchema>;
export type Site = EdgeConfig["sites"][number];
export type Modules = EdgeConfig["modules"];
export type CookieKeeperConfig = EdgeConfig["cookie_keeper"];
export type PowerUps = output<typeof powerUpsSchema>;

export type ConfigIssue = { path: string; message: string };

export type ParseResult = { ok: true; config: EdgeConfig } | { ok: false; issues: ConfigIssue[] };

/** Validates untrusted input; issues name the offending path as `a.b.0.c`. */
export function parseEdgeConfig(input: unknown): ParseResult {
  const result = edgeConfigSchema.safeParse(input);
  if (result.success) return { ok: true, config: result.data };
  return {
    ok: false,
    issues: result.error.issues.map((issue) => ({
      path: issue.path.map(String).join(".") || "(root)",
      message: issue.message,
    })),
  };
}

export function isSameOrParentDomain(domain: string, host: string): boolean {
  return host === domain || host.endsWith(`.${domain}`);
}
