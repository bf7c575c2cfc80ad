/**
 * Site endpoints through sgtm-containers (contract sections 9 and 10, docs/control-plane-api.md):
 * the 201 body's endpoints.loader and snippet, pathPrefixes at creation, rotate-endpoints and
 * same-origin, each pushed and confirmed by the (fake) edge before the answer, undone when not.
 */
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { deriveSiteEndpoints } from "../../../src/shared/site-endpoints.ts";
import type { Sql } from "../../../supabase/functions/_shared/db.ts";
import { dbTest, randomLabel } from "../../support/control-plane-db.ts";
import { addFreePorts, addMember, newClient, type Platform, startPlatform } from "../../support/functions-platform.ts";

interface SiteAnswer {
  site_id: string;
  primary_host: string;
  endpoints: { loader: string };
  previous_endpoints?: { loader: string };
  snippet: string;
  path_prefix?: string;
  forward_secret?: string;
}

const post = (platform: Platform, path: string, token: string | undefined, body: unknown) =>
  platform.call(path, {
    method: "POST",
    token,
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

function createBody(clientId: string, domains: string[], extra: Record<string, unknown> = {}) {
  return { clientId, name: "Shop", domains, webGtmIds: { [domains[0]!]: "GTM-ABC123" }, containerConfigB64: btoa("cfg"), ...extra };
}

async function keysOf(sql: Sql, containerId: string) {
  return [...await sql<{ id: string; endpoint_key: string; previous_endpoint_key: string | null; path_prefix: string | null; forward_secret: string | null }[]>`
    select id, endpoint_key, previous_endpoint_key, path_prefix, forward_secret from public.sites
    where container_id = ${containerId} order by created_at, id`];
}

const tag = (host: string, path: string) => `<script async src="https://${host}${path}"></script>`;

dbTest("sgtm-containers site endpoints", async (sql, t) => {
  const platform = await startPlatform();
  try {
    const { clientId, ownerId } = await newClient(sql);
    const owner = await platform.tokenFor(ownerId);
    const label = randomLabel();
    const domains = [`www.${label}.com`, `blog.${label}.com`];
    await addFreePorts(sql, 8);

    let containerId = "";
    await t.step("the 201 body: every site has endpoints.loader and its snippet; the edge gets each endpoint_key", async () => {
      const response = await post(platform, "sgtm-containers", owner, createBody(clientId, domains));
      assertEquals(response.status, 201);
      const { container } = await response.json();
      containerId = container.id;
      const rows = await keysOf(sql, containerId);
      const pushed = platform.edge.configs.get(containerId)!;
      for (const [index, site] of (container.sites as SiteAnswer[]).entries()) {
        assertEquals(Object.keys(site).sort(), [
          "container_token", "cookie_domain", "endpoints", "primary_host", "site_id", "snippet", "tracked_domains", "web_gtm_id",
        ]);
        const { loader } = await deriveSiteEndpoints(rows[index]!.endpoint_key);
        assertEquals(site.endpoints, { loader });
        assertEquals(site.snippet, tag(domains[index]!, loader));
        assertEquals(pushed.sites[index]!.endpoint_key, rows[index]!.endpoint_key);
      }
      assertEquals(new Set(rows.map((r) => r.endpoint_key)).size, 2);
      const [secret] = await sql`select origin_secret from public.sgtm_containers where id = ${containerId}`;
      assertEquals([pushed.origin_secret, (platform.provisioner.calls.at(-1) as { origin_secret?: string })?.origin_secret], [secret!.origin_secret, secret!.origin_secret]);
    });

    await t.step("pathPrefixes at creation: that site is in same-origin mode from the start", async () => {
      const hosts = [`a.${label}.net`, `b.${label}.net`];
      const response = await post(platform, "sgtm-containers", owner, createBody(clientId, hosts, { pathPrefixes: { [`B.${label}.net.`]: "/metrics" } }));
      assertEquals(response.status, 201);
      const { container } = await response.json();
      const [plain, prefixed] = container.sites as SiteAnswer[];
      assertEquals([plain!.path_prefix, plain!.forward_secret], [undefined, undefined]);
      assertEquals(prefixed!.path_prefix, "/metrics");
      ok(/^[A-Za-z0-9_-]{43}$/.test(prefixed!.forward_secret!), prefixed!.forward_secret);
      assertEquals(prefixed!.snippet, tag(hosts[1]!, `/metrics${prefixed!.endpoints.loader}`));
      const pushed = platform.edge.configs.get(container.id)!.sites[1]!;
      assertEquals([pushed.path_prefix, pushed.forward_secret], ["/metrics", prefixed!.forward_secret]);
      assertEquals(platform.edge.configs.get(container.id)!.sites[0]!.path_prefix, undefined);
    });

    await t.step("pathPrefixes that are not prefixes or not of the domains: 400 naming them", async () => {
      const host = `c.${label}.net`;
      for (const [prefixes, path] of [
        [{ [host]: "metrics" }, `pathPrefixes.${host}`],
        [{ [host]: `/${"x".repeat(33)}` }, `pathPrefixes.${host}`],
        [{ [host]: "/a/b" }, `pathPrefixes.${host}`],
        [{ "elsewhere.example.org": "/m" }, "pathPrefixes.elsewhere.example.org"],
      ] as const) {
        const response = await post(platform, "sgtm-containers", owner, createBody(clientId, [host], { pathPrefixes: prefixes }));
        const error = await response.json();
        assertEquals([response.status, error.error, error.issues.map((i: { path: string }) => i.path)], [400, "invalid_body", [path]]);
      }
    });

    // token null: no Authorization header
    const rotate = (body: unknown, token: string | null = owner, id = containerId) =>
      post(platform, `sgtm-containers/${id}/rotate-endpoints`, token ?? undefined, body);

    await t.step("rotate-endpoints: new keys, the old ones kept as previous, both at the edge before the 200", async () => {
      const before = await keysOf(sql, containerId);
      const response = await rotate({});
      assertEquals(response.status, 200);
      const answer = await response.json();
      const after = await keysOf(sql, containerId);
      const held = platform.edge.configs.get(containerId)!;
      assertEquals(answer.config_version, held.config_version);
      for (const [index, site] of (answer.sites as SiteAnswer[]).entries()) {
        ok(after[index]!.endpoint_key !== before[index]!.endpoint_key);
        assertEquals(after[index]!.previous_endpoint_key, before[index]!.endpoint_key);
        assertEquals(site.endpoints.loader, (await deriveSiteEndpoints(after[index]!.endpoint_key)).loader);
        assertEquals(site.previous_endpoints?.loader, (await deriveSiteEndpoints(before[index]!.endpoint_key)).loader);
        assertEquals(site.snippet, tag(domains[index]!, site.endpoints.loader));
        assertEquals([held.sites[index]!.endpoint_key, held.sites[index]!.previous_endpoint_key], [
          after[index]!.endpoint_key, before[index]!.endpoint_key,
        ]);
      }
    });

    await t.step("rotate again while one runs: 409 rotation_in_progress, nothing changed", async () => {
      const before = await keysOf(sql, containerId);
      const response = await rotate({});
      assertEquals([response.status, (await response.json()).error], [409, "rotation_in_progress"]);
      assertEquals(await keysOf(sql, containerId), before);
    });

    await t.step("finish one site, then all: previous keys dropped at the edge; finishing twice changes nothing", async () => {
      const [first, second] = await keysOf(sql, containerId);
      const one = await rotate({ site_id: first!.id, finish: true });
      assertEquals(one.status, 200);
      const answer = await one.json();
      assertEquals(answer.sites.map((s: SiteAnswer) => [s.site_id, s.previous_endpoints]), [[first!.id, undefined]]);
      let held = platform.edge.configs.get(containerId)!;
      assertEquals(held.sites.map((s) => s.previous_endpoint_key), [undefined, second!.previous_endpoint_key]);
      assertEquals((await rotate({ finish: true })).status, 200);
      held = platform.edge.configs.get(containerId)!;
      assertEquals(held.sites.map((s) => s.previous_endpoint_key), [undefined, undefined]);
      const again = await rotate({ finish: true });
      assertEquals([again.status, (await again.json()).config_version], [200, held.config_version]);
      assertEquals(platform.edge.configs.get(containerId)!.config_version, held.config_version);
    });

    await t.step("rotate-endpoints refuses: 401, 403 member/stranger, 404, 400, 409 not live", async () => {
      const before = await keysOf(sql, containerId);
      assertEquals((await rotate({}, null)).status, 401);
      for (const user of [await addMember(sql, clientId, "member"), crypto.randomUUID()]) {
        const response = await rotate({}, await platform.tokenFor(user));
        assertEquals([response.status, (await response.json()).error], [403, "forbidden"]);
      }
      assertEquals((await rotate({}, owner, crypto.randomUUID())).status, 404);
      assertEquals((await rotate({}, owner, "not-a-uuid")).status, 404);
      const foreignSite = await rotate({ site_id: crypto.randomUUID() });
      assertEquals([foreignSite.status, (await foreignSite.json()).message], [404, "no such site in this container"]);
      for (const bad of [{ finish: "yes" }, { site_id: "x" }, { extra: 1 }, "{"]) {
        assertEquals([(await rotate(bad)).status], [400], JSON.stringify(bad));
      }
      assertEquals(await keysOf(sql, containerId), before);
      const [pending] = await sql`
        insert into public.sgtm_containers (client_id, name, loader_token, edge_hostname)
        values (${clientId}, 'pending', ${`lt_${crypto.randomUUID().replaceAll("-", "")}`}, ${`${randomLabel()}.trqaxal.test`})
        returning id`;
      const notLive = await rotate({}, owner, pending!.id);
      assertEquals([notLive.status, (await notLive.json()).error], [409, "container_not_live"]);
    });

    await t.step("the service role may rotate; an admin too", async () => {
      const service = await rotate({}, Deno.env.get("SUPABASE_SERVICE_ROLE_KEY")!);
      assertEquals(service.status, 200);
      const admin = await platform.tokenFor(await addMember(sql, clientId, "admin"));
      assertEquals((await rotate({ finish: true }, admin)).status, 200);
    });

    await t.step("edge down or refusing: 502, the database as before, the edge brought back in line", async () => {
      const before = await keysOf(sql, containerId);
      platform.edge.down = true;
      const down = await rotate({});
      platform.edge.down = false;
      assertEquals([down.status, (await down.json()).error], [502, "edge_unavailable"]);
      assertEquals(await keysOf(sql, containerId), before);

      platform.edge.respond = { status: 409, body: { error: "route_conflict", key: "host:shop.other-tenant.example" } };
      const refused = await rotate({});
      platform.edge.respond = null;
      const error = await refused.json();
      assertEquals([refused.status, error.error], [502, "edge_rejected"]);
      ok(!JSON.stringify(error).includes("other-tenant"), JSON.stringify(error));
      assertEquals(await keysOf(sql, containerId), before);

      // the undo is a version of its own: a push puts the edge on the database's keys
      const synced = await platform.call("sync-edge-config", {
        method: "POST",
        token: Deno.env.get("SUPABASE_SERVICE_ROLE_KEY")!,
        body: JSON.stringify({ container_id: containerId }),
      });
      assertEquals(synced.status, 200);
      assertEquals(platform.edge.configs.get(containerId)!.sites.map((s) => s.endpoint_key), before.map((r) => r.endpoint_key));
    });

    const sameOrigin = (body: unknown, token: string | null = owner) =>
      post(platform, `sgtm-containers/${containerId}/same-origin`, token ?? undefined, body);

    await t.step("same-origin: the site gets its prefix and a forward_secret, at the edge before the 200", async () => {
      const [site] = await keysOf(sql, containerId);
      const response = await sameOrigin({ site_id: site!.id, path_prefix: "/metrics" });
      assertEquals(response.status, 200);
      const answer = await response.json();
      const held = platform.edge.configs.get(containerId)!;
      const [row] = await keysOf(sql, containerId);
      assertEquals(answer.site.path_prefix, "/metrics");
      assertEquals(answer.site.forward_secret, row!.forward_secret);
      ok(/^[A-Za-z0-9_-]{43}$/.test(row!.forward_secret!));
      assertEquals(answer.site.snippet, tag(domains[0]!, `/metrics${answer.site.endpoints.loader}`));
      assertEquals([answer.config_version, held.sites[0]!.path_prefix, held.sites[0]!.forward_secret], [
        held.config_version, "/metrics", row!.forward_secret,
      ]);
    });

    await t.step("same-origin: a new prefix keeps the secret; null ends same-origin mode", async () => {
      const [site] = await keysOf(sql, containerId);
      const moved = await (await sameOrigin({ site_id: site!.id, path_prefix: "/t_2" })).json();
      assertEquals([moved.site.path_prefix, moved.site.forward_secret], ["/t_2", site!.forward_secret]);
      assertEquals(platform.edge.configs.get(containerId)!.sites[0]!.path_prefix, "/t_2");
      const off = await sameOrigin({ site_id: site!.id, path_prefix: null });
      const answer = await off.json();
      assertEquals([off.status, answer.site.path_prefix, answer.site.forward_secret], [200, undefined, undefined]);
      const [row] = await keysOf(sql, containerId);
      assertEquals([row!.path_prefix, row!.forward_secret], [null, null]);
      const held = platform.edge.configs.get(containerId)!.sites[0]!;
      assertEquals([held.path_prefix, held.forward_secret], [undefined, undefined]);
    });

    await t.step("same-origin refuses: 401, 403 member, 400 bad prefix or site, 404 foreign site, 502 edge down", async () => {
      const [site] = await keysOf(sql, containerId);
      assertEquals((await sameOrigin({ site_id: site!.id, path_prefix: "/m" }, null)).status, 401);
      const member = await platform.tokenFor(await addMember(sql, clientId, "member"));
      assertEquals((await sameOrigin({ site_id: site!.id, path_prefix: "/m" }, member)).status, 403);
      for (const [body, path] of [
        [{ site_id: site!.id, path_prefix: "m" }, "path_prefix"],
        [{ site_id: site!.id, path_prefix: "/" }, "path_prefix"],
        [{ site_id: site!.id, path_prefix: "/a.b" }, "path_prefix"],
        [{ site_id: site!.id }, "path_prefix"],
        [{ path_prefix: "/m" }, "site_id"],
      ] as const) {
        const response = await sameOrigin(body);
        const error = await response.json();
        assertEquals([response.status, error.issues?.map((i: { path: string }) => i.path)], [400, [path]], JSON.stringify(body));
      }
      assertEquals((await sameOrigin({ site_id: crypto.randomUUID(), path_prefix: "/m" })).status, 404);
      platform.edge.down = true;
      const down = await sameOrigin({ site_id: site!.id, path_prefix: "/m" });
      platform.edge.down = false;
      assertEquals([down.status, (await down.json()).error], [502, "edge_unavailable"]);
      assertEquals((await keysOf(sql, containerId))[0], site);
    });
  } finally {
    await platform.close();
  }
});
