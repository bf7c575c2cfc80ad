/** The routing keys a config claims: every one may belong to one container only. */
import type { EdgeConfig } from "./edge-config.ts";

export type RouteKey = `host:${string}` | `loader:${string}` | `site:${string}`;

export interface RouteEntry {
  key: RouteKey;
  container_id: string;
  site_id?: string;
}

/** Hosts that route to this container (edge hostname, site hosts, verified custom domains). */
export function routedHosts(config: EdgeConfig): Map<string, string | undefined> {
  const hosts = new Map<string, string | undefined>([[config.edge_hostname, undefined]]);
  for (const site of config.sites) {
    for (const host of [site.primary_host, ...site.tracked_domains]) hosts.set(host, site.site_id);
  }
  if (config.modules.custom_domain) {
    for (const domain of config.custom_domains) {
      if (domain.verified && !hosts.has(domain.hostname)) hosts.set(domain.hostname, undefined);
    }
  }
  return hosts;
}

export function routeEntries(config: EdgeConfig): RouteEntry[] {
  const container_id = config.container_id;
  const entries: RouteEntry[] = [];
  for (const [host, site_id] of routedHosts(config)) {
    entries.push(site_id ? { key: `host:${host}`, container_id, site_id } : { key: `host:${host}`, container_id });
  }
  entries.push({ key: `loader:${config.loader_token}`, container_id });
  for (const site of config.sites) {
    entries.push({ key: `site:${site.container_token}`, container_id, site_id: site.site_id });
  }
  return entries;
}

export function parseRouteKey(key: string): RouteKey | null {
  return /^(host|loader|site):[^\s]{1,253}$/.test(key) ? (key as RouteKey) : null;
}
