/** A valid two-site EdgeConfig for module tests, built through the real schema. */
import { parseEdgeConfig, type EdgeConfig, type EdgeConfigInput } from "../../src/shared/edge-config";

export const SITE_A_ID = "11111111-1111-4111-8111-111111111111";
export const SITE_B_ID = "22222222-2222-4222-8222-222222222222";

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
