/**
 * A config as the Worker uses it: parsed once per config_version and kept in isolate
 * memory, so the warm path does no parsing and no storage reads.
 */
import type { EdgeConfig, Site } from "../shared/edge-config";
import { routedHosts, routeEntries, type RouteKey } from "../shared/routing-keys";
import { BoundedMap } from "./bounded-map";
import { compilePowerUps, type CompiledPowerUps } from "./power-ups";
import { endpointTable, type EndpointTable } from "./site-endpoints";

export interface PreparedConfig {
  readonly config: EdgeConfig;
  /** Every host of the container: CORS and X-Public-Host accept only these. */
  readonly hosts: ReadonlySet<string>;
  readonly siteByToken: ReadonlyMap<string, Site>;
  /** Routing keys this version owns: a leased request is checked against them. */
  readonly keys: ReadonlySet<RouteKey>;
  /** Per-site endpoint paths (section 9), derived once per key; null when no site has an endpoint_key. */
  readonly endpoints: Promise<EndpointTable> | null;
  /** Rendered loader per site, filled on first use. */
  readonly loaderBySite: Map<string, { body: string; etag: string }>;
  /** The power-ups switched on (docs/power-ups.md), compiled once; null when none. */
  readonly powerUps: CompiledPowerUps | null;
}

const MAX_PREPARED = 5_000;
const prepared = new BoundedMap<string, PreparedConfig>(MAX_PREPARED);

export function preparedConfig(containerId: string): PreparedConfig | undefined {
  return prepared.get(containerId);
}

export function prepareConfig(config: EdgeConfig): PreparedConfig {
  const current = prepared.get(config.container_id);
  if (current && current.config.config_version === config.config_version) return current;
  const entry: PreparedConfig = {
    config,
    hosts: new Set(routedHosts(config).keys()),
    siteByToken: new Map(config.sites.map((site) => [site.container_token, site])),
    keys: new Set(routeEntries(config).map((entry) => entry.key)),
    endpoints: endpointTable(config),
    loaderBySite: new Map(),
    powerUps: compilePowerUps(config),
  };
  prepared.set(config.container_id, entry);
  return entry;
}

export function forgetPreparedConfig(containerId: string): void {
  prepared.delete(containerId);
}
