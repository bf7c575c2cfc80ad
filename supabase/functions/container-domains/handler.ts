/**
 * container-domains (Bearer user JWT, owner/admin of the container's client), contract section 11:
 *   POST   /container-domains              add a hostname (pending) -> its TXT challenge and routing record
 *   GET    /container-domains?container_id= the container's hostnames and their states
 *   POST   /container-domains/{id}/verify  check DNS now; verified -> activated and routed before the 200
 *   DELETE /container-domains/{id}         stop routing it (edge confirmed) and forget it
 * Someone outside the client gets 404 (nothing is revealed), a plain member 403.
 * Every change is pushed to the edge before the answer: when the edge does not
 * confirm, 502 (the change is kept and the outbox retries the push).
 */
import { HttpError } from "../../../src/shared/errors.ts";
import { UUID_RE } from "../../../src/shared/ids.ts";
import type { Sql } from "../_shared/db.ts";
import type { DnsResolver } from "../_shared/dns.ts";
import { checkDomain, type DomainPolicy } from "../_shared/domain-checks.ts";
import { domainById, domainsOfContainer, domainView, markVerified, recordCheck } from "../_shared/domains.ts";
import type { EdgeActivation } from "../_shared/edge-activation.ts";
import type { EdgeAdmin } from "../_shared/edge-admin.ts";
import { type SyncOutcome, syncContainer } from "../_shared/edge-sync.ts";
import { json, readJsonBody, requireMethod } from "../_shared/http.ts";
import { requireUser } from "../sgtm-containers/auth.ts";
import { canManage, clientRole } from "../sgtm-containers/store.ts";
import { addDomainBodySchema, type AddDomainRequest } from "./body.ts";

const ROUTE = /\/container-domains(?:\/([^/]+)(?:\/(verify))?)?\/?$/;
/** EdgeConfig allows 100 tracked domains per site; a container's live claims stay under that. */
export const MAX_LIVE_DOMAINS = 100;

export interface DomainsDeps {
  sql: Sql;
  edge: () => EdgeAdmin;
  dns: () => DnsResolver;
  activation: () => EdgeActivation;
  policy: () => DomainPolicy;
  edgeZone: () => string;
}

export async function containerDomains(request: Request, deps: DomainsDeps): Promise<Response> {
  const url = new URL(request.url);
  const route = ROUTE.exec(url.pathname);
  if (!route) throw notFound("unknown path");
  const [, id, action] = route;
  const userId = await requireUser(request);
  if (!id) {
    requireMethod(request, "GET", "POST");
    if (request.method === "GET") return json(await list(deps, userId, url.searchParams.get("container_id") ?? ""));
    const body = await readJsonBody(request, addDomainBodySchema(deps.edgeZone()));
    return json(await add(deps, userId, body), 201);
  }
  const domainId = decodeURIComponent(id);
  if (action === "verify") {
    requireMethod(request, "POST");
    return json(await verify(deps, userId, domainId));
  }
  requireMethod(request, "DELETE");
  return json(await remove(deps, userId, domainId));
}

function notFound(message = "no such container or domain"): HttpError {
  return new HttpError(404, { error: "not_found", message });
}

/** 404 outside the client, 403 for a member who may not manage it. */
async function requireManager(sql: Sql, clientId: string, userId: string): Promise<void> {
  const role = await clientRole(sql, clientId, userId);
  if (role === null) throw notFound();
  if (!canManage(role)) {
    throw new HttpError(403, { error: "forbidden", message: "only an owner or admin of the client may manage domains" });
  }
}

async function liveContainer(sql: Sql, userId: string, containerId: string) {
  if (!UUID_RE.test(containerId)) throw notFound();
  const [container] = await sql<{ id: string; client_id: string }[]>`
    select id, client_id from public.sgtm_containers where id = ${containerId} and status in ('active', 'paused')`;
  if (!container) throw notFound();
  await requireManager(sql, container.client_id, userId);
  return container;
}

async function managedDomain(sql: Sql, userId: string, domainId: string) {
  if (!UUID_RE.test(domainId)) throw notFound();
  const row = await domainById(sql, domainId);
  if (!row) throw notFound();
  await requireManager(sql, row.client_id, userId);
  return row;
}

/** The edge must confirm the container's current config; otherwise 502 (the outbox keeps retrying). */
async function pushOrFail(deps: DomainsDeps, containerId: string): Promise<void> {
  const outcome: SyncOutcome = await syncContainer(deps.sql, deps.edge(), containerId);
  if (outcome.kind === "synced" || outcome.kind === "not_found") return;
  console.error(`container-domains: push of ${containerId} not confirmed: ${JSON.stringify(outcome)}`);
  throw new HttpError(502, {
    error: outcome.kind === "edge_rejected" ? "edge_rejected" : "edge_unavailable",
    message: "the change is saved but the edge has not confirmed it yet; it is retried automatically",
  });
}

async function list(deps: DomainsDeps, userId: string, containerId: string) {
  const container = await liveContainer(deps.sql, userId, containerId);
  const policy = deps.policy();
  return { domains: (await domainsOfContainer(deps.sql, container.id)).map((row) => domainView(row, policy)) };
}

async function add(deps: DomainsDeps, userId: string, body: AddDomainRequest) {
  const { sql } = deps;
  const container = await liveContainer(sql, userId, body.container_id);
  const sites = await sql<{ id: string; primary_host: string }[]>`
    select id, primary_host from public.sites where container_id = ${container.id} order by created_at, id`;
  const site = body.site_id
    ? sites.find((s) => s.id === body.site_id)
    : sites.find((s) => s.primary_host === body.hostname) ?? sites[0];
  if (!site) {
    throw new HttpError(400, {
      error: "invalid_body",
      message: "body does not match the expected shape",
      issues: [{ path: "site_id", message: "is not a site of this container" }],
    });
  }
  const [verifiedElsewhere] = await sql`
    select 1 from public.site_domains d join public.sites s on s.id = d.site_id
    where d.hostname = ${body.hostname} and d.verification_state = 'verified' and s.container_id <> ${container.id}`;
  if (verifiedElsewhere) {
    throw new HttpError(409, {
      error: "domain_taken",
      message: `${body.hostname} is verified for another container`,
      domain: body.hostname,
    });
  }
  const existing = (await domainsOfContainer(sql, container.id))
    .find((d) => d.hostname === body.hostname && (d.verification_state === "pending" || d.verification_state === "verified"));
  let domainId = existing?.id;
  if (!domainId) {
    const [counted] = await sql<{ live: number }[]>`
      select count(*)::int as live from public.site_domains d join public.sites s on s.id = d.site_id
      where s.container_id = ${container.id} and d.verification_state in ('pending', 'verified')`;
    if (counted!.live >= MAX_LIVE_DOMAINS) {
      throw new HttpError(409, { error: "too_many_domains", message: `a container holds at most ${MAX_LIVE_DOMAINS} hostnames` });
    }
    const [row] = await sql<{ id: string }[]>`
      insert into public.site_domains (site_id, hostname, is_primary)
      values (${site.id}, ${body.hostname}, ${site.primary_host === body.hostname})
      returning id`;
    domainId = row!.id;
    await pushOrFail(deps, container.id);
  }
  return { domain: domainView((await domainById(sql, domainId))!, deps.policy()) };
}

async function verify(deps: DomainsDeps, userId: string, domainId: string) {
  const { sql } = deps;
  const row = await managedDomain(sql, userId, domainId);
  const policy = deps.policy();
  const claim = { hostname: row.hostname, challenge: row.challenge, edgeHostname: row.edge_hostname, sameOrigin: row.same_origin };
  const check = await checkDomain(deps.dns(), claim, policy);
  if (row.verification_state === "verified" || !check.ok) {
    await recordCheck(sql, row.id, check.problems);
    return { domain: domainView((await domainById(sql, row.id))!, policy) };
  }
  // A same-origin host never reaches the edge provider (its proxy calls the edge hostname): nothing to activate.
  const activation = row.provider_hostname_id || row.same_origin ? null : await deps.activation().activate(row.hostname);
  if (activation && !activation.ok) {
    await recordCheck(sql, row.id, [{ code: "activation_failed", message: `The edge provider did not accept ${row.hostname}: ${activation.message}` }]);
    return { domain: domainView((await domainById(sql, row.id))!, policy) };
  }
  const outcome = await markVerified(sql, row, activation?.ok ? activation.activation : null);
  if (!outcome.ok) {
    if (activation?.ok) await deps.activation().deactivate(activation.activation.id);
    await recordCheck(sql, row.id, [{ code: "domain_taken", message: `${row.hostname} is verified for another container.` }]);
    return { domain: domainView((await domainById(sql, row.id))!, policy) };
  }
  await pushOrFail(deps, row.container_id);
  return { domain: domainView((await domainById(sql, row.id))!, policy) };
}

async function remove(deps: DomainsDeps, userId: string, domainId: string) {
  const row = await managedDomain(deps.sql, userId, domainId);
  if (row.provider_hostname_id) {
    const done = await deps.activation().deactivate(row.provider_hostname_id);
    if (!done.ok) {
      throw new HttpError(502, { error: "edge_provider_failed", message: `the edge provider did not remove ${row.hostname}: ${done.message}` });
    }
  }
  await deps.sql`delete from public.site_domains where id = ${row.id}`;
  await pushOrFail(deps, row.container_id);
  return { deleted: true };
}
