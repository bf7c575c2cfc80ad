/**
 * POST sgtm-containers and POST sgtm-containers/{id}/verify, called through the
 * local gateway with JWTs minted by the local signing key, against the
 * provisioner stand-in and the fake edge.
 */
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import type { ReservedContainer } from "../../../supabase/functions/sgtm-containers/store.ts";
import type { Sql } from "../../../supabase/functions/_shared/db.ts";
import { dbTest, randomLabel } from "../../support/control-plane-db.ts";
import {
  addFreePorts,
  addMember,
  drainFreePorts,
  EDGE_ZONE,
  newClient,
  type Platform,
  SGTM_ORIGIN,
  startPlatform,
} from "../../support/functions-platform.ts";

type CreatedContainer = Omit<ReservedContainer, "ports"> & { status: string; config_version: number };

const CONFIG_B64 = btoa("id=GTM-ABC123&env=1&auth=secret");

function body(clientId: string, domains: string[], extra: Record<string, unknown> = {}) {
  return {
    clientId,
    name: "Shop tracking",
    domains,
    webGtmIds: { [domains[0]!]: "GTM-ABC123" },
    containerConfigB64: CONFIG_B64,
    ...extra,
  };
}

function create(platform: Platform, token: string | undefined, payload: unknown, idempotencyKey?: string) {
  return platform.call("sgtm-containers", {
    method: "POST",
    token,
    headers: { "content-type": "application/json", ...(idempotencyKey ? { "idempotency-key": idempotencyKey } : {}) },
    body: typeof payload === "string" ? payload : JSON.stringify(payload),
  });
}

async function containersNamed(sql: Sql, clientId: string) {
  return [...await sql<{ id: string; status: string }[]>`
    select id, status from public.sgtm_containers where client_id = ${clientId} order by created_at`];
}

async function portsOf(sql: Sql, containerId: string): Promise<number[]> {
  return (await sql<{ port: number }[]>`select port from public.port_pool where container_id = ${containerId} order by port`)
    .map((row) => row.port);
}

dbTest("sgtm-containers", async (sql, t) => {
  const platform = await startPlatform();
  try {
    const { clientId, ownerId } = await newClient(sql);
    const owner = await platform.tokenFor(ownerId);
    const label = randomLabel();
    const domains = [`www.${label}.com`, `shop.${label}.com`];

    let created = {} as CreatedContainer;
    await t.step("owner creates a container: provisioned, stored, pushed to the edge", async () => {
      await addFreePorts(sql, 2);
      const response = await create(platform, owner, body(clientId, [`WWW.${label}.com.`, domains[1]!]));
      assertEquals(response.status, 201);
      created = (await response.json()).container;
      assertEquals(Object.keys(created).sort(), ["config_version", "edge_hostname", "id", "loader_token", "sites", "status"]);
      assertEquals(created.status, "active");
      ok(created.edge_hostname.endsWith(`.${EDGE_ZONE}`));
      ok(/^lt_[A-Za-z0-9_-]{32}$/.test(created.loader_token));
      assertEquals(created.sites.map((s) => [s.primary_host, s.cookie_domain, s.web_gtm_id]), [
        [domains[0], `${label}.com`, "GTM-ABC123"],
        [domains[1], domains[1], "GTM-ABC123"],
      ]);

      const [row] = await sql`select status, origin, config_version from public.sgtm_containers where id = ${created.id}`;
      assertEquals([row!.status, row!.origin, row!.config_version], ["active", SGTM_ORIGIN, created.config_version]);
      assertEquals((await portsOf(sql, created.id)).length, 2);
      const domainRows = await sql`
        select d.hostname, d.is_primary, d.verification_state from public.site_domains d
        join public.sites s on s.id = d.site_id where s.container_id = ${created.id} order by d.hostname`;
      assertEquals(domainRows.map((d) => [d.hostname, d.is_primary, d.verification_state]), [
        [domains[1], true, "pending"],
        [domains[0], true, "pending"],
      ]);
      const call = platform.provisioner.calls.at(-1);
      const [secret] = await sql`select origin_secret from public.sgtm_containers where id = ${created.id}`;
      assertEquals(call, {
        container_id: created.id,
        ports: await portsOf(sql, created.id),
        hostnames: [created.edge_hostname, ...domains],
        origin_secret: secret!.origin_secret,
      });
      const pushed = platform.edge.configs.get(created.id);
      assertEquals(pushed?.config_version, created.config_version);
      assertEquals(pushed?.sites.map((s) => s.container_token), created.sites.map((s) => s.container_token));
      assertEquals(pushed?.origin, SGTM_ORIGIN);
    });

    await t.step("no or invalid token: 401", async () => {
      assertEquals((await create(platform, undefined, body(clientId, [`a.${label}.net`]))).status, 401);
      const bad = await create(platform, `${owner.slice(0, -4)}AAAA`, body(clientId, [`a.${label}.net`]));
      assertEquals([bad.status, (await bad.json()).error], [401, "unauthorized"]);
    });

    await t.step("a plain member or a stranger: 403, nothing created", async () => {
      const before = await containersNamed(sql, clientId);
      for (const userId of [await addMember(sql, clientId, "member"), crypto.randomUUID()]) {
        const response = await create(platform, await platform.tokenFor(userId), body(clientId, [`b.${label}.net`]));
        assertEquals([response.status, (await response.json()).error], [403, "forbidden"]);
      }
      assertEquals(await containersNamed(sql, clientId), before);
    });

    await t.step("an admin may create", async () => {
      await addFreePorts(sql, 2);
      const admin = await platform.tokenFor(await addMember(sql, clientId, "admin"));
      assertEquals((await create(platform, admin, body(clientId, [`admin.${label}.net`]))).status, 201);
    });

    await t.step("invalid bodies: 400 invalid_body naming each path", async () => {
      const response = await create(platform, owner, {
        clientId: "nope",
        name: "",
        domains: ["https://x.com/", `c.${EDGE_ZONE}`],
        webGtmIds: {},
        containerConfigB64: "***",
      });
      const error = await response.json();
      assertEquals([response.status, error.error], [400, "invalid_body"]);
      assertEquals(error.issues.map((i: { path: string }) => i.path).sort(), ["clientId", "containerConfigB64", "domains.0", "domains.1", "name"]);
      const tooMany = await create(platform, owner, body(clientId, Array.from({ length: 21 }, (_, i) => `d${i}.${label}.org`)));
      assertEquals(tooMany.status, 400);
      const missingFirstId = await create(platform, owner, body(clientId, [`x.${label}.org`], { webGtmIds: {} }));
      assertEquals((await missingFirstId.json()).issues, [{ path: `webGtmIds.x.${label}.org`, message: "the first domain needs a GTM id" }]);
      const notJson = await create(platform, owner, "{");
      assertEquals([notJson.status, (await notJson.json()).error], [400, "invalid_body"]);
    });

    await t.step("a hostname verified for another container: 409 domain_taken, nothing created", async () => {
      await addFreePorts(sql, 4);
      const taken = `taken.${label}.com`;
      const holder = (await (await create(platform, owner, body(clientId, [taken]))).json()).container;
      // pending, it blocks nobody (contract section 11)
      const squatter = await newClient(sql);
      const squat = await create(platform, await platform.tokenFor(squatter.ownerId), body(squatter.clientId, [taken]));
      assertEquals(squat.status, 201);
      const listed = await (await platform.call(`container-domains?container_id=${holder.id}`, { token: owner })).json();
      const claim = listed.domains[0];
      await platform.dns.add(claim.verification.name, "TXT", claim.verification.value);
      await platform.dns.add(taken, "CNAME", holder.edge_hostname);
      const verified = await platform.call(`container-domains/${claim.id}/verify`, { method: "POST", token: owner });
      assertEquals((await verified.json()).domain.state, "verified");

      const before = await containersNamed(sql, clientId);
      const response = await create(platform, owner, body(clientId, [`fresh.${label}.org`, `Taken.${label}.com`]));
      assertEquals([response.status, await response.json()], [409, {
        error: "domain_taken",
        message: `taken.${label}.com is verified for another container`,
        domain: `taken.${label}.com`,
      }]);
      assertEquals(await containersNamed(sql, clientId), before);
    });

    await t.step("port pool exhausted: 503 no_ports, nothing created", async () => {
      await drainFreePorts(sql);
      const before = await containersNamed(sql, clientId);
      const response = await create(platform, owner, body(clientId, [`noports.${label}.org`]));
      assertEquals([response.status, (await response.json()).error], [503, "no_ports"]);
      assertEquals(await containersNamed(sql, clientId), before);
      await addFreePorts(sql, 1);
      assertEquals((await create(platform, owner, body(clientId, [`noports.${label}.org`]))).status, 503);
    });

    await t.step("provisioner down: 502, ports released, container failed, domains free again", async () => {
      await drainFreePorts(sql);
      const ports = await addFreePorts(sql, 2);
      platform.provisioner.setFailing(true);
      const response = await create(platform, owner, body(clientId, [`down.${label}.org`]));
      const error = await response.json();
      assertEquals([response.status, error.error], [502, "provisioner_failed"]);
      const [row] = await sql`select status from public.sgtm_containers where id = ${error.container_id}`;
      assertEquals(row?.status, "failed");
      assertEquals(await portsOf(sql, error.container_id), []);
      assertEquals((await sql`select port from public.port_pool where port = any(${ports}::int[]) and container_id is null`).length, 2);
      assertEquals((await sql`select 1 from public.sites where container_id = ${error.container_id}`).length, 0);
      assertEquals((await sql`select 1 from public.subscriptions where container_id = ${error.container_id}`).length, 0);
      assertEquals(platform.edge.configs.has(error.container_id), false);

      platform.provisioner.setFailing(false);
      const retry = await create(platform, owner, body(clientId, [`down.${label}.org`]));
      assertEquals(retry.status, 201);
      assertEquals(await portsOf(sql, (await retry.json()).container.id), ports);
    });

    await t.step("Idempotency-Key: same body replays the 201, other body 422", async () => {
      await addFreePorts(sql, 4);
      const key = `create-${crypto.randomUUID()}`;
      const payload = body(clientId, [`idem.${label}.org`]);
      const first = await create(platform, owner, payload, key);
      const firstBody = await first.json();
      assertEquals(first.status, 201);
      const calls = platform.provisioner.calls.length;
      const again = await create(platform, owner, { ...payload, domains: [`IDEM.${label}.org`] }, key);
      assertEquals([again.status, await again.json()], [201, firstBody]);
      assertEquals(platform.provisioner.calls.length, calls);
      assertEquals((await sql`select 1 from public.sites where primary_host = ${`idem.${label}.org`}`).length, 1);

      const reused = await create(platform, owner, body(clientId, [`other.${label}.org`]), key);
      assertEquals([reused.status, (await reused.json()).error], [422, "idempotency_key_reused"]);
      assertEquals((await sql`select 1 from public.sites where primary_host = ${`other.${label}.org`}`).length, 0);

      // keys are per user: another admin's identical key is a different request
      const admin = await platform.tokenFor(await addMember(sql, clientId, "admin"));
      const theirs = await create(platform, admin, body(clientId, [`theirs.${label}.org`]), key);
      assertEquals(theirs.status, 201);
    });

    await t.step("Idempotency-Key after a failed provisioning may be retried", async () => {
      await addFreePorts(sql, 2);
      const key = `retry-${crypto.randomUUID()}`;
      const payload = body(clientId, [`flaky.${label}.org`]);
      platform.provisioner.setFailing(true);
      assertEquals((await create(platform, owner, payload, key)).status, 502);
      platform.provisioner.setFailing(false);
      assertEquals((await create(platform, owner, payload, key)).status, 201);
    });

    await t.step("concurrent requests: one key, one domain, two last ports each make one container", async () => {
      await addFreePorts(sql, 6);
      const key = `race-${crypto.randomUUID()}`;
      const payload = body(clientId, [`race.${label}.org`]);
      const sameKey = await Promise.all([1, 2, 3].map(() => create(platform, owner, payload, key)));
      const keyStatuses = sameKey.map((r) => r.status).sort();
      const keyBodies = await Promise.all(sameKey.map((r) => r.json()));
      assertEquals(keyStatuses.filter((s) => s !== 201 && s !== 409), []);
      ok(keyStatuses.includes(201));
      assertEquals(new Set(keyBodies.filter((b) => b.container).map((b) => b.container.id)).size, 1);
      assertEquals((await sql`select 1 from public.sites where primary_host = ${`race.${label}.org`}`).length, 1);

      // both claims are pending: neither blocks the other, DNS verification decides later
      const sameDomain = await Promise.all([1, 2].map(() => create(platform, owner, body(clientId, [`dup.${label}.org`]))));
      assertEquals(sameDomain.map((r) => r.status).sort(), [201, 201]);
      await Promise.all(sameDomain.map((r) => r.body?.cancel()));

      await drainFreePorts(sql);
      await addFreePorts(sql, 2);
      const lastPorts = await Promise.all([1, 2].map((i) => create(platform, owner, body(clientId, [`last${i}.${label}.org`]))));
      assertEquals(lastPorts.map((r) => r.status).sort(), [201, 503]);
      await Promise.all(lastPorts.map((r) => r.body?.cancel()));
    });

    await t.step("verify: the edge's version and pause state", async () => {
      const verify = (id: string, token = owner) =>
        platform.call(`sgtm-containers/${id}/verify`, { method: "POST", token });
      const response = await verify(created.id);
      assertEquals([response.status, await response.json()], [200, {
        id: created.id,
        status: "active",
        config_version: created.config_version,
        edge_config_version: created.config_version,
      }]);

      platform.edge.paused.set(created.id, { reason: "usage_limit", since: new Date().toISOString() });
      assertEquals((await (await verify(created.id)).json()).status, "paused");
      const [row] = await sql`select status, paused_reason from public.sgtm_containers where id = ${created.id}`;
      assertEquals([row!.status, row!.paused_reason], ["paused", "usage_limit"]);
      platform.edge.paused.delete(created.id);
      assertEquals((await (await verify(created.id)).json()).status, "active");

      const member = await platform.tokenFor(await addMember(sql, clientId, "member"));
      assertEquals((await verify(created.id, member)).status, 403);
      assertEquals((await verify(crypto.randomUUID())).status, 404);
      assertEquals((await verify("not-a-uuid")).status, 404);
      assertEquals((await platform.call(`sgtm-containers/${created.id}/verify`, { method: "POST" })).status, 401);
    });

    await t.step("edge down at creation: 201 all the same, verify re-pushes once it is back", async () => {
      await addFreePorts(sql, 2);
      platform.edge.down = true;
      const response = await create(platform, owner, body(clientId, [`edgedown.${label}.org`]));
      platform.edge.down = false;
      const { container } = await response.json();
      assertEquals([response.status, platform.edge.configs.has(container.id)], [201, false]);
      const [pending] = await sql`
        select config_version from public.edge_sync_outbox where container_id = ${container.id} and status = 'pending'`;
      assertEquals(pending?.config_version, container.config_version);
      const verified = await (await platform.call(`sgtm-containers/${container.id}/verify`, { method: "POST", token: owner })).json();
      assertEquals(verified.edge_config_version, container.config_version);
    });
  } finally {
    await platform.close();
  }
});
