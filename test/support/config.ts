/** Valid EdgeConfig inputs for tests, one container per call unless ids are given. */
import { parseEdgeConfig, type EdgeConfig, type EdgeConfigInput } from "../../src/shared/edge-config";

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

export const SITE_A_ID = "11111111-1111-4111-8111-111111111111";
export const SITE_B_ID = "22222222-2222-4222-8222-222222222222";

/** A fixed two-site container on example.com / example.org (module tests), parsed by the real schema. */
export function testConfig(overrides: Partial<EdgeConfigInput> = {}): EdgeConfig {
  const input: EdgeConfigInput = {
    container_id: "6f1c0000-0000-4000-8000-000000000001",
    client_id: "6f1c0000-0000-4000-8000-000000000002",
    config_version: 7,
    origin: "https://sgtm-7.edge-1.example.net:8443",
    edge_hostname: "abc123.trqaxal.com",
    loader_token: "lt_0123456789abcdef",
    modules: { sgtm_proxy: true, gtm_recovery: true, cookie_keeper: true, adblock_itp_detection: true, custom_domain: true },
    plan: { monthly_request_limit: 1_000_000, auto_upgrade: false },
    cookie_keeper: { cookies: ["FPID", "_ga", "_ga_*", "_gcl_*"], max_age_days: 395, require_consent: true, restore: true },
    sites: [
      {
        site_id: SITE_A_ID,
        primary_host: "example.com",
        tracked_domains: ["data.example.com", "www.example.com"],
        cookie_domain: "example.com",
        container_token: "ct_aaaaaaaaaaaaaaaa",
        web_gtm_id: "GTM-AAAA11",
      },
      {
        site_id: SITE_B_ID,
        primary_host: "shop.example.org",
        tracked_domains: ["data.example.org"],
        cookie_domain: "example.org",
        container_token: "ct_bbbbbbbbbbbbbbbb",
        web_gtm_id: "GTM-BBBB22",
      },
    ],
    custom_domains: [{ hostname: "metrics.example.com", verified: true }],
    ...overrides,
  };
  const parsed = parseEdgeConfig(input);
  if (!parsed.ok) throw new Error(`fixture config is invalid: ${JSON.stringify(parsed.issues)}`);
  return parsed.config;
}
