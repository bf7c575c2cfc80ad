/**
 * Provisioner calls carry INFRA_PROVISIONER_TOKEN as a bearer; the stand-in (like the real
 * provisioner) refuses every call without it, so sgtm-containers without the right token
 * provisions nothing and keeps nothing.
 */
import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import { startProvisionerStandin } from "../../../scripts/dev/standins/provisioner.mjs";
import { containersEnvFromEnv } from "../../../supabase/functions/sgtm-containers/handler.ts";
import { provision } from "../../../supabase/functions/sgtm-containers/provisioner.ts";
import { dbTest, randomLabel } from "../../support/control-plane-db.ts";
import { addFreePorts, newClient, startPlatform } from "../../support/functions-platform.ts";

const REQUEST = {
  container_id: crypto.randomUUID(),
  ports: [20001, 20002],
  hostnames: ["a.example.com"],
  origin_secret: "os_0123456789abcdefghijklmnopqrstuvwxyz",
};

Deno.test("provision sends the token; the stand-in answers only calls that carry it", async () => {
  const standin = await startProvisionerStandin({ origin: "http://127.0.0.1:9100" });
  try {
    assertEquals(await provision({ url: standin.url, token: standin.token }, REQUEST), { ok: true, origin: "http://127.0.0.1:9100" });
    assertEquals(standin.calls.length, 1);

    const wrong = await provision({ url: standin.url, token: `${standin.token}x` }, REQUEST);
    assertEquals(wrong.ok === false && wrong.reason.startsWith("status 401"), true, JSON.stringify(wrong));
    for (const [method, path] of [["POST", "/provision"], ["GET", "/__standin/calls"], ["POST", "/__standin/fail"]]) {
      for (const authorization of [undefined, "Bearer nope", standin.token, `Basic ${standin.token}`]) {
        const response = await fetch(`${standin.url}${path}`, {
          method,
          headers: authorization ? { authorization } : {},
          body: method === "POST" ? JSON.stringify(REQUEST) : undefined,
        });
        assertEquals([response.status, (await response.json()).error], [401, "unauthorized"], `${method} ${path} ${authorization}`);
      }
    }
    assertEquals(standin.calls.length, 1, "a refused call is not recorded");
  } finally {
    await standin.close();
  }
});

Deno.test("sgtm-containers needs INFRA_PROVISIONER_TOKEN", () => {
  const saved = Deno.env.get("INFRA_PROVISIONER_TOKEN");
  Deno.env.set("INFRA_PROVISIONER_URL", "http://127.0.0.1:1");
  Deno.env.delete("INFRA_PROVISIONER_TOKEN");
  try {
    throws(() => containersEnvFromEnv(), /INFRA_PROVISIONER_TOKEN/);
    Deno.env.set("INFRA_PROVISIONER_TOKEN", "t0ken");
    assertEquals(containersEnvFromEnv().provisioner, { url: "http://127.0.0.1:1", token: "t0ken" });
  } finally {
    if (saved === undefined) Deno.env.delete("INFRA_PROVISIONER_TOKEN");
    else Deno.env.set("INFRA_PROVISIONER_TOKEN", saved);
  }
});

dbTest("a provisioner refusing our token: 502 provisioner_failed, nothing kept", async (sql) => {
  const platform = await startPlatform();
  try {
    const { clientId, ownerId } = await newClient(sql);
    const owner = await platform.tokenFor(ownerId);
    const create = (domain: string) =>
      platform.call("sgtm-containers", {
        method: "POST",
        token: owner,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          clientId, name: "Tracking", domains: [domain], webGtmIds: { [domain]: "GTM-ABC123" }, containerConfigB64: btoa("cfg"),
        }),
      });
    await addFreePorts(sql, 4);
    Deno.env.set("INFRA_PROVISIONER_TOKEN", "not-the-provisioner-token");
    const refused = await create(`refused.${randomLabel()}.org`);
    const error = await refused.json();
    assertEquals([refused.status, error.error], [502, "provisioner_failed"]);
    assertEquals(platform.provisioner.calls.length, 0);
    const [row] = await sql`select status from public.sgtm_containers where id = ${error.container_id}`;
    assertEquals(row?.status, "failed");

    Deno.env.set("INFRA_PROVISIONER_TOKEN", platform.provisioner.token);
    const accepted = await create(`accepted.${randomLabel()}.org`);
    assertEquals(accepted.status, 201);
    assertEquals(platform.provisioner.calls.length, 1);
  } finally {
    await platform.close();
  }
});
