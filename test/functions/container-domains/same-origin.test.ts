/**
 * A same-origin site's hostname (section 10) points at the customer's own server, whose proxy
 * forwards to the edge hostname: the TXT challenge alone proves it, nothing is activated at the
 * edge provider, and the nightly re-check looks for the TXT record instead of a routing record.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { dbTest, randomLabel } from "../../support/control-plane-db.ts";
import { routedContainer } from "../../support/fake-edge.ts";
import { addFreePorts, newClient, startPlatform } from "../../support/functions-platform.ts";

dbTest("container-domains: same-origin sites verify by TXT alone", async (sql, t) => {
  const platform = await startPlatform();
  try {
    const { clientId, ownerId } = await newClient(sql);
    const token = await platform.tokenFor(ownerId);
    const label = randomLabel();
    const host = `www.${label}.com`;
    await addFreePorts(sql, 2);
    const created = await platform.call("sgtm-containers", {
      method: "POST",
      token,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        clientId,
        name: "Same origin",
        domains: [host],
        webGtmIds: { [host]: "GTM-ABC123" },
        containerConfigB64: btoa("id=GTM-ABC123&env=1&auth=x"),
        pathPrefixes: { [host]: "/metrics" },
      }),
    });
    assertEquals(created.status, 201, await created.clone().text());
    const container = (await created.json()).container as { id: string };
    const listed = await (await platform.call(`container-domains?container_id=${container.id}`, { token })).json();
    const domain = listed.domains[0];
    // The host serves the customer's own site: an A record elsewhere, never a CNAME to us.
    await platform.dns.add(host, "A", "198.51.100.20");
    const verify = async () => (await (await platform.call(`container-domains/${domain.id}/verify`, { method: "POST", token })).json()).domain;

    await t.step("without the TXT record: txt_missing only, no routing problem", async () => {
      const pending = await verify();
      assertEquals([pending.state, pending.problems.map((p: { code: string }) => p.code)], ["pending", ["txt_missing"]]);
    });

    await t.step("with it: verified, routed at the edge, nothing activated at the provider", async () => {
      await platform.dns.add(domain.verification.name, "TXT", domain.verification.value);
      const verified = await verify();
      assertEquals([verified.state, verified.problems, verified.activation], ["verified", [], null]);
      assertEquals(routedContainer(platform.edge, host), container.id);
      assertEquals(platform.cloudflare.hostnames.size, 0);
    });
  } finally {
    await platform.close();
  }
});
