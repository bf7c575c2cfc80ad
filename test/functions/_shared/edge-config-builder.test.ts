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
