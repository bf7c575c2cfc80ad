/**
 * Power-ups and the plan, no I/O (docs/power-ups.md): the builder pushes a power-up only when
 * the container switched it on and the plan includes it, and the plan's overage share only
 * when it is above 0; nothing of either changes the config of a container that uses neither.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { buildEdgeConfig, type ContainerRows } from "../../../supabase/functions/_shared/edge-config-builder.ts";
import { entitledPowerUps, isOff } from "../../../supabase/functions/_shared/power-ups.ts";

const ALL = { bot_filter: true, blocked_ips: true, anonymizer: true, device_geo_headers: true, click_id_restore: true, preview_header: true };
const SET = {
  bot_filter: "block", bot_score_below: 20, blocked_ips: ["10.0.0.0/8"], anonymizer: "consent",
  device_geo_headers: true, click_id_restore: true, preview_header: "ZW52LTV8b3VKMEpqV2t1ZkZDd0",
};

const rows = (power_ups: Record<string, unknown> | null, entitlements: Record<string, unknown>, overage_percent = 0): ContainerRows => ({
  container: {
    id: "6f1c0000-0000-4000-8000-000000000001", client_id: "6f1c0000-0000-4000-8000-000000000002", status: "active",
    config_version: 3, origin: "https://sgtm.example.net:8443", origin_secret: null, edge_hostname: "abc.trqaxal.com",
    loader_token: "lt_0123456789abcdef", modules: { sgtm_proxy: true }, cookie_keeper: null, power_ups,
  },
  subscription: { plan_id: "x", status: "active", auto_upgrade: false, monthly_request_limit: 1000, entitlements: { sgtm_proxy: true, ...entitlements }, overage_percent },
  sites: [{
    id: "6f1c0000-0000-4000-8000-000000000003", primary_host: "example.com", cookie_domain: "example.com",
    container_token: "ct_0123456789abcdef", web_gtm_id: "GTM-ABC123", endpoint_key: null, previous_endpoint_key: null,
    path_prefix: null, forward_secret: null, domains: [{ hostname: "example.com", is_primary: true, verified: true }],
  }],
});

Deno.test("every power-up the plan includes is pushed as set, with the schema's defaults filled in", () => {
  const built = buildEdgeConfig(rows(SET, ALL));
  assertEquals(built.ok && built.config.power_ups, SET);
});

Deno.test("a power-up the plan does not include is never pushed", () => {
  const starter = buildEdgeConfig(rows(SET, { bot_filter: true, blocked_ips: true, anonymizer: false }));
  assertEquals(starter.ok && starter.config.power_ups, {
    bot_filter: "block", bot_score_below: 20, blocked_ips: ["10.0.0.0/8"], anonymizer: "off", device_geo_headers: false, click_id_restore: false,
  });
  const free = buildEdgeConfig(rows(SET, {}));
  assertEquals(free.ok && "power_ups" in free.config, false);
  assertEquals(entitledPowerUps({ unknown_thing: true, bot_filter: "flag" }, { unknown_thing: true }), {});
});

Deno.test("no power-up on and no overage: the config is what it was before power-ups existed", () => {
  for (const stored of [null, {}, { bot_filter: "off", blocked_ips: [], bot_score_below: 50 }]) {
    const built = buildEdgeConfig(rows(stored, ALL));
    assertEquals(built.ok && ["power_ups" in built.config, built.config.plan], [false, { monthly_request_limit: 1000, auto_upgrade: false }]);
  }
});

Deno.test("the plan's overage share is pushed when above 0", () => {
  const built = buildEdgeConfig(rows(null, {}, 20));
  assertEquals(built.ok && built.config.plan, { monthly_request_limit: 1000, auto_upgrade: false, overage_percent: 20 });
});

Deno.test("isOff: absent, null and the schema's default are off", () => {
  assertEquals(
    [isOff("bot_filter", "off"), isOff("bot_filter", "flag"), isOff("blocked_ips", []), isOff("blocked_ips", ["1.2.3.4"]), isOff("preview_header", undefined), isOff("click_id_restore", null), isOff("click_id_restore", true)],
    [true, false, true, false, true, true, false],
  );
});
