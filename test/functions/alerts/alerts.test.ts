/**
 * The alerts job end to end, through the local gateway: real database, a real webhook
 * receiver, the real local SMTP listener (npm smtp-server) and a real origin on loopback.
 * An alert fires once when it opens and once when it resolves: a dead origin, an 80% quota,
 * a 5xx share, a traffic drop, a lapsed domain and unrepaired drift each give exactly one
 * webhook and one email, and one more of each when they recover; reruns send nothing.
 */
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { createHmac } from "node:crypto";
import { startSmtpStandin } from "../../../scripts/dev/standins/smtp.mjs";
import type { Sql } from "../../../supabase/functions/_shared/db.ts";
import { asRole, dbTest, randomLabel, seedContainer } from "../../support/control-plane-db.ts";
import { addMember, type Platform, startPlatform } from "../../support/functions-platform.ts";
import { type Origin, startOrigin, startWebhookReceiver, type WebhookReceiver } from "./receivers.ts";

const ALL_MODULES = { sgtm_proxy: true, gtm_recovery: true, cookie_keeper: true, adblock_itp_detection: true, custom_domain: true };
const HOUR_MS = 3_600_000;

type Smtp = Awaited<ReturnType<typeof startSmtpStandin>>;

interface World {
  sql: Sql;
  platform: Platform;
  smtp: Smtp;
  hooks: WebhookReceiver;
}

const serviceRole = () => Deno.env.get("SUPABASE_SERVICE_ROLE_KEY")!;

async function call(w: World, path: string, init: { method: string; body?: unknown; token?: string }) {
  const response = await w.platform.call(path, {
    method: init.method,
    token: init.token ?? serviceRole(),
    headers: init.body === undefined ? {} : { "content-type": "application/json" },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  return { status: response.status, body: await response.json() };
}

async function runAlerts(w: World, containerId: string) {
  const reply = await call(w, "alerts", { method: "POST", body: { container_ids: [containerId] } });
  assertEquals(reply.status, 200, JSON.stringify(reply.body));
  return reply.body as { opened: { kind: string }[]; resolved: { kind: string }[]; deliveries: { delivered: string[]; retrying: string[]; failed: string[] } };
}

/** What reached the receivers about this container: [event, kind] per webhook and per email. */
function received(w: World, containerId: string) {
  const hooks = w.hooks.received.map((r) => JSON.parse(r.body)).filter((p) => p.container_id === containerId).map((p) => `${p.event} ${p.kind}`);
  const mails = w.smtp.messages.filter((m) => m.text.includes(containerId)).map((m) => m.subject);
  return { hooks, mails };
}

/** A container with its own client and plan (limit 1000), live at the fake edge, whose origin is `origin`. */
async function liveContainer(w: World, origin: string) {
  const label = randomLabel();
  const planId = `alerts-${label}`;
  await w.sql`insert into public.plans (id, name, monthly_request_limit, entitlements) values (${planId}, 'Alerts', 1000, ${w.sql.json(ALL_MODULES)})`;
  const seeded = await seedContainer(w.sql, { status: "active", planId, origin });
  const synced = await call(w, "sync-edge-config", { method: "POST", body: { container_id: seeded.containerId } });
  assertEquals(synced.status, 200, JSON.stringify(synced.body));
  return { ...seeded, planId };
}

/** A webhook and an email target for the client, made by its owner through the API. */
async function targets(w: World, clientId: string, userId: string) {
  const token = await w.platform.tokenFor(userId);
  const hook = await call(w, "alerts/targets", { method: "POST", token, body: { client_id: clientId, kind: "webhook", url: w.hooks.url } });
  assertEquals(hook.status, 201, JSON.stringify(hook.body));
  const mail = await call(w, "alerts/targets", { method: "POST", token, body: { client_id: clientId, kind: "email", email: `ops-${randomLabel()}@example.com` } });
  assertEquals(mail.status, 201, JSON.stringify(mail.body));
  return { secret: hook.body.secret as string, email: mail.body.email as string };
}

dbTest("alerts", async (sql, t) => {
  const platform = await startPlatform();
  const smtp = await startSmtpStandin();
  const hooks = startWebhookReceiver();
  const origin: Origin = startOrigin();
  const w: World = { sql, platform, smtp, hooks };
  const env = { SMTP_URL: smtp.smtpUrl, ALERT_WEBHOOK_ALLOW_HTTP: "true", ALERT_ORIGIN_FAILURES: "2", ALERT_RETRY_BASE_MS: "20" };
  for (const [name, value] of Object.entries(env)) Deno.env.set(name, value);
  try {
    await t.step("a dead origin: one webhook and one email after 2 failed probes in a row, one more each when it is back", async () => {
      const c = await liveContainer(w, origin.url);
      const { secret, email } = await targets(w, c.clientId, c.userId);
      assertEquals((await runAlerts(w, c.containerId)).opened, []);
      ok(origin.probes >= 1, "the origin's /healthy was asked");

      await origin.stop();
      assertEquals((await runAlerts(w, c.containerId)).opened, [], "one failure is not yet down");
      const down = await runAlerts(w, c.containerId);
      assertEquals(down.opened.map((a) => a.kind), ["origin_down"]);
      assertEquals(received(w, c.containerId), { hooks: ["opened origin_down"], mails: [`[Qaxal] Alert: container ${c.edgeHostname.split(".")[0]}: sGTM origin down (/healthy failing)`] });
      await runAlerts(w, c.containerId);
      await runAlerts(w, c.containerId);
      assertEquals(received(w, c.containerId).hooks.length, 1, "still down: nothing more is sent");
      assertEquals(received(w, c.containerId).mails.length, 1);

      // the webhook is Slack-compatible, signed over its exact body, and carries a stable id
      const hook = hooks.received.find((r) => r.body.includes(c.containerId))!;
      const payload = JSON.parse(hook.body);
      ok(typeof payload.text === "string" && payload.text.startsWith("[ALERT]"), payload.text);
      assertEquals(hook.headers.get("x-qaxal-signature"), `sha256=${createHmac("sha256", secret).update(hook.body).digest("hex")}`);
      assertEquals(hook.headers.get("x-qaxal-delivery"), payload.id);
      const mail = smtp.messages.find((m) => m.text.includes(c.containerId))!;
      assertEquals(mail.to, [email]);
      ok(mail.text.includes(`delivery:   `) && mail.text.includes("consecutive_failures 2"), mail.text);

      origin.start();
      const back = await runAlerts(w, c.containerId);
      assertEquals(back.resolved.map((a) => a.kind), ["origin_down"]);
      await runAlerts(w, c.containerId);
      assertEquals(received(w, c.containerId).hooks, ["opened origin_down", "resolved origin_down"]);
      assertEquals(received(w, c.containerId).mails.length, 2);
      ok(received(w, c.containerId).mails[1]!.startsWith("[Qaxal] Resolved:"));
      const [alert] = await sql`select status, first_seen_at, resolved_at from public.alerts where container_id = ${c.containerId}`;
      assertEquals(alert!.status, "resolved");
      ok(alert!.resolved_at > alert!.first_seen_at);
    });

    await t.step("80% of the month's quota (usage stored by billing-usage): one of each, and one more when the plan covers it again", async () => {
      const c = await liveContainer(w, origin.url);
      await targets(w, c.clientId, c.userId);
      const today = new Date().toISOString().slice(0, 10);
      platform.edge.usage.set(c.containerId, new Map([[today, 790]]));
      assertEquals((await call(w, "billing-usage", { method: "POST" })).status, 200);
      assertEquals((await runAlerts(w, c.containerId)).opened, [], "79% is no alert");
      platform.edge.usage.set(c.containerId, new Map([[today, 850]]));
      assertEquals((await call(w, "billing-usage", { method: "POST" })).status, 200);
      assertEquals((await runAlerts(w, c.containerId)).opened.map((a) => a.kind), ["quota_80"]);
      await runAlerts(w, c.containerId);
      assertEquals(received(w, c.containerId), { hooks: ["opened quota_80"], mails: [received(w, c.containerId).mails[0]!] });
      ok(received(w, c.containerId).mails[0]!.includes("80% of the month's request quota used"));

      await sql`update public.plans set monthly_request_limit = 10000 where id = ${c.planId}`;
      assertEquals((await runAlerts(w, c.containerId)).resolved.map((a) => a.kind), ["quota_80"]);
      await runAlerts(w, c.containerId);
      assertEquals(received(w, c.containerId).hooks, ["opened quota_80", "resolved quota_80"]);
      assertEquals(received(w, c.containerId).mails.length, 2);
    });

    await t.step("100%: billing pauses, quota_100 opens next to quota_80", async () => {
      const c = await liveContainer(w, origin.url);
      await targets(w, c.clientId, c.userId);
      platform.edge.usage.set(c.containerId, new Map([[new Date().toISOString().slice(0, 10), 1000]]));
      const billed = await call(w, "billing-usage", { method: "POST" });
      ok(billed.body.paused.includes(c.containerId));
      assertEquals((await runAlerts(w, c.containerId)).opened.map((a) => a.kind).sort(), ["quota_100", "quota_80"]);
      assertEquals(received(w, c.containerId).hooks.sort(), ["opened quota_100", "opened quota_80"]);
    });

    await t.step("5xx share of the last 15 minutes over 5%: opens, and resolves when the errors stop", async () => {
      const c = await liveContainer(w, origin.url);
      await targets(w, c.clientId, c.userId);
      const now = Date.now();
      const lines = (errors: number, total: number) =>
        Array.from({ length: total }, (_, i) => ({ ts: now - 60_000 - i * 1000, status: i < errors ? 503 : 200 }));
      platform.edge.logs.set(c.containerId, [...lines(1, 40), { ts: now - 20 * 60_000, status: 500 }]);
      assertEquals((await runAlerts(w, c.containerId)).opened, [], "1 of 40 (2.5%) is fine; older lines do not count");
      platform.edge.logs.set(c.containerId, lines(30, 300));
      const opened = await runAlerts(w, c.containerId);
      assertEquals(opened.opened.map((a) => a.kind), ["origin_errors"]);
      const [alert] = await sql`select details from public.alerts where container_id = ${c.containerId} and kind = 'origin_errors'`;
      assertEquals(alert!.details.requests, 300, "read over two pages of the log");
      platform.edge.logs.set(c.containerId, lines(5, 10));
      assertEquals((await runAlerts(w, c.containerId)).resolved, [], "too few requests to judge: stays open");
      platform.edge.logs.set(c.containerId, lines(0, 50));
      assertEquals((await runAlerts(w, c.containerId)).resolved.map((a) => a.kind), ["origin_errors"]);
      assertEquals(received(w, c.containerId).hooks, ["opened origin_errors", "resolved origin_errors"]);
      assertEquals(received(w, c.containerId).mails.length, 2);
    });

    await t.step("traffic far below the same hours of the previous 7 days: opens, and resolves when it is back", async () => {
      const c = await liveContainer(w, origin.url);
      await targets(w, c.clientId, c.userId);
      const hour = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
      const key = (ms: number) => new Date(ms).toISOString().slice(0, 13);
      const traffic = new Map<string, number>();
      for (let day = 1; day <= 7; day++) for (let h = 1; h <= 3; h++) traffic.set(key(hour - h * HOUR_MS - day * 24 * HOUR_MS), 100);
      for (let h = 1; h <= 3; h++) traffic.set(key(hour - h * HOUR_MS), 40);
      platform.edge.traffic.set(c.containerId, traffic);
      assertEquals((await runAlerts(w, c.containerId)).opened, [], "120 against 300 is above the 30% line");
      for (let h = 1; h <= 3; h++) traffic.set(key(hour - h * HOUR_MS), 5);
      assertEquals((await runAlerts(w, c.containerId)).opened.map((a) => a.kind), ["traffic_drop"]);
      for (let h = 1; h <= 3; h++) traffic.set(key(hour - h * HOUR_MS), 100);
      assertEquals((await runAlerts(w, c.containerId)).resolved.map((a) => a.kind), ["traffic_drop"]);
      assertEquals(received(w, c.containerId).hooks, ["opened traffic_drop", "resolved traffic_drop"]);
    });

    await t.step("a lapsed domain opens an alert naming it; removing the hostname resolves it", async () => {
      const hostname = `shop-${randomLabel()}.example.org`;
      const c = await liveContainer(w, origin.url);
      await sql`insert into public.site_domains (site_id, hostname, verification_state) values (${c.siteId}, ${hostname}, 'lapsed')`;
      await targets(w, c.clientId, c.userId);
      const opened = await runAlerts(w, c.containerId);
      assertEquals(opened.opened.map((a) => [a.kind, (a as { subject?: string }).subject]), [["domain_unverified", hostname]]);
      await sql`delete from public.site_domains where hostname = ${hostname}`;
      assertEquals((await runAlerts(w, c.containerId)).resolved.map((a) => a.kind), ["domain_unverified"]);
      assertEquals(received(w, c.containerId).hooks, ["opened domain_unverified", "resolved domain_unverified"]);
    });

    await t.step("drift the nightly repair could not fix (edge down during nightly-drift-check): opens; a repaired night resolves it", async () => {
      const c = await liveContainer(w, origin.url);
      await targets(w, c.clientId, c.userId);
      await sql`update public.sgtm_containers set name = ${`renamed ${randomLabel()}`} where id = ${c.containerId}`;
      platform.edge.down = true;
      await call(w, "nightly-drift-check", { method: "POST" });
      const [verdict] = await sql`select verdict from public.drift_checks where container_id = ${c.containerId}`;
      assertEquals(verdict?.verdict, "failed");
      const opened = await runAlerts(w, c.containerId);
      assertEquals(opened.opened.map((a) => a.kind), ["config_drift"]);
      platform.edge.down = false;
      await call(w, "nightly-drift-check", { method: "POST" });
      assertEquals((await runAlerts(w, c.containerId)).resolved.map((a) => a.kind), ["config_drift"]);
      assertEquals(received(w, c.containerId).hooks, ["opened config_drift", "resolved config_drift"]);
    });

    await t.step("a failing webhook is retried with backoff under the same delivery id until it answers 2xx", async () => {
      const c = await liveContainer(w, origin.url);
      await targets(w, c.clientId, c.userId);
      hooks.failNext = 2;
      platform.edge.usage.set(c.containerId, new Map([[new Date().toISOString().slice(0, 10), 900]]));
      await call(w, "billing-usage", { method: "POST" });
      const first = await runAlerts(w, c.containerId);
      assertEquals(first.deliveries.retrying.length, 1, JSON.stringify(first.deliveries));
      for (let i = 0; i < 20 && received(w, c.containerId).hooks.length < 3; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        await runAlerts(w, c.containerId);
      }
      const attempts = hooks.received.filter((r) => r.body.includes(c.containerId));
      assertEquals(attempts.length, 3, "two 500s, then the 200");
      assertEquals(new Set(attempts.map((r) => r.headers.get("x-qaxal-delivery"))).size, 1);
      assertEquals(new Set(attempts.map((r) => r.body)).size, 1, "every retry sends the same bytes");
      const rows = await sql`
        select d.status, d.attempts, t.kind from public.alert_deliveries d join public.alert_targets t on t.id = d.target_id
        join public.alerts a on a.id = d.alert_id where a.container_id = ${c.containerId} order by t.kind`;
      assertEquals(rows.map((r) => [r.kind, r.status, r.attempts]), [["email", "delivered", 1], ["webhook", "delivered", 3]]);
      assertEquals(received(w, c.containerId).mails.length, 1);
    });

    await t.step("alerts test <container>: one test message to every target, no alert", async () => {
      const c = await liveContainer(w, origin.url);
      const none = await call(w, "alerts/test", { method: "POST", body: { container_id: c.containerId } });
      assertEquals([none.status, none.body.error], [409, "no_alert_targets"]);
      await targets(w, c.clientId, c.userId);
      const sent = await call(w, "alerts/test", { method: "POST", body: { container_id: c.containerId } });
      assertEquals(sent.status, 200);
      assertEquals([sent.body.targets, sent.body.delivered.length], [2, 2]);
      assertEquals(received(w, c.containerId).hooks, ["test test"]);
      ok(received(w, c.containerId).mails[0]!.startsWith("[Qaxal] Test:"));
      assertEquals((await sql`select count(*)::int as n from public.alerts where container_id = ${c.containerId}`)[0]!.n, 0);
      const member = await addMember(sql, c.clientId, "member");
      const asMember = await call(w, "alerts/test", { method: "POST", token: await platform.tokenFor(member), body: { container_id: c.containerId } });
      assertEquals(asMember.status, 403);
      const outsider = await call(w, "alerts/test", { method: "POST", token: await platform.tokenFor(crypto.randomUUID()), body: { container_id: c.containerId } });
      assertEquals(outsider.status, 404);
    });

    await t.step("targets: owners and admins only, https only unless ALERT_WEBHOOK_ALLOW_HTTP, the secret shown once", async () => {
      const c = await liveContainer(w, origin.url);
      const owner = await platform.tokenFor(c.userId);
      const member = await platform.tokenFor(await addMember(sql, c.clientId, "member"));
      const body = { client_id: c.clientId, kind: "webhook", url: "https://hooks.example.com/x" };
      assertEquals((await call(w, "alerts/targets", { method: "POST", token: member, body })).status, 403);
      assertEquals((await call(w, "alerts/targets", { method: "POST", token: await platform.tokenFor(crypto.randomUUID()), body })).status, 404);
      Deno.env.delete("ALERT_WEBHOOK_ALLOW_HTTP");
      try {
        for (const url of [w.hooks.url, "https://127.0.0.1/x", "https://10.1.2.3/x", "https://user:pw@hooks.example.com/x"]) {
          const refused = await call(w, "alerts/targets", { method: "POST", token: owner, body: { ...body, url } });
          assertEquals([refused.status, refused.body.issues?.[0]?.path], [400, "url"], url);
        }
        const made = await call(w, "alerts/targets", { method: "POST", token: owner, body });
        assertEquals(made.status, 201);
        ok(made.body.secret.length >= 32);
        const listed = await call(w, "alerts/targets?client_id=" + c.clientId, { method: "GET", token: owner });
        assertEquals(listed.body.targets.map((target: { url: string; secret?: string }) => [target.url, target.secret]), [[body.url, undefined]]);
        assertEquals((await call(w, `alerts/targets/${made.body.id}`, { method: "DELETE", token: member })).status, 403);
        assertEquals((await call(w, `alerts/targets/${made.body.id}`, { method: "DELETE", token: owner })).status, 200);
      } finally {
        Deno.env.set("ALERT_WEBHOOK_ALLOW_HTTP", "true");
      }
      const bad = await call(w, "alerts/targets", { method: "POST", token: owner, body: { client_id: c.clientId, kind: "email", url: "https://x.example" } });
      assertEquals(bad.status, 400);
    });

    await t.step("RLS: members read their client's alerts, nobody else; the signing secret is not readable", async () => {
      const [alert] = await sql`select client_id, container_id from public.alerts limit 1`;
      const memberId = await addMember(sql, alert!.client_id, "member");
      const mine = await asRole(sql, "authenticated", memberId, (tx) => tx`select id from public.alerts where container_id = ${alert!.container_id}`);
      ok(mine.length >= 1);
      const theirs = await asRole(sql, "authenticated", crypto.randomUUID(), (tx) => tx`select id from public.alerts`);
      assertEquals(theirs.length, 0);
      const secret = await asRole(sql, "authenticated", memberId, (tx) => tx`select secret from public.alert_targets`.then(() => "read", (e) => e.message));
      ok(String(secret).includes("permission denied"), String(secret));
      const service = await call(w, `alerts?container_id=${alert!.container_id}&status=all`, { method: "GET" });
      ok(service.body.alerts.length >= 1);
      const outsider = await call(w, `alerts?container_id=${alert!.container_id}`, { method: "GET", token: await platform.tokenFor(crypto.randomUUID()) });
      assertEquals(outsider.status, 404);
    });
  } finally {
    for (const name of Object.keys(env)) Deno.env.delete(name);
    await origin.close();
    await hooks.close();
    await smtp.close();
    await platform.close();
  }
});
