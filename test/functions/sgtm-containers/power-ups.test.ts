/**
 * POST sgtm-containers/{id}/power-ups through the local gateway (docs/power-ups.md): an
 * owner switches what the plan includes and it is at the edge before the 200; what the plan
 * does not include is 403 not_in_plan and never pushed, also after a downgrade; bad values
 * are 400 naming the field; members 403, other clients 404.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { dbTest } from "../../support/control-plane-db.ts";
import { addMember, newClient, ownerWithContainer, startPlatform } from "../../support/functions-platform.ts";

dbTest("sgtm-containers power-ups", async (sql, t) => {
  const platform = await startPlatform();
  try {
    const { clientId, owner, container } = await ownerWithContainer(platform, sql, "Powered");
    const post = (path: string, body: unknown, token = owner) =>
      platform.call(`sgtm-containers/${container.id}/${path}`, {
        method: "POST", token, headers: { "content-type": "application/json" }, body: JSON.stringify(body),
      });
    const atEdge = () => platform.edge.configs.get(container.id);

    await t.step("free plan: not_in_plan, nothing stored or pushed; switching off is always allowed", async () => {
      const refused = await post("power-ups", { bot_filter: "block", device_geo_headers: true });
      const body = await refused.json();
      assertEquals([refused.status, body.error, body.power_ups], [403, "not_in_plan", ["bot_filter", "device_geo_headers"]]);
      assertEquals(atEdge()?.power_ups, undefined);
      const off = await post("power-ups", { bot_filter: "off" });
      assertEquals(off.status, 200);
      assertEquals(atEdge()?.power_ups, undefined);
    });

    await t.step("pro plan: every power-up switched on is at the edge before the 200", async () => {
      assertEquals((await post("plan", { plan_id: "pro" })).status, 200);
      const response = await post("power-ups", {
        bot_filter: "flag", blocked_ips: ["10.0.0.0/8", "2001:db8::/32"], anonymizer: "consent",
        device_geo_headers: true, click_id_restore: true, preview_header: "ZW52LTV8b3VKMEpqV2t1ZkZDd0",
      });
      const body = await response.json();
      assertEquals(response.status, 200);
      assertEquals(atEdge()?.config_version, body.config_version);
      assertEquals(atEdge()?.power_ups, {
        bot_filter: "flag", bot_score_below: 30, blocked_ips: ["10.0.0.0/8", "2001:db8::/32"], anonymizer: "consent",
        device_geo_headers: true, click_id_restore: true, preview_header: "ZW52LTV8b3VKMEpqV2t1ZkZDd0",
      });
      const same = await post("power-ups", {});
      assertEquals([(await same.json()).config_version], [body.config_version]);
    });

    await t.step("bad values are 400 naming the field; nothing changes", async () => {
      const version = atEdge()?.config_version;
      const cidr = await post("power-ups", { blocked_ips: ["10.0.0.0/33"] });
      assertEquals([cidr.status, (await cidr.json()).issues[0].path], [400, "blocked_ips.0"]);
      const mode = await post("power-ups", { anonymizer: "sometimes" });
      assertEquals([mode.status, (await mode.json()).issues[0].path], [400, "anonymizer"]);
      const unknown = await post("power-ups", { teleport: true });
      assertEquals(unknown.status, 400);
      const tooMany = await post("power-ups", { blocked_ips: Array.from({ length: 101 }, (_, i) => `10.1.${i}.0/24`) });
      assertEquals(tooMany.status, 400);
      assertEquals(atEdge()?.config_version, version);
    });

    await t.step("a downgrade pushes only what the new plan includes", async () => {
      assertEquals((await post("plan", { plan_id: "starter" })).status, 200);
      const pushed = atEdge()?.power_ups;
      assertEquals([pushed?.bot_filter, pushed?.blocked_ips, pushed?.anonymizer, pushed?.device_geo_headers, pushed?.click_id_restore], [
        "flag", ["10.0.0.0/8", "2001:db8::/32"], "off", false, false,
      ]);
      const [row] = await sql`select power_ups from public.sgtm_containers where id = ${container.id}`;
      assertEquals(row!.power_ups.anonymizer, "consent");
      const upgrade = await post("plan", { plan_id: "pro" });
      assertEquals([upgrade.status, atEdge()?.power_ups?.anonymizer], [200, "consent"]);
    });

    await t.step("null switches one off", async () => {
      const response = await post("power-ups", { click_id_restore: null, bot_filter: null });
      assertEquals(response.status, 200);
      assertEquals([atEdge()?.power_ups?.click_id_restore, atEdge()?.power_ups?.bot_filter], [false, "off"]);
    });

    await t.step("a member 403, another client 404, nothing changed", async () => {
      const version = atEdge()?.config_version;
      const member = await platform.tokenFor(await addMember(sql, clientId, "member"));
      assertEquals((await post("power-ups", { anonymizer: "always" }, member)).status, 403);
      const stranger = await platform.tokenFor((await newClient(sql)).ownerId);
      assertEquals((await post("power-ups", { anonymizer: "always" }, stranger)).status, 404);
      assertEquals(atEdge()?.config_version, version);
    });

    await t.step("the plan's overage share reaches the edge", async () => {
      await sql`update public.plans set overage_percent = 20 where id = 'pro'`;
      assertEquals((await post("power-ups", { anonymizer: "always" })).status, 200);
      assertEquals(atEdge()?.plan.overage_percent, 20);
      await sql`update public.plans set overage_percent = 0 where id = 'pro'`;
    });
  } finally {
    await platform.close();
  }
});
