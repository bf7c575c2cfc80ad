/**
 * Writes what changed: an alert that opens or resolves and its deliveries (one per enabled
 * target of the client) in one transaction, so a crash between the two loses no message
 * and a rerun sends no second one (the open-condition and once-per-event unique indexes).
 * An alert seen again only moves last_seen_at and its details.
 */
import type { Sql } from "../_shared/db.ts";
import type { Finding, OpenAlert, Transitions } from "./conditions.ts";
import { type AlertEvent, type AlertPayload, alertText } from "./message.ts";

type Tx = Sql;

export interface ContainerRef {
  client_id: string;
  name: string;
}

export interface AlertChange {
  id: string;
  container_id: string;
  kind: string;
  subject: string;
}

export async function openAlerts(sql: Sql): Promise<OpenAlert[]> {
  const rows = await sql<{ id: string; container_id: string; kind: OpenAlert["kind"]; subject: string }[]>`
    select id, container_id, kind, subject from public.alerts where status = 'open'`;
  return rows.map((row) => ({ id: row.id, containerId: row.container_id, kind: row.kind, subject: row.subject }));
}

export async function applyTransitions(
  sql: Sql,
  changes: Transitions,
  containers: Map<string, ContainerRef>,
): Promise<{ opened: AlertChange[]; resolved: AlertChange[] }> {
  const opened: AlertChange[] = [];
  const resolved: AlertChange[] = [];
  for (const finding of changes.opened) {
    const container = containers.get(finding.containerId);
    if (!container) continue;
    const id = await sql.begin((tx) => openOne(tx as unknown as Tx, finding, container));
    if (id) opened.push({ id, container_id: finding.containerId, kind: finding.kind, subject: finding.subject });
  }
  for (const { alert, finding } of changes.seen) {
    await sql`
      update public.alerts set last_seen_at = now(), details = ${sql.json(finding.details as never)}
      where id = ${alert.id} and status = 'open'`;
  }
  for (const alert of changes.resolved) {
    const done = await sql.begin((tx) => resolveOne(tx as unknown as Tx, alert.id));
    if (done) resolved.push({ id: alert.id, container_id: alert.containerId, kind: alert.kind, subject: alert.subject });
  }
  return { opened, resolved };
}

async function openOne(tx: Tx, finding: Finding, container: ContainerRef): Promise<string | null> {
  const [row] = await tx`
    insert into public.alerts (client_id, container_id, kind, subject, details)
    values (${container.client_id}, ${finding.containerId}, ${finding.kind}, ${finding.subject}, ${tx.json(finding.details as never)})
    on conflict (container_id, kind, subject) where status = 'open' do nothing
    returning id`;
  if (!row) return null;
  await enqueue(tx, row.id, "opened");
  return row.id;
}

async function resolveOne(tx: Tx, alertId: string): Promise<boolean> {
  const [row] = await tx`
    update public.alerts set status = 'resolved', resolved_at = now()
    where id = ${alertId} and status = 'open' returning id`;
  if (!row) return false;
  await enqueue(tx, alertId, "resolved");
  return true;
}

/** One delivery per enabled target of the alert's client, its payload fixed now. */
async function enqueue(tx: Tx, alertId: string, event: Exclude<AlertEvent, "test">): Promise<void> {
  const [alert] = await tx`
    select a.id, a.client_id, a.container_id, c.name as container_name, a.kind, a.subject, a.details,
           a.first_seen_at, a.resolved_at
    from public.alerts a join public.sgtm_containers c on c.id = a.container_id where a.id = ${alertId}`;
  const targets = await tx<{ id: string }[]>`
    select id from public.alert_targets where client_id = ${alert!.client_id} and enabled order by created_at, id`;
  for (const target of targets) {
    const id = crypto.randomUUID();
    const payload = buildPayload(id, event, alert!);
    await tx`
      insert into public.alert_deliveries (id, alert_id, target_id, event, payload)
      values (${id}, ${alertId}, ${target.id}, ${event}, ${tx.json(payload as never)})
      on conflict (alert_id, target_id, event) where alert_id is not null do nothing`;
  }
}

function buildPayload(id: string, event: AlertEvent, alert: Record<string, unknown>): AlertPayload {
  const base = {
    id,
    event,
    alert_id: alert.id as string,
    kind: alert.kind as AlertPayload["kind"],
    subject: alert.subject as string,
    container_id: alert.container_id as string,
    container_name: alert.container_name as string,
    client_id: alert.client_id as string,
    first_seen_at: iso(alert.first_seen_at),
    resolved_at: iso(alert.resolved_at),
    details: alert.details as Record<string, unknown>,
  };
  return { ...base, text: alertText(base) };
}

/**
 * A test delivery to every enabled target of the container's client; returns their ids
 * (none: the client has no target). Not an alert: nothing opens or resolves.
 */
export async function enqueueTest(sql: Sql, containerId: string): Promise<string[] | null> {
  const [container] = await sql`
    select id, client_id, name from public.sgtm_containers where id = ${containerId} and status <> 'deleted'`;
  if (!container) return null;
  const targets = await sql<{ id: string }[]>`
    select id from public.alert_targets where client_id = ${container.client_id} and enabled order by created_at, id`;
  const ids: string[] = [];
  for (const target of targets) {
    const id = crypto.randomUUID();
    const base = {
      id,
      event: "test" as const,
      alert_id: null,
      kind: "test" as const,
      subject: "",
      container_id: container.id,
      container_name: container.name,
      client_id: container.client_id,
      first_seen_at: null,
      resolved_at: null,
      details: { message: "a test of this alert target: nothing is wrong" },
    };
    const payload: AlertPayload = { ...base, text: alertText(base) };
    await sql`
      insert into public.alert_deliveries (id, target_id, event, payload)
      values (${id}, ${target.id}, 'test', ${sql.json(payload as never)})`;
    ids.push(id);
  }
  return ids;
}

function iso(value: unknown): string | null {
  return value instanceof Date ? value.toISOString() : typeof value === "string" ? value : null;
}
