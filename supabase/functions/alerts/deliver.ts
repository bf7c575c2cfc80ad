/**
 * Sends the due rows of public.alert_deliveries: webhooks (POST, signed) and email (SMTP).
 * A row is claimed by pushing its next attempt out by CLAIM_SECONDS (skip locked), so two
 * runs never send it at once and one that dies mid-send is retried: at least once, with the
 * row's id as the stable delivery id. A failure waits backoffMs(attempts) before the next
 * try, in a later run (one run tries a row once); after maxAttempts the row is `failed`.
 */
import type { Sql } from "../_shared/db.ts";
import { type AlertPayload, backoffMs, emailSubject, emailText, signBody } from "./message.ts";

const CLAIM_SECONDS = 120;
const BATCH = 100;

export type SendResult = { ok: true } | { ok: false; error: string };

export interface Senders {
  webhook(url: string, body: string, headers: Record<string, string>): Promise<SendResult>;
  email(to: string, subject: string, text: string): Promise<SendResult>;
  /** Ends open connections (the SMTP transport). */
  close?(): void;
}

export interface DeliveryOptions {
  retryBaseMs: number;
  maxAttempts: number;
}

export interface DeliveryReport {
  delivered: string[];
  retrying: string[];
  failed: string[];
}

interface ClaimedRow {
  id: string;
  attempts: number;
  payload: AlertPayload;
  kind: "webhook" | "email";
  url: string | null;
  email: string | null;
  secret: string;
}

/** Sends every due delivery (or only those with `ids`); returns what became of each. */
export async function deliverDue(sql: Sql, senders: Senders, options: DeliveryOptions, ids?: string[]): Promise<DeliveryReport> {
  const report: DeliveryReport = { delivered: [], retrying: [], failed: [] };
  const tried: string[] = [];
  for (;;) {
    const rows = await claim(sql, tried, ids);
    if (rows.length === 0) return report;
    tried.push(...rows.map((row) => row.id));
    await Promise.all(rows.map(async (row) => {
      const result = await sendOne(senders, row).catch((error): SendResult => ({ ok: false, error: describe(error) }));
      if (result.ok) {
        await sql`update public.alert_deliveries set status = 'delivered', delivered_at = now(), last_error = null where id = ${row.id}`;
        report.delivered.push(row.id);
      } else if (row.attempts >= options.maxAttempts) {
        await sql`update public.alert_deliveries set status = 'failed', last_error = ${result.error.slice(0, 500)} where id = ${row.id}`;
        report.failed.push(row.id);
      } else {
        const waitMs = backoffMs(row.attempts, options.retryBaseMs);
        await sql`
          update public.alert_deliveries
          set last_error = ${result.error.slice(0, 500)}, next_attempt_at = now() + make_interval(secs => ${waitMs / 1000})
          where id = ${row.id}`;
        report.retrying.push(row.id);
      }
    }));
    if (ids) return report;
  }
}

async function claim(sql: Sql, tried: string[], ids?: string[]): Promise<ClaimedRow[]> {
  const only = ids ?? null;
  return await sql<ClaimedRow[]>`
    with due as (
      select d.id from public.alert_deliveries d
      where d.status = 'pending' and d.next_attempt_at <= now()
        and (${only}::uuid[] is null or d.id = any(${only}::uuid[])) and not (d.id = any(${tried}::uuid[]))
      order by d.next_attempt_at limit ${BATCH}
      for update skip locked
    ), claimed as (
      update public.alert_deliveries d
      set attempts = d.attempts + 1, next_attempt_at = now() + make_interval(secs => ${CLAIM_SECONDS})
      from due where d.id = due.id
      returning d.id, d.attempts, d.payload, d.target_id
    )
    select c.id, c.attempts, c.payload, t.kind, t.url, t.email, t.secret
    from claimed c join public.alert_targets t on t.id = c.target_id`;
}

async function sendOne(senders: Senders, row: ClaimedRow): Promise<SendResult> {
  if (row.kind === "email") return await senders.email(row.email!, emailSubject(row.payload), emailText(row.payload));
  const body = JSON.stringify(row.payload);
  return await senders.webhook(row.url!, body, {
    "content-type": "application/json",
    "x-qaxal-delivery": row.payload.id,
    "x-qaxal-event": row.payload.event,
    "x-qaxal-signature": await signBody(row.secret, body),
  });
}

export function describe(error: unknown): string {
  if (error instanceof DOMException && error.name === "TimeoutError") return "timed out";
  return error instanceof Error ? error.message : String(error);
}
