/**
 * DELETE sgtm-containers/{id} and POST sgtm-containers/{id}/plan through the
 * local gateway: deletion reaches the edge (every host and token 404), the
 * provider, the provisioner and the database (row kept as `deleted`), and
 * repeats harmlessly; a plan change is at the edge before the 200 and an
 * upgrade lifts a usage_limit pause at once.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { dbTest, randomLabel } from "../../support/control-plane-db.ts";
import { routedContainer } from "../../support/fake-edge.ts";
import { addFreePorts, addMember, containerBody, newClient, ownerWithContainer, startPlatform } from "../../support/functions-platform.ts";

dbTest("sgtm-containers delete and plan", async (sql, t) => {
  const platform = await startPlatform();
  try {
    const { clientId, owner, host, container } = await ownerWithContainer(platform, sql, "Doomed");
    const [claim] = (await (await platform.call(`container-domains?container_id=${container.id}`, { token: owner })).json()).domains;
    await platform.dns.add(claim.verification.name, "TXT", claim.verification.value);
    await platform.dns.add(host, "CNAME", container.edge_hostname);
    await platform.call(`container-domains/${claim.id}/verify`, { method: "POST", token: owner });
    assertEquals(routedContainer(platform.edge, host), container.id);
    const plan = (planId: string, token = owner) =>
      platform.call(`sgtm-containers/${container.id}/plan`, {
        method: "POST", token, headers: { "content-type": "application/json" }, body: JSON.stringify({ plan_id: planId }),
      });

    await t.step("plan change: the new limit is at the edge before the 200", async () => {
      const response = await plan("starter");
      const body = await response.json();
      assertEquals([response.status, body.plan_id, body.monthly_request_limit], [200, "starter", 1000000]);
      assertEquals(platform.edge.configs.get(container.id)?.plan.monthly_request_limit, 1000000);
      assertEquals(platform.edge.configs.get(container.id)?.config_version, body.config_version);
      const bad = await plan("no-such-plan");
      assertEquals([bad.status, (await bad.json()).issues[0].path], [400, "plan_id"]);
    });

    await t.step("downgraded and paused for its limit: an upgrade resumes it at once", async () => {
      await plan("free");
      platform.edge.paused.set(container.id, { reason: "usage_limit", since: new Date().toISOString() });
      await sql`update public.sgtm_containers set status = 'paused', paused_reason = 'usage_limit', paused_at = now() where id = ${container.id}`;
      const response = await plan("pro");
      const body = await response.json();
      assertEquals([response.status, body.status, body.paused], [200, "active", null]);
      assertEquals(platform.edge.paused.has(container.id), false);
      const [row] = await sql`select status, paused_reason from public.sgtm_containers where id = ${container.id}`;
      assertEquals([row!.status, row!.paused_reason], ["active", null]);
    });

    await t.step("a member 403, another client 404, nothing deleted", async () => {
      const member = await platform.tokenFor(await addMember(sql, clientId, "member"));
      assertEquals((await platform.call(`sgtm-containers/${container.id}`, { method: "DELETE", token: member })).status, 403);
      assertEquals((await plan("pro", member)).status, 403);
      const stranger = await platform.tokenFor((await newClient(sql)).ownerId);
      assertEquals((await platform.call(`sgtm-containers/${container.id}`, { method: "DELETE", token: stranger })).status, 404);
      assertEquals((await plan("pro", stranger)).status, 404);
      assertEquals(routedContainer(platform.edge, host), container.id);
    });

    await t.step("delete: edge, provider, provisioner told; ports and hostnames released; row kept as deleted", async () => {
      const activations = platform.cloudflare.hostnames.size;
      const response = await platform.call(`sgtm-containers/${container.id}`, { method: "DELETE", token: owner });
      assertEquals([response.status, await response.json()], [200, { deleted: true }]);
      assertEquals(platform.edge.configs.has(container.id), false);
      assertEquals(routedContainer(platform.edge, host), null);
      assertEquals(routedContainer(platform.edge, container.edge_hostname), null);
      assertEquals(platform.cloudflare.hostnames.size, activations - 1);
      assertEquals(platform.provisioner.deleted, [container.id]);
      const [row] = await sql`select status from public.sgtm_containers where id = ${container.id}`;
      assertEquals(row!.status, "deleted");
      assertEquals((await sql`select 1 from public.port_pool where container_id = ${container.id}`).length, 0);
      assertEquals((await sql`select 1 from public.sites where container_id = ${container.id}`).length, 0);
      assertEquals((await sql`select status from public.subscriptions where container_id = ${container.id}`).map((r) => r.status), ["canceled"]);

      const again = await platform.call(`sgtm-containers/${container.id}`, { method: "DELETE", token: owner });
      assertEquals([again.status, await again.json()], [200, { deleted: true }]);
      assertEquals((await plan("pro")).status, 404);
      // the hostname is free for anyone again
      await addFreePorts(sql, 2);
      const other = await newClient(sql);
      const reuse = await platform.call("sgtm-containers", {
        method: "POST",
        token: await platform.tokenFor(other.ownerId),
        headers: { "content-type": "application/json" },
        body: containerBody(other.clientId, "Next", host),
      });
      assertEquals(reuse.status, 201);
      await reuse.body?.cancel();
    });

    await t.step("edge down: 502, nothing changed, a retry finishes it", async () => {
      await addFreePorts(sql, 2);
      const h = `down.${randomLabel()}.com`;
      const made = await (await platform.call("sgtm-containers", {
        method: "POST", token: owner, headers: { "content-type": "application/json" },
        body: containerBody(clientId, "Flaky", h),
      })).json();
      platform.edge.down = true;
      const failed = await platform.call(`sgtm-containers/${made.container.id}`, { method: "DELETE", token: owner });
      platform.edge.down = false;
      assertEquals([failed.status, (await failed.json()).error], [502, "edge_unavailable"]);
      const [row] = await sql`select status from public.sgtm_containers where id = ${made.container.id}`;
      assertEquals(row!.status, "active");
      assertEquals((await platform.call(`sgtm-containers/${made.container.id}`, { method: "DELETE", token: owner })).status, 200);
    });
  } finally {
    await platform.close();
  }
});
