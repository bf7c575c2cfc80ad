/**
 * Renders the browser loader (GET /l/{loader_token}.js) for one site of a container.
 * Pure: the minified template comes from loader.generated.ts (scripts/build-loader.mjs).
 */
import { encodeRecoveryParam } from "../modules/recovery-path";
import type { EdgeConfig, Site } from "../shared/edge-config";
import { encodePayload, type SiteEndpoints } from "../shared/site-endpoints";
import { LOADER_TEMPLATE } from "./loader.generated";

export const CONFIG_PLACEHOLDER = "__QX_CONFIG__";

/** The config object loader.js reads; short keys because every byte ships to every page view. */
export interface LoaderConfig {
  /** loader token, in /boot and detection bodies; absent with per-site paths, whose path names the site */
  lt?: string;
  /** the loader's name in the page (its once-guard, its session key) */
  n: string;
  /** recovered hits: `{h}?{q}={encoded path+query}`, relative to the loader's own origin */
  h: string;
  q: string;
  /** payload codec seed (0: plain base64url) */
  s: number;
  /** GTM load path, relative to the loader's own origin */
  g: string;
  /** cookie restoration and detection report paths */
  b: string;
  x: string;
  m: { r: boolean; k: boolean; d: boolean };
}

/**
 * `/k/{container_token}?p=base64url(/gtm.js?id=GTM-…)`: the recovery route serves GTM
 * without `gtm.js`, `gtag/js` or `GTM-` appearing in the request URL (base64url has no
 * `.` or `/`, and spells `-` only for a `>` or `~` in its input, which neither has).
 */
export function gtmLoadPath(site: Site): string {
  return `/k/${site.container_token}?p=${encodeRecoveryParam(`/gtm.js?id=${site.web_gtm_id}`)}`;
}

/** The fixed paths of contract section 3, for a site without an endpoint_key. */
function fixedPaths(site: Site): Omit<LoaderConfig, "lt" | "m"> {
  return {
    n: "__qx",
    h: `/k/${site.container_token}`,
    q: "p",
    s: 0,
    g: gtmLoadPath(site),
    b: "/boot",
    x: "/mark-session-detection",
  };
}

/** The site's own paths (contract section 9): nothing in them is shared with another site. */
function keyedPaths(site: Site, endpoints: SiteEndpoints): Omit<LoaderConfig, "lt" | "m"> {
  const gtm = encodePayload(`/gtm.js?id=${site.web_gtm_id}`, endpoints.codec);
  return {
    n: endpoints.pageName,
    h: endpoints.hit,
    q: endpoints.param,
    s: endpoints.codec.seed,
    g: `${endpoints.gtm}?${endpoints.param}=${gtm}`,
    b: endpoints.boot,
    x: endpoints.detect,
  };
}

/** A same-origin site (section 10) is reached under its path_prefix on the page's own origin. */
function underPrefix(paths: Omit<LoaderConfig, "lt" | "m">, prefix: string): Omit<LoaderConfig, "lt" | "m"> {
  return { ...paths, h: prefix + paths.h, g: prefix + paths.g, b: prefix + paths.b, x: prefix + paths.x };
}

export function loaderConfig(config: EdgeConfig, site: Site, endpoints: SiteEndpoints | null = null): LoaderConfig {
  const own = endpoints ? keyedPaths(site, endpoints) : fixedPaths(site);
  const paths = site.path_prefix ? underPrefix(own, site.path_prefix) : own;
  return {
    ...(endpoints ? {} : { lt: config.loader_token }),
    ...paths,
    // Without recovery the recovery routes answer 404: GTM then comes through the plain proxy.
    g: config.modules.gtm_recovery ? paths.g : `${site.path_prefix ?? ""}/gtm.js?id=${site.web_gtm_id}`,
    m: {
      r: config.modules.gtm_recovery,
      k: config.modules.cookie_keeper && config.cookie_keeper.restore,
      d: config.modules.adblock_itp_detection,
    },
  };
}

/** JSON that is also safe inside an inline <script> and in pre-ES2019 JavaScript parsers. */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

export function renderLoader(config: EdgeConfig, site: Site, endpoints: SiteEndpoints | null = null): string {
  // A replacer function: a string replacement would expand `$&`-style patterns found in the JSON.
  return LOADER_TEMPLATE.replace(CONFIG_PLACEHOLDER, () => scriptSafeJson(loaderConfig(config, site, endpoints)));
}
