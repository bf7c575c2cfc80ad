/**
 * alerts (docs/control-plane-api.md):
 *   POST   /alerts [{container_ids}]   the job (service role): evaluate every condition (of every live
 *                                      container, or of those named), open and resolve alerts, send
 *                                      what is due
 *   GET    /alerts?container_id=&status=open|resolved|all
 *                                      alerts, newest first (service role; a member: their container's)
 *   POST   /alerts/test {container_id} a test message to every target of the container's client, now
 *   GET    /alerts/targets?client_id=  the client's targets (no secrets)
 *   POST   /alerts/targets {client_id, kind, url|email}
 *                                      201 with the webhook's signing secret, shown this once
 *   DELETE /alerts/targets/{id}
 * test and targets: the service role, or an owner/admin of the client (someone outside it 404,
 * a plain member 403).
 */
import { HttpError } from "../../../src/shared/errors.ts";
import { UUID_RE } from "../../../src/shared/ids.ts";
import type { Sql } from "../_shared/db.ts";
import type { EdgeAdmin } from "../_shared/edge-admin.ts";
import { isServiceRoleCaller, json, readJsonBody, requireMethod } from "../_shared/http.ts";
import { requireUser } from "../sgtm-containers/auth.ts";
import { canManage, clientRole } from "../sgtm-containers/store.ts";
import { type AlertPolicy, transitions } from "./conditions.ts";
import { type DeliveryOptions, deliverDue, type Senders } from "./deliver.ts";
import { evaluate, type Probe } from "./evaluate.ts";
import { applyTransitions, enqueueTest, openAlerts } from "./store.ts";
import { createTarget, deleteTarget, listTargets, targetBodySchema, targetClient, webhookUrlProblem } from "./targets.ts";
import { z } from "zod";

const ROUTE = /\/alerts(?:\/(test|targets)(?:\/([^/]+))?)?\/?$/;
const LIST_LIMIT = 200;
const runBodySchema = z.object({ container_ids: z.array(z.string().uuid()).min(1).max(100).optional() }).strict();

export interface AlertsDeps {
  sql: Sql;
  edge: () => EdgeAdmin;
  senders: () => Senders;
  probe: Probe;
  policy: AlertPolicy;
  delivery: DeliveryOptions;
  allowHttpWebhooks: boolean;
  now?: () => number;
}

type Caller = { service: true } | { service: false; userId: string };

export async function alerts(request: Request, deps: AlertsDeps): Promise<Response> {
  const url = new URL(request.url);
  const route = ROUTE.exec(url.pathname);
  if (!route) throw notFound("unknown path");
  const [, section, id] = route;
  const caller: Caller = isServiceRoleCaller(request) ? { service: true } : { service: false, userId: await requireUser(request) };
  if (!section) {
    requireMethod(request, "GET", "POST");
    if (request.method === "GET") return json(await list(deps.sql, caller, url.searchParams));
    if (!caller.service) throw new HttpError(403, { error: "forbidden", message: "the alerts job runs as the service role" });
    const body = await readJsonBody(request, runBodySchema);
    return json(await runJob(deps, body.container_ids));
  }
  if (section === "test") {
    if (id) throw notFound("unknown path");
    requireMethod(request, "POST");
    const body = await readJsonBody(request, z.object({ container_id: z.string().uuid() }).strict());
    return json(await sendTest(deps, caller, body.container_id));
  }
  if (id) {
    requireMethod(request, "DELETE");
    const targetId = decodeURIComponent(id);
    const clientId = UUID_RE.test(targetId) ? await targetClient(deps.sql, targetId) : null;
    if (!clientId) throw notFound("no such target");
    await requireManager(deps.sql, caller, clientId, "no such target");
    await deleteTarget(deps.sql, targetId);
    return json({ deleted: true });
  }
  requireMethod(request, "GET", "POST");
  if (request.method === "GET") {
    const clientId = url.searchParams.get("client_id") ?? "";
    if (!UUID_RE.test(clientId)) throw invalidQuery("client_id", "must be a client uuid");
    await requireManager(deps.sql, caller, clientId, "no such client");
    return json({ targets: await listTargets(deps.sql, clientId) });
  }
  const body = await readJsonBody(request, targetBodySchema);
  await requireManager(deps.sql, caller, body.client_id, "no such client");
  const problem = body.url === undefined ? null : webhookUrlProblem(body.url, deps.allowHttpWebhooks);
  if (problem) {
    throw new HttpError(400, { error: "invalid_body", message: "body does not match the expected shape", issues: [{ path: "url", message: problem }] });
  }
  return json(await createTarget(deps.sql, body), 201);
}

/** One pass: evaluate, write the changes with their deliveries, send everything due. */
export async function runJob(deps: AlertsDeps, only?: string[]) {
  const now = deps.now?.() ?? Date.now();
  const evaluation = await evaluate({ sql: deps.sql, edge: deps.edge(), probe: deps.probe, policy: deps.policy, now, only });
  const changes = transitions(await openAlerts(deps.sql), evaluation.findings, evaluation.evaluated);
  const refs = new Map(evaluation.containers.map((c) => [c.id, { client_id: c.client_id, name: c.name }]));
  const written = await applyTransitions(deps.sql, changes, refs);
  const deliveries = await withSenders(deps, (senders) => deliverDue(deps.sql, senders, deps.delivery));
  const [{ open }] = await deps.sql<{ open: number }[]>`select count(*)::int as open from public.alerts where status = 'open'`;
  return {
    containers: evaluation.containers.length,
    opened: written.opened,
    resolved: written.resolved,
    open,
    deliveries,
    unevaluated: evaluation.unevaluated,
  };
}

async function sendTest(deps: AlertsDeps, caller: Caller, containerId: string) {
  const [container] = await deps.sql`select client_id from public.sgtm_containers where id = ${containerId} and status <> 'deleted'`;
  if (!container) throw notFound("no such container");
  await requireManager(deps.sql, caller, container.client_id, "no such container");
  const ids = await enqueueTest(deps.sql, containerId);
  if (!ids || ids.length === 0) {
    throw new HttpError(409, { error: "no_alert_targets", message: "the container's client has no enabled alert target" });
  }
  const report = await withSenders(deps, (senders) => deliverDue(deps.sql, senders, deps.delivery, ids));
  return { container_id: containerId, targets: ids.length, ...report };
}

async function withSenders<T>(deps: AlertsDeps, fn: (senders: Senders) => Promise<T>): Promise<T> {
  const senders = deps.senders();
  try {
    return await fn(senders);
  } finally {
    senders.close?.();
  }
}

async function list(sql: Sql, caller: Caller, query: URLSearchParams) {
  const containerId = query.get("container_id");
  const status = query.get("status") ?? "open";
  if (containerId !== null && !UUID_RE.test(containerId)) throw invalidQuery("container_id", "must be a container uuid");
  if (!["open", "resolved", "all"].includes(status)) throw invalidQuery("status", "must be open, resolved or all");
  if (!caller.service) {
    if (!containerId) throw invalidQuery("container_id", "is required for a user");
    const [row] = await sql`select client_id from public.sgtm_containers where id = ${containerId}`;
    if (!row || !(await clientRole(sql, row.client_id, caller.userId))) throw notFound("no such container");
  }
  const alerts = await sql`
    select id, client_id, container_id, kind, subject, status, details, first_seen_at, last_seen_at, resolved_at
    from public.alerts
    where (${containerId}::uuid is null or container_id = ${containerId}::uuid)
      and (${status} = 'all' or status = ${status})
    order by first_seen_at desc, id limit ${LIST_LIMIT}`;
  return { alerts };
}

async function requireManager(sql: Sql, caller: Caller, clientId: string, hidden: string): Promise<void> {
  if (caller.service) return;
  const role = await clientRole(sql, clientId, caller.userId);
  if (!role) throw notFound(hidden);
  if (!canManage(role)) throw new HttpError(403, { error: "forbidden", message: "owners and admins only" });
}

function notFound(message: string): HttpError {
  return new HttpError(404, { error: "not_found", message });
}

function invalidQuery(path: string, message: string): HttpError {
  return new HttpError(400, { error: "invalid_query", issues: [{ path, message }] });
}
