/**
 * buildEdgeConfig, no I/O: a module is on only when container and plan both say
 * true; rows that make no valid EdgeConfig are refused naming the path. (What
 * container-config serves from the database: container-config/handler.test.ts.)
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { buildEdgeConfig, type ContainerRows } from "../../../supabase/functions/_shared/edge-config-builder.ts";

const ROWS: ContainerRows = {
  container: {
    id: "6f1c0000-0000-4000-8000-000000000001",
    client_id: "6f1c0000-0000-4000-8000-000000000002",
    status: "active",
    config_version: 3,
    origin: "https://sgtm.example.net:8443",
    origin_secret: null,
    edge_hostname: "abc.trqaxal.com",
    loader_token: "lt_0123456789abcdef",
    modules: { sgtm_proxy: true, gtm_recovery: true, cookie_keeper: true, adblock_itp_detection: true, custom_domain: true },
    cookie_keeper: { max_age_days: 30 },
  },
  subscription: { plan_id: "x", status: "active", auto_upgrade: false, monthly_request_limit: null, entitlements: { sgtm_proxy: true, custom_domain: "yes" } },
  sites: [{
    id: "6f1c0000-0000-4000-8000-000000000003",
    primary_host: "example.com",
    cookie_domain: "example.com",
    container_token: "ct_0123456789abcdef",
    web_gtm_id: "GTM-ABC123",
    endpoint_key: null,
    previous_endpoint_key: null,
    path_prefix: null,
    forward_secret: null,
    domains: [{ hostname: "example.com", is_primary: true, verified: true }],
  }],
};

Deno.test("the builder enables a module only when container and plan both say true", () => {
  const built = buildEdgeConfig(ROWS);
  assertEquals(built.ok && built.config.modules, {
    sgtm_proxy: true, gtm_recovery: false, cookie_keeper: false, adblock_itp_detection: false, custom_domain: false,
  });
  assertEquals(built.ok && built.config.plan, { monthly_request_limit: null, auto_upgrade: false });
  assertEquals(built.ok && built.config.cookie_keeper.max_age_days, 30);
});

Deno.test("the builder passes origin_secret and each site's endpoint keys and same-origin fields when set", () => {
  const unset = buildEdgeConfig(ROWS);
  assertEquals(unset.ok && [unset.config.origin_secret, Object.keys(unset.config.sites[0]!).sort()], [undefined, [
    "container_token", "cookie_domain", "primary_host", "site_id", "tracked_domains", "web_gtm_id",
  ]]);
  const site = {
    ...ROWS.sites[0]!,
    endpoint_key: "ek_0123456789abcdefABCDEF",
    previous_endpoint_key: "ek_old_0123456789abcdef",
    path_prefix: "/metrics",
    forward_secret: "fs_0123456789abcdefghijklmnopqrstuvwxyz",
  };
  const set = buildEdgeConfig({ ...ROWS, container: { ...ROWS.container!, origin_secret: "os_0123456789abcdefghijklmnopqrstuvwxyz" }, sites: [site] });
  assertEquals(set.ok && set.config.origin_secret, "os_0123456789abcdefghijklmnopqrstuvwxyz");
  const { endpoint_key, previous_endpoint_key, path_prefix, forward_secret } = set.ok ? set.config.sites[0]! : {} as never;
  assertEquals([endpoint_key, previous_endpoint_key, path_prefix, forward_secret], [
    site.endpoint_key, site.previous_endpoint_key, site.path_prefix, site.forward_secret,
  ]);
});

Deno.test("the builder refuses rows that make no valid EdgeConfig, naming the path", () => {
  assertEquals(buildEdgeConfig({ ...ROWS, sites: [] }), {
    ok: false, error: "config_incomplete", issues: [{ path: "sites", message: "Too small: expected array to have >=1 items" }],
  });
  assertEquals(buildEdgeConfig({ ...ROWS, subscription: null }), {
    ok: false, error: "config_incomplete", issues: [{ path: "plan", message: "container has no live subscription" }],
  });
  const badCookie = buildEdgeConfig({ ...ROWS, container: { ...ROWS.container!, cookie_keeper: { max_age_days: 999 } } });
  assertEquals(!badCookie.ok && badCookie.error === "config_incomplete" && badCookie.issues[0]!.path, "cookie_keeper.max_age_days");
  assertEquals(buildEdgeConfig({ ...ROWS, container: null }), { ok: false, error: "not_found" });
});
