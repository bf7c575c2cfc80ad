/**
 * The one builder of a container's EdgeConfig from the database: what
 * container-config serves and what sync-edge-config pushes are both its output.
 * `buildEdgeConfig` is pure (rows in, validated config out); `loadEdgeConfig`
 * reads the rows in one statement, so the config is a consistent snapshot.
 */
import {
  type ConfigIssue,
  type EdgeConfig,
  type EdgeConfigInput,
  isSameOrParentDomain,
  type Modules,
  modulesSchema,
  parseEdgeConfig,
} from "../../../src/shared/edge-config.ts";
import { entitledPowerUps } from "./power-ups.ts";
import type { Sql } from "./db.ts";

export interface ContainerRow {
  id: string;
  client_id: string;
  status: string;
  config_version: number;
  origin: string | null;
  /** Sent by the edge as X-Origin-Auth (contract section 8). */
  origin_secret: string | null;
  edge_hostname: string;
  loader_token: string;
  modules: Record<string, unknown>;
  cookie_keeper: Record<string, unknown> | null;
  /** What the customer switched on (docs/power-ups.md); null = none. */
  power_ups?: Record<string, unknown> | null;
}

/** The container's live (not canceled) subscription joined with its plan. */
export interface SubscriptionRow {
  plan_id: string;
  status: string;
  auto_upgrade: boolean;
  monthly_request_limit: number | null;
  entitlements: Record<string, unknown>;
  /** Soft quota share of the plan (0-50); absent or 0 = pause at the limit. */
  overage_percent?: number;
}

export interface SiteRow {
  id: string;
  primary_host: string;
  cookie_domain: string;
  container_token: string;
  web_gtm_id: string;
  /** Contract section 9. */
  endpoint_key: string | null;
  previous_endpoint_key: string | null;
  /** Contract section 10: set together or not at all. */
  path_prefix: string | null;
  forward_secret: string | null;
  domains: { hostname: string; is_primary: boolean; verified: boolean }[];
}

export interface ContainerRows {
  container: ContainerRow | null;
  subscription: SubscriptionRow | null;
  sites: SiteRow[];
}

export type BuildResult =
  | { ok: true; config: EdgeConfig }
  | { ok: false; error: "not_found" }
  | { ok: false; error: "config_incomplete"; issues: ConfigIssue[] };

const MODULE_NAMES = Object.keys(modulesSchema.shape) as (keyof Modules)[];

/** A module is on only when the container switched it on AND its plan entitles it. */
export function effectiveModules(container: Record<string, unknown>, entitlements: Record<string, unknown>): Modules {
  return Object.fromEntries(
    MODULE_NAMES.map((name) => [name, container[name] === true && entitlements[name] === true]),
  ) as Modules;
}

export function buildEdgeConfig(rows: ContainerRows): BuildResult {
  const { container, subscription, sites } = rows;
  if (!container || container.status === "deleted") return { ok: false, error: "not_found" };
  const missing: ConfigIssue[] = [];
  if (!container.origin) missing.push({ path: "origin", message: "container has no origin yet" });
  if (!subscription) missing.push({ path: "plan", message: "container has no live subscription" });
  if (!container.origin || !subscription) return { ok: false, error: "config_incomplete", issues: missing };

  const input: EdgeConfigInput = {
    container_id: container.id,
    client_id: container.client_id,
    config_version: container.config_version,
    origin: container.origin,
    ...(container.origin_secret ? { origin_secret: container.origin_secret } : {}),
    edge_hostname: container.edge_hostname,
    loader_token: container.loader_token,
    modules: effectiveModules(container.modules, subscription.entitlements),
    plan: {
      monthly_request_limit: subscription.monthly_request_limit,
      auto_upgrade: subscription.auto_upgrade,
      ...(subscription.overage_percent ? { overage_percent: subscription.overage_percent } : {}),
    },
    ...(container.cookie_keeper ? { cookie_keeper: container.cookie_keeper } : {}),
    ...entitledPowerUps(container.power_ups ?? null, subscription.entitlements),
    sites: sites.map((site) => ({
      site_id: site.id,
      ...routedHostsOf(site, container.edge_hostname),
      container_token: site.container_token,
      web_gtm_id: site.web_gtm_id,
      ...siteKeysOf(site),
    })),
    custom_domains: sites.flatMap((site) =>
      site.domains
        .filter((d) => !d.is_primary && d.verified && d.hostname !== site.primary_host)
        .map((d) => ({ hostname: d.hostname, verified: true }))
    ),
  };
  const parsed = parseEdgeConfig(input);
  if (!parsed.ok) return { ok: false, error: "config_incomplete", issues: parsed.issues };
  return { ok: true, config: parsed.config };
}

/**
 * Only verified hostnames route (contract section 11). A site whose primary
 * host is not verified is served under its first verified hostname instead;
 * with none, under `site-<site_id>.<edge_hostname>`: a name in the platform's
 * own zone that no client can claim, so the schema's required primary_host
 * routes nothing of the client's while the site's token keeps working through
 * the edge hostname.
 */
function routedHostsOf(site: SiteRow, edgeHostname: string) {
  const verified = site.domains.filter((d) => d.verified).map((d) => d.hostname);
  const primary = verified.includes(site.primary_host)
    ? site.primary_host
    : verified[0] ?? `site-${site.id.replaceAll("-", "")}.${edgeHostname}`;
  return {
    primary_host: primary,
    tracked_domains: verified.filter((host) => host !== primary),
    cookie_domain: isSameOrParentDomain(site.cookie_domain, primary) ? site.cookie_domain : primary,
  };
}

/** The site's section 9 and 10 fields, each only when set (the schema has them optional). */
function siteKeysOf(site: SiteRow) {
  return {
    ...(site.endpoint_key ? { endpoint_key: site.endpoint_key } : {}),
    ...(site.previous_endpoint_key ? { previous_endpoint_key: site.previous_endpoint_key } : {}),
    ...(site.path_prefix && site.forward_secret
      ? { path_prefix: site.path_prefix, forward_secret: site.forward_secret }
      : {}),
  };
}

/** Reads a container's rows (one statement, one snapshot) and builds its EdgeConfig. */
export async function loadEdgeConfig(sql: Sql, containerId: string): Promise<BuildResult> {
  const [row] = await sql<{ rows: ContainerRows }[]>`
    select json_build_object(
      'container', (
        select json_build_object(
          'id', c.id, 'client_id', c.client_id, 'status', c.status, 'config_version', c.config_version,
          'origin', c.origin, 'origin_secret', c.origin_secret, 'edge_hostname', c.edge_hostname, 'loader_token', c.loader_token,
          'modules', c.modules, 'cookie_keeper', c.cookie_keeper, 'power_ups', c.power_ups)
        from public.sgtm_containers c where c.id = ${containerId}),
      'subscription', (
        select json_build_object(
          'plan_id', s.plan_id, 'status', s.status, 'auto_upgrade', s.auto_upgrade,
          'monthly_request_limit', p.monthly_request_limit, 'entitlements', p.entitlements,
          'overage_percent', p.overage_percent)
        from public.subscriptions s join public.plans p on p.id = s.plan_id
        where s.container_id = ${containerId} and s.status <> 'canceled'),
      'sites', coalesce((
        select json_agg(json_build_object(
          'id', s.id, 'primary_host', s.primary_host, 'cookie_domain', s.cookie_domain,
          'container_token', s.container_token, 'web_gtm_id', s.web_gtm_id,
          'endpoint_key', s.endpoint_key, 'previous_endpoint_key', s.previous_endpoint_key,
          'path_prefix', s.path_prefix, 'forward_secret', s.forward_secret,
          'domains', coalesce((
            select json_agg(json_build_object('hostname', d.hostname, 'is_primary', d.is_primary, 'verified', d.verified)
                            order by d.hostname)
            from public.site_domains d where d.site_id = s.id), '[]'::json))
          order by s.created_at, s.id)
        from public.sites s where s.container_id = ${containerId}), '[]'::json)
    ) as rows`;
  return buildEdgeConfig(row!.rows);
}
