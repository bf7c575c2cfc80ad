/**
 * container-domains through the local gateway, against the real local DNS
 * server (records written into it), the fake edge and the Cloudflare stand-in:
 * a hostname is pending and unrouted until TXT + routing record verify it.
 */
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import type { Sql } from "../../../supabase/functions/_shared/db.ts";
import { dbTest, randomLabel } from "../../support/control-plane-db.ts";
import { routedContainer } from "../../support/fake-edge.ts";
import { addFreePorts, addMember, newClient, type Platform, startPlatform } from "../../support/functions-platform.ts";

const CONFIG_B64 = btoa("id=GTM-ABC123&env=1&auth=secret");

interface DomainView {
  id: string;
  hostname: string;
  site_id: string;
  state: string;
  verification: { type: string; name: string; value: string };
  routing: { type: string; name: string; value: string };
  checked_at: string | null;
  problems: { code: string; message: string }[];
  activation: { id: string; status: string } | null;
}

async function createContainer(platform: Platform, sql: Sql, token: string, clientId: string, domains: string[]) {
  await addFreePorts(sql, 2);
  const response = await platform.call("sgtm-containers", {
    method: "POST",
    token,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ clientId, name: "Shop", domains, webGtmIds: { [domains[0]!]: "GTM-ABC123" }, containerConfigB64: CONFIG_B64 }),
  });
  assertEquals(response.status, 201);
  return (await response.json()).container as { id: string; edge_hostname: string; sites: { site_id: string }[] };
}

function domains(platform: Platform, token: string | undefined) {
  return {
    add: (body: unknown) =>
      platform.call("container-domains", { method: "POST", token, headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
    list: (containerId: string) => platform.call(`container-domains?container_id=${containerId}`, { token }),
    verify: (id: string) => platform.call(`container-domains/${id}/verify`, { method: "POST", token }),
    remove: (id: string) => platform.call(`container-domains/${id}`, { method: "DELETE", token }),
  };
}

async function publish(platform: Platform, domain: DomainView, routingTarget = domain.routing.value) {
  await platform.dns.add(domain.verification.name, "TXT", domain.verification.value);
  await platform.dns.add(domain.hostname, "CNAME", routingTarget);
}

dbTest("container-domains", async (sql, t) => {
  const platform = await startPlatform();
  try {
    const { clientId, ownerId } = await newClient(sql);
    const owner = await platform.tokenFor(ownerId);
    const api = domains(platform, owner);
    const label = randomLabel();
    const primary = `www.${label}.com`;
    const container = await createContainer(platform, sql, owner, clientId, [primary]);

    let primaryDomain = {} as DomainView;
    await t.step("a new container's primary host is pending and does not route; the edge hostname does", async () => {
      const response = await api.list(container.id);
      assertEquals(response.status, 200);
      const listed: DomainView[] = (await response.json()).domains;
      assertEquals(listed.map((d) => [d.hostname, d.state]), [[primary, "pending"]]);
      primaryDomain = listed[0]!;
      assertEquals(primaryDomain.verification.name, `_qaxal-challenge.${primary}`);
      assertEquals(primaryDomain.routing, { type: "CNAME", name: primary, value: container.edge_hostname });
      assertEquals(routedContainer(platform.edge, primary), null);
      assertEquals(routedContainer(platform.edge, container.edge_hostname), container.id);
    });

    await t.step("verify without records: pending, txt_missing and routing_missing, still not routed", async () => {
      const response = await api.verify(primaryDomain.id);
      const { domain } = await response.json() as { domain: DomainView };
      assertEquals([response.status, domain.state], [200, "pending"]);
      assertEquals(domain.problems.map((p) => p.code), ["txt_missing", "routing_missing"]);
      ok(domain.checked_at);
      assertEquals(routedContainer(platform.edge, primary), null);
    });

    await t.step("wrong TXT value and a CNAME elsewhere: txt_mismatch, routing_elsewhere", async () => {
      await platform.dns.add(primaryDomain.verification.name, "TXT", "not-the-challenge");
      await platform.dns.add(primary, "CNAME", "someone-else.example.net");
      const { domain } = await (await api.verify(primaryDomain.id)).json() as { domain: DomainView };
      assertEquals([domain.state, domain.problems.map((p) => p.code)], ["pending", ["txt_mismatch", "routing_elsewhere"]]);
      ok(domain.problems[1]!.message.includes("someone-else.example.net"));
      assertEquals(routedContainer(platform.edge, primary), null);
      await platform.dns.remove(primaryDomain.verification.name);
      await platform.dns.remove(primary);
    });

    await t.step("a CAA record naming another CA: caa_forbids_issuer", async () => {
      await publish(platform, primaryDomain);
      await platform.dns.add(`${label}.com`, "CAA", `0 issue "other-ca.example"`);
      const { domain } = await (await api.verify(primaryDomain.id)).json() as { domain: DomainView };
      assertEquals([domain.state, domain.problems.map((p) => p.code)], ["pending", ["caa_forbids_issuer"]]);
      await platform.dns.remove(`${label}.com`, "CAA");
      await platform.dns.add(`${label}.com`, "CAA", `0 issue "letsencrypt.org"`);
    });

    await t.step("TXT and CNAME right: verified, activated at the provider and routed before the 200", async () => {
      const response = await api.verify(primaryDomain.id);
      const { domain } = await response.json() as { domain: DomainView };
      assertEquals([response.status, domain.state, domain.problems], [200, "verified", []]);
      ok(domain.activation && platform.cloudflare.hostnames.get(domain.activation.id)?.hostname === primary);
      assertEquals(routedContainer(platform.edge, primary), container.id);
      assertEquals(platform.edge.configs.get(container.id)?.sites[0]?.primary_host, primary);
    });

    let extra = {} as DomainView;
    await t.step("add a tracked domain: 201 pending with its challenge, routed once verified", async () => {
      const response = await api.add({ container_id: container.id, hostname: ` Data.${label}.com. ` });
      assertEquals(response.status, 201);
      extra = (await response.json()).domain;
      assertEquals([extra.hostname, extra.state, extra.site_id], [`data.${label}.com`, "pending", container.sites[0]!.site_id]);
      ok(/^[A-Za-z0-9_-]{16,}$/.test(extra.verification.value) && extra.verification.value !== primaryDomain.verification.value);
      assertEquals(routedContainer(platform.edge, extra.hostname), null);
      const again = await api.add({ container_id: container.id, hostname: extra.hostname });
      assertEquals([again.status, (await again.json()).domain.id], [201, extra.id]);

      await publish(platform, extra);
      assertEquals((await (await api.verify(extra.id)).json()).domain.state, "verified");
      assertEquals(routedContainer(platform.edge, extra.hostname), container.id);
      assertEquals(platform.edge.configs.get(container.id)?.sites[0]?.tracked_domains, [extra.hostname]);
    });

    await t.step("bad bodies: 400 invalid_body naming the path", async () => {
      const response = await api.add({ container_id: container.id, hostname: "https://x/", extra: 1 });
      const body = await response.json();
      assertEquals([response.status, body.error], [400, "invalid_body"]);
      assertEquals([...new Set(body.issues.map((i: { path: string }) => i.path))].sort(), ["(root)", "hostname"]);
      const zone = await api.add({ container_id: container.id, hostname: `x.trqaxal.test` });
      assertEquals(zone.status, 400);
      const site = await api.add({ container_id: container.id, hostname: `y.${label}.com`, site_id: crypto.randomUUID() });
      assertEquals([(await site.json()).issues[0].path], ["site_id"]);
    });

    await t.step("a squatter's pending claim never blocks the owner; it becomes lost", async () => {
      const squatter = await newClient(sql);
      const squatterToken = await platform.tokenFor(squatter.ownerId);
      const host = `shop.${label}.com`;
      const squat = await createContainer(platform, sql, squatterToken, squatter.clientId, [host]);
      const [squatDomain] = (await (await domains(platform, squatterToken).list(squat.id)).json()).domains as DomainView[];
      assertEquals(squatDomain!.state, "pending");

      const added = await api.add({ container_id: container.id, hostname: host });
      assertEquals(added.status, 201);
      const mine = (await added.json()).domain as DomainView;
      await publish(platform, mine);
      assertEquals((await (await api.verify(mine.id)).json()).domain.state, "verified");
      assertEquals(routedContainer(platform.edge, host), container.id);
      const [lost] = (await (await domains(platform, squatterToken).list(squat.id)).json()).domains as DomainView[];
      assertEquals(lost!.state, "lost");
      // the squatter's TXT cannot win it back, and adding it again is refused while it is verified here
      await platform.dns.add(squatDomain!.verification.name, "TXT", squatDomain!.verification.value);
      assertEquals((await (await domains(platform, squatterToken).verify(squatDomain!.id)).json()).domain.state, "lost");
      const taken = await domains(platform, squatterToken).add({ container_id: squat.id, hostname: host });
      assertEquals([taken.status, (await taken.json()).error], [409, "domain_taken"]);
    });

    await t.step("a member of another client sees and changes nothing: 404; a plain member 403", async () => {
      const stranger = await newClient(sql);
      const theirs = domains(platform, await platform.tokenFor(stranger.ownerId));
      for (const response of [
        await theirs.list(container.id),
        await theirs.verify(extra.id),
        await theirs.remove(extra.id),
        await theirs.add({ container_id: container.id, hostname: `evil.${label}.com` }),
      ]) {
        assertEquals([response.status, (await response.json()).error], [404, "not_found"]);
      }
      const member = domains(platform, await platform.tokenFor(await addMember(sql, clientId, "member")));
      assertEquals((await member.remove(extra.id)).status, 403);
      assertEquals((await member.add({ container_id: container.id, hostname: `m.${label}.com` })).status, 403);
      assertEquals(routedContainer(platform.edge, extra.hostname), container.id);
      assertEquals((await domains(platform, undefined).list(container.id)).status, 401);
    });

    await t.step("remove: the edge stops routing it before the 200, the provider forgets it", async () => {
      const activation = (await (await api.list(container.id)).json()).domains.find((d: DomainView) => d.id === extra.id).activation;
      const response = await api.remove(extra.id);
      assertEquals([response.status, await response.json()], [200, { deleted: true }]);
      assertEquals(routedContainer(platform.edge, extra.hostname), null);
      assertEquals(platform.cloudflare.hostnames.has(activation.id), false);
      assertEquals((await api.remove(extra.id)).status, 404);
      assertEquals(routedContainer(platform.edge, primary), container.id);
    });

    await t.step("edge down while verifying: 502, not reported as routed", async () => {
      const response = await api.add({ container_id: container.id, hostname: `down.${label}.com` });
      const domain = (await response.json()).domain as DomainView;
      await publish(platform, domain);
      platform.edge.down = true;
      const verified = await api.verify(domain.id);
      platform.edge.down = false;
      assertEquals([verified.status, (await verified.json()).error], [502, "edge_unavailable"]);
      const [pending] = await sql`select 1 from public.edge_sync_outbox where container_id = ${container.id} and status = 'pending'`;
      ok(pending, "the outbox retries the push");
    });
  } finally {
    await platform.close();
  }
});
