/**
 * Renders the browser loader (GET /l/{loader_token}.js) for one site of a container.
 * Pure: the minified template comes from loader.generated.ts (scripts/build-loader.mjs).
 */
import type { EdgeConfig, Site } from "../shared/edge-config";
import { encodeRecoveryParam } from "../modules/recovery-path";
import { LOADER_TEMPLATE } from "./loader.generated";

export const CONFIG_PLACEHOLDER = "__QX_CONFIG__";

/** The config object loader.js reads; short keys because every byte ships to every page view. */
export interface LoaderConfig {
  /** loader token */
  lt: string;
  /** the site's container token, for /k/ recovery URLs */
  ct: string;
  /** GTM load path, relative to the loader's own origin */
  g: string;
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

export function loaderConfig(config: EdgeConfig, site: Site): LoaderConfig {
  return {
    lt: config.loader_token,
    ct: site.container_token,
    // Without recovery the /k/ route answers 404: GTM then comes through the plain proxy.
    g: config.modules.gtm_recovery ? gtmLoadPath(site) : `/gtm.js?id=${site.web_gtm_id}`,
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

export function renderLoader(config: EdgeConfig, site: Site): string {
  // A replacer function: a string replacement would expand `$&`-style patterns found in the JSON.
  return LOADER_TEMPLATE.replace(CONFIG_PLACEHOLDER, () => scriptSafeJson(loaderConfig(config, site)));
}
