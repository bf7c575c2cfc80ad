/**
 * container-config: X-Edge-Auth only, exact EdgeConfig body (what the sync
 * pushes), modules = container switches AND plan entitlements; only verified
 * hostnames appear (tracked and custom), a pending one nowhere (contract section 11).
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import containerConfig from "../../../supabase/functions/container-config/index.ts";
import { configVersion, dbTest, seedContainer } from "../../support/control-plane-db.ts";

function get(containerId: string, edgeAuth: string | null = Deno.env.get("EDGE_AUTH_SECRET")!, method = "GET") {
  return containerConfig.fetch(
    new Request(`http://functions.test/container-config?container_id=${containerId}`, {
      method,
      headers: edgeAuth === null ? {} : { "x-edge-auth": edgeAuth },
    }),
  );
}

dbTest("container-config refuses callers without the edge secret", async (sql) => {
  const c = await seedContainer(sql, { status: "active" });
  for (const secret of [null, "", "wrong", `${Deno.env.get("EDGE_AUTH_SECRET")}x`]) {
    const response = await get(c.containerId, secret);
    assertEquals([response.status, await response.json()], [401, { error: "unauthorized", message: "missing or wrong credentials" }]);
  }
});

dbTest("container-config answers 404, 400 and 405 for what it cannot serve", async (sql) => {
  const unknown = await get(crypto.randomUUID());
  assertEquals([unknown.status, (await unknown.json()).error], [404, "not_found"]);
  const deleted = await seedContainer(sql, { status: "deleted" });
  const gone = await get(deleted.containerId);
  assertEquals([gone.status, (await gone.json()).error], [404, "not_found"]);
  const bad = await get("not-a-uuid");
  assertEquals([bad.status, (await bad.json()).error], [400, "invalid_query"]);
  const post = await get(deleted.containerId, Deno.env.get("EDGE_AUTH_SECRET")!, "POST");
  assertEquals([post.status, (await post.json()).error], [405, "method_not_allowed"]);
});

dbTest("container-config reports a container that cannot be configured yet", async (sql) => {
  const c = await seedContainer(sql, { origin: null });
  const response = await get(c.containerId);
  assertEquals(response.status, 409);
  assertEquals(await response.json(), {
    error: "config_incomplete",
    message: "the container cannot be configured yet",
    issues: [{ path: "origin", message: "container has no origin yet" }],
  });
});

dbTest("container-config returns the exact EdgeConfig", async (sql) => {
  const verified = `data.${crypto.randomUUID().slice(0, 8)}.example.com`;
  const pending = `shop.${crypto.randomUUID().slice(0, 8)}.example.com`;
  const c = await seedContainer(sql, {
    status: "active",
    planId: "starter",
    domains: [{ hostname: verified, verified: true }, { hostname: pending, verified: false }],
  });
  await sql`update public.subscriptions set auto_upgrade = true where container_id = ${c.containerId}`;
  await sql`update public.sgtm_containers set modules = modules || '{"cookie_keeper":false}' where id = ${c.containerId}`;
  const [row] = await sql<{ origin: string }[]>`select origin from public.sgtm_containers where id = ${c.containerId}`;
  const response = await get(c.containerId);
  assertEquals(response.status, 200);
  assertEquals(response.headers.get("content-type"), "application/json");
  assertEquals(await response.json(), {
    container_id: c.containerId,
    client_id: c.clientId,
    config_version: await configVersion(sql, c.containerId),
    origin: row!.origin,
    origin_secret: c.originSecret,
    edge_hostname: c.edgeHostname,
    loader_token: c.loaderToken,
    // starter entitles sgtm_proxy, gtm_recovery, cookie_keeper; the container switched cookie_keeper off
    modules: { sgtm_proxy: true, gtm_recovery: true, cookie_keeper: false, adblock_itp_detection: false, custom_domain: false },
    plan: { monthly_request_limit: 1000000, auto_upgrade: true },
    cookie_keeper: { cookies: ["FPID", "_ga", "_ga_*", "_gcl_*"], max_age_days: 395, require_consent: true, restore: true },
    sites: [{
      site_id: c.siteId,
      primary_host: c.primaryHost,
      tracked_domains: [verified],
      cookie_domain: c.primaryHost,
      container_token: c.containerToken,
      web_gtm_id: "GTM-ABC123",
      endpoint_key: c.endpointKey,
    }],
    custom_domains: [{ hostname: verified, verified: true }],
  });
});
