/** Valid EdgeConfig inputs for tests, one container per call unless ids are given. */
import type { EdgeConfigInput } from "../../src/shared/edge-config";

export const ADMIN_TOKEN = "test-admin-token-0123456789abcdef";
export const ORIGIN = "https://sgtm.origin.test";

let counter = 0;

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, "0");
}

export function uuid(seed = ++counter): string {
  return `${hex(seed, 8)}-0000-4000-8000-${hex(seed, 12)}`;
}

/** A single-site container on `<name>.edge.test` with every module on. */
export function makeConfig(name: string, overrides: Partial<EdgeConfigInput> = {}): EdgeConfigInput {
  const n = ++counter;
  return {
    container_id: uuid(n),
    client_id: uuid(1_000_000 + n),
    config_version: 1,
    origin: ORIGIN,
    edge_hostname: `${name}.edge.test`,
    loader_token: `lt_${name}_0123456789abcdef`.slice(0, 40),
    modules: { sgtm_proxy: true, gtm_recovery: true, cookie_keeper: true, adblock_itp_detection: true, custom_domain: true },
    plan: { monthly_request_limit: null, auto_upgrade: false },
    cookie_keeper: { cookies: ["FPID", "_ga", "_ga_*", "_gcl_*"], max_age_days: 395, require_consent: true, restore: true },
    sites: [
      {
        site_id: uuid(2_000_000 + n),
        primary_host: `www.${name}.test`,
        tracked_domains: [`data.${name}.test`],
        cookie_domain: `${name}.test`,
        container_token: `ct_${name}_0123456789abcdef`.slice(0, 40),
        web_gtm_id: "GTM-ABC123",
      },
    ],
    custom_domains: [],
    ...overrides,
  };
}

/** A multi-domain container: the site of makeConfig plus a blog site on `<name>-blog.test`. */
export function makeTwoSiteConfig(name: string): EdgeConfigInput {
  const config = makeConfig(name);
  const first = config.sites[0]!;
  return {
    ...config,
    sites: [
      first,
      {
        ...first,
        site_id: uuid(),
        primary_host: `www.${name}-blog.test`,
        tracked_domains: [`data.${name}-blog.test`],
        cookie_domain: `${name}-blog.test`,
        container_token: `ct_${name}_blog_0123456789abcdef`,
        web_gtm_id: "GTM-BLOG42",
      },
    ],
  };
}
