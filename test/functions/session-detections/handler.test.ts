/**
 * POST session-detections (X-Edge-Auth): 202, stored once per session_id,
 * unknown loader tokens skipped and counted, 400 on bad bodies, 401 without
 * the shared secret.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import sessionDetections from "../../../supabase/functions/session-detections/index.ts";
import { MAX_DETECTIONS } from "../../../supabase/functions/session-detections/sessions.ts";
import { dbTest, randomToken, seedContainer } from "../../support/control-plane-db.ts";

function post(body: unknown, secret: string | null = Deno.env.get("EDGE_AUTH_SECRET")!): Promise<Response> {
  return sessionDetections.fetch(new Request("http://functions.test/session-detections", {
    method: "POST",
    headers: { "content-type": "application/json", ...(secret === null ? {} : { "x-edge-auth": secret }) },
    body: typeof body === "string" ? body : JSON.stringify(body),
  }));
}

function detection(loaderToken: string, extra: Record<string, unknown> = {}) {
  return { loader_token: loaderToken, session_id: crypto.randomUUID(), adblock: true, itp: false, ...extra };
}

dbTest("session-detections", async (sql, t) => {
  const { containerId, loaderToken } = await seedContainer(sql, { status: "active" });

  await t.step("stores each session once; a retried batch stores nothing twice", async () => {
    const batch = [
      detection(loaderToken, { detected_at: "2026-11-23T10:00:00+01:00" }),
      detection(loaderToken, { adblock: false, itp: true }),
    ];
    const first = await post({ detections: batch });
    assertEquals([first.status, await first.json()], [202, { stored: 2, duplicates: 0, unknown_loader_token: 0 }]);
    const retry = await post({ detections: [...batch, batch[0]] });
    assertEquals([retry.status, await retry.json()], [202, { stored: 0, duplicates: 3, unknown_loader_token: 0 }]);
    const rows = await sql`
      select session_id, adblock, itp, detected_at from public.loader_sessions
      where container_id = ${containerId} order by adblock desc`;
    assertEquals(rows.map((r) => [r.session_id, r.adblock, r.itp]), batch.map((d) => [d.session_id, d.adblock, d.itp]));
    assertEquals(rows[0]!.detected_at.toISOString(), "2026-11-23T09:00:00.000Z");
  });

  await t.step("a session twice in one fresh batch is stored once", async () => {
    const twice = detection(loaderToken);
    const response = await post({ detections: [twice, { ...twice, adblock: false }] });
    assertEquals([response.status, await response.json()], [202, { stored: 1, duplicates: 1, unknown_loader_token: 0 }]);
  });

  await t.step("unknown loader tokens and deleted containers are skipped and counted", async () => {
    const deleted = await seedContainer(sql, { status: "deleted" });
    const response = await post({
      detections: [detection(randomToken("lt")), detection(deleted.loaderToken), detection(loaderToken)],
    });
    assertEquals([response.status, await response.json()], [202, { stored: 1, duplicates: 0, unknown_loader_token: 2 }]);
  });

  await t.step("an empty batch is accepted", async () => {
    const response = await post({ detections: [] });
    assertEquals([response.status, (await response.json()).stored], [202, 0]);
  });

  await t.step("bad bodies: 400 invalid_body", async () => {
    const bad = [
      "not json",
      {},
      { detections: [detection(loaderToken, { adblock: "yes" })] },
      { detections: [detection("short")] },
      { detections: [detection(loaderToken, { session_id: "" })] },
      { detections: [detection(loaderToken, { detected_at: "yesterday" })] },
      { detections: [detection(loaderToken, { extra: 1 })] },
      { detections: Array.from({ length: MAX_DETECTIONS + 1 }, () => detection(loaderToken)) },
    ];
    for (const body of bad) {
      const response = await post(body);
      assertEquals([response.status, (await response.json()).error], [400, "invalid_body"], JSON.stringify(body).slice(0, 80));
    }
  });

  await t.step("without the right X-Edge-Auth: 401, nothing stored", async () => {
    const sessionId = crypto.randomUUID();
    for (const secret of [null, "", "wrong", `${Deno.env.get("EDGE_AUTH_SECRET")}x`]) {
      const response = await post({ detections: [detection(loaderToken, { session_id: sessionId })] }, secret);
      assertEquals([response.status, (await response.json()).error], [401, "unauthorized"]);
    }
    assertEquals((await sql`select 1 from public.loader_sessions where session_id = ${sessionId}`).length, 0);
  });

  await t.step("only POST", async () => {
    const response = await sessionDetections.fetch(new Request("http://functions.test/session-detections"));
    assertEquals(response.status, 405);
  });
});
