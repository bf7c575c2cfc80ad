/**
 * A site as the sgtm-containers calls answer it: its fields, the loader path derived
 * from its endpoint_key (contract section 9, `endpoints.loader`, what the edge's admin
 * GET reports too) and `snippet`, the exact script tag for the site's pages (under its
 * path_prefix in same-origin mode, section 10, where `path_prefix` and `forward_secret`
 * are given as well). While a rotation runs, `previous_endpoints` is what keeps working.
 * The endpoint keys themselves stay out: the paths are all a page needs.
 */
import { deriveSiteEndpoints } from "../../../src/shared/site-endpoints.ts";

export interface SiteKeyFields {
  primary_host: string;
  endpoint_key: string;
  previous_endpoint_key?: string | null;
  path_prefix: string | null;
  forward_secret: string | null;
}

export async function siteBody<T extends SiteKeyFields>(site: T) {
  const { endpoint_key, previous_endpoint_key, path_prefix, forward_secret, ...fields } = site;
  const { loader } = await deriveSiteEndpoints(endpoint_key);
  return {
    ...fields,
    endpoints: { loader },
    snippet: scriptTag(site.primary_host, `${path_prefix ?? ""}${loader}`),
    ...(previous_endpoint_key
      ? { previous_endpoints: { loader: (await deriveSiteEndpoints(previous_endpoint_key)).loader } }
      : {}),
    ...(path_prefix && forward_secret ? { path_prefix, forward_secret } : {}),
  };
}

/** Host and path come from closed alphabets (hostname, derived path): nothing to escape. */
function scriptTag(host: string, path: string): string {
  return `<script async src="https://${host}${path}"></script>`;
}
