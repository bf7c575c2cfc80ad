/**
 * domain-recheck against the real local DNS server: a verified hostname whose
 * CNAME points elsewhere lapses on the 3rd check in a row (not before, and a
 * good check in between resets the count) and stops routing at the edge;
 * pending claims older than 7 days expire. Service role only.
 */
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { dbTest, randomLabel, seedContainer } from "../../support/control-plane-db.ts";
import { routedContainer } from "../../support/fake-edge.ts";
import { startPlatform } from "../../support/functions-platform.ts";

dbTest("domain-recheck", async (sql, t) => {
  const platform = await startPlatform();
  const recheck = (token = Deno.env.get("SUPABASE_SERVICE_ROLE_KEY")!) =>
    platform.call("domain-recheck", { method: "POST", token });
  try {
    const host = `data.${randomLabel()}.com`;
    const c = await seedContainer(sql, { status: "active", domains: [{ hostname: host, verified: true }] });
    // a second verified hostname of the same container that keeps pointing at it
    await platform.dns.add(c.primaryHost, "CNAME", c.edgeHostname);
    await platform.dns.add(host, "CNAME", c.edgeHostname);
    const pushed = await (await platform.call("sync-edge-config", {
      method: "POST",
      token: Deno.env.get("SUPABASE_SERVICE_ROLE_KEY"),
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ container_id: c.containerId }),
    })).json();
    ok(pushed.applied);
    assertEquals(routedContainer(platform.edge, host), c.containerId);
    const [domain] = await sql<{ id: string }[]>`select id from public.site_domains where hostname = ${host}`;

    await t.step("only the service role may run it", async () => {
      assertEquals((await recheck("nope")).status, 401);
    });

    await t.step("pointing at the platform: nothing failing", async () => {
      const report = await (await recheck()).json();
      assertEquals([report.failing.includes(domain!.id), report.lapsed.includes(domain!.id)], [false, false]);
    });

    await t.step("CNAME elsewhere: failing twice, a good night resets, lapsed on the 3rd in a row", async () => {
      await platform.dns.remove(host, "CNAME");
      await platform.dns.add(host, "CNAME", "other-platform.example.net");
      for (let night = 1; night <= 2; night++) {
        const report = await (await recheck()).json();
        assertEquals([report.failing.includes(domain!.id), report.lapsed.includes(domain!.id)], [true, false]);
        assertEquals(routedContainer(platform.edge, host), c.containerId);
      }
      await platform.dns.remove(host, "CNAME");
      await platform.dns.add(host, "CNAME", c.edgeHostname);
      await recheck();
      const [reset] = await sql`select routing_failures from public.site_domains where id = ${domain!.id}`;
      assertEquals(reset!.routing_failures, 0);

      await platform.dns.remove(host, "CNAME");
      await platform.dns.add(host, "CNAME", "other-platform.example.net");
      for (let night = 1; night <= 2; night++) await recheck();
      assertEquals(routedContainer(platform.edge, host), c.containerId);
      const report = await (await recheck()).json();
      assertEquals(report.lapsed.includes(domain!.id), true);
      const [row] = await sql`select verification_state, problems from public.site_domains where id = ${domain!.id}`;
      assertEquals([row!.verification_state, row!.problems[0].code], ["lapsed", "routing_elsewhere"]);
      assertEquals(routedContainer(platform.edge, host), null);
      assertEquals(routedContainer(platform.edge, c.primaryHost), c.containerId);
    });

    await t.step("pending claims older than 7 days expire; a newer one stays", async () => {
      const old = `old.${randomLabel()}.com`;
      const fresh = `fresh.${randomLabel()}.com`;
      await sql`
        insert into public.site_domains (site_id, hostname, created_at)
        values (${c.siteId}, ${old}, now() - interval '7 days 1 minute'), (${c.siteId}, ${fresh}, now() - interval '6 days')`;
      const report = await (await recheck()).json();
      const states = await sql`select hostname, verification_state from public.site_domains where hostname in (${old}, ${fresh}) order by hostname`;
      assertEquals(states.map((r) => [r.hostname, r.verification_state]), [[fresh, "pending"], [old, "expired"]].sort());
      assertEquals(report.expired.length >= 1, true);
    });
  } finally {
    await platform.close();
  }
});
