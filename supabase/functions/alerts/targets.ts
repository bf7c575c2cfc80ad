/**
 * A client's alert targets: a webhook (https; its signing secret is answered once, on
 * creation) or an email address. Webhook URLs may not name an address literal of this
 * network (loopback, private, link-local) nor carry credentials: the job POSTs to them.
 * ALERT_WEBHOOK_ALLOW_HTTP=true (local platform and tests only) also allows http:// and
 * loopback, where the local receivers listen.
 */
import { z } from "zod";
import type { Sql } from "../_shared/db.ts";

export const targetBodySchema = z.object({
  client_id: z.string().uuid(),
  kind: z.enum(["webhook", "email"]),
  url: z.string().max(2048).optional(),
  email: z.string().max(254).regex(/^[^@\s<>,;"]+@[^@\s<>,;"]+\.[^@\s<>,;"]+$|^[^@\s<>,;"]+@localhost$/, "must be an email address").optional(),
}).strict().superRefine((body, ctx) => {
  if (body.kind === "webhook" && (body.url === undefined || body.email !== undefined)) {
    ctx.addIssue({ code: "custom", path: ["url"], message: "a webhook target has a url and no email" });
  }
  if (body.kind === "email" && (body.email === undefined || body.url !== undefined)) {
    ctx.addIssue({ code: "custom", path: ["email"], message: "an email target has an email and no url" });
  }
});
export type TargetBody = z.output<typeof targetBodySchema>;

/** Why `url` may not be a webhook target, or null when it may. */
export function webhookUrlProblem(url: string, allowHttp: boolean): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "must be an absolute URL";
  }
  if (parsed.protocol !== "https:" && !(allowHttp && parsed.protocol === "http:")) return "must be https";
  if (parsed.username || parsed.password) return "must not carry credentials";
  if (!allowHttp && isInternalHost(parsed.hostname)) return "must not name a loopback, private or link-local address";
  return null;
}

function isInternalHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost") || host.endsWith(".internal")) return true;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return a === 0 || a === 10 || a === 127 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127) || a >= 224;
  }
  if (host.includes(":")) return host === "::" || host === "::1" || /^f[cd]/.test(host) || /^fe[89ab]/.test(host) || host.startsWith("::ffff:");
  return false;
}

export interface TargetView {
  id: string;
  client_id: string;
  kind: string;
  url: string | null;
  email: string | null;
  enabled: boolean;
  created_at: string;
}

export async function listTargets(sql: Sql, clientId: string): Promise<TargetView[]> {
  return await sql<TargetView[]>`
    select id, client_id, kind, url, email, enabled, created_at from public.alert_targets
    where client_id = ${clientId} order by created_at, id`;
}

export async function createTarget(sql: Sql, body: TargetBody): Promise<TargetView & { secret: string }> {
  const [row] = await sql<(TargetView & { secret: string })[]>`
    insert into public.alert_targets (client_id, kind, url, email)
    values (${body.client_id}, ${body.kind}, ${body.url ?? null}, ${body.email ?? null})
    returning id, client_id, kind, url, email, enabled, created_at, secret`;
  return row!;
}

export async function deleteTarget(sql: Sql, id: string): Promise<boolean> {
  const rows = await sql`delete from public.alert_targets where id = ${id} returning id`;
  return rows.length > 0;
}

export async function targetClient(sql: Sql, id: string): Promise<string | null> {
  const [row] = await sql`select client_id from public.alert_targets where id = ${id}`;
  return row?.client_id ?? null;
}
