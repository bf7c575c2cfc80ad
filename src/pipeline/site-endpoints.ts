/**
 * The per-site endpoint paths of a container (contract section 9), derived once per
 * endpoint_key and kept in isolate memory: the request path alone then names the site
 * and the endpoint. During a rotation the previous key's paths are served too.
 */
import type { EdgeConfig, Site } from "../shared/edge-config";
import { deriveSiteEndpoints, ENDPOINT_KINDS, type EndpointKind, type SiteEndpoints } from "../shared/site-endpoints";
import { BoundedMap } from "./bounded-map";

export interface SiteEndpoint {
  site: Site;
  kind: EndpointKind;
  /** The endpoints of the key this path was derived from (its payload codec and parameter). */
  endpoints: SiteEndpoints;
}

export interface EndpointTable {
  byPath: ReadonlyMap<string, SiteEndpoint>;
  /** The current key's endpoints per site_id: what the loader of that site uses. */
  bySite: ReadonlyMap<string, SiteEndpoints>;
}

const MAX_KEYS = 20_000;
const derived = new BoundedMap<string, Promise<SiteEndpoints>>(MAX_KEYS);

function endpointsOf(endpointKey: string): Promise<SiteEndpoints> {
  let endpoints = derived.get(endpointKey);
  if (!endpoints) {
    endpoints = deriveSiteEndpoints(endpointKey);
    derived.set(endpointKey, endpoints);
  }
  return endpoints;
}

/** Null when no site of the container has an endpoint_key: then only the fixed paths exist. */
export function endpointTable(config: EdgeConfig): Promise<EndpointTable> | null {
  if (!config.sites.some((site) => site.endpoint_key)) return null;
  return buildTable(config);
}

async function buildTable(config: EdgeConfig): Promise<EndpointTable> {
  const byPath = new Map<string, SiteEndpoint>();
  const bySite = new Map<string, SiteEndpoints>();
  for (const site of config.sites) {
    if (!site.endpoint_key) continue;
    const current = await endpointsOf(site.endpoint_key);
    bySite.set(site.site_id, current);
    // The previous key first, so that a path both keys derive belongs to the current one.
    const keys = [site.previous_endpoint_key, site.endpoint_key].filter((key): key is string => key !== undefined);
    for (const key of keys) {
      const endpoints = await endpointsOf(key);
      for (const kind of ENDPOINT_KINDS) byPath.set(endpoints[kind], { site, kind, endpoints });
    }
  }
  return { byPath, bySite };
}
