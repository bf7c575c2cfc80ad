/**
 * Database side of a container's creation: reserve everything in one
 * transaction, then either activate it (provisioner answered) or undo it (failContainer,
 * ../_shared/fail-container.ts: housekeeping undoes a crashed creation the same way).
 */
import type postgres from "postgres";
import type { CreateContainerRequest } from "./body.ts";
import { cookieDomainFor } from "./body.ts";
import { newContainerToken, newEdgeHostname, newLoaderToken } from "./tokens.ts";

type Tx = postgres.TransactionSql;
type Sql = postgres.Sql | Tx;

/** sGTM needs two ports per container: the tagging server and its preview server. */
export const PORTS_PER_CONTAINER = 2;

export const MANAGING_ROLES = ["owner", "admin"] as const;

export interface ReservedSite {
  site_id: string;
  primary_host: string;
  tracked_domains: string[];
  cookie_domain: string;
  container_token: string;
  web_gtm_id: string;
  endpoint_key: string;
  path_prefix: string | null;
  forward_secret: string | null;
}

export interface ReservedContainer {
  id: string;
  loader_token: string;
  edge_hostname: string;
  origin_secret: string;
  ports: number[];
  sites: ReservedSite[];
}

export type Reservation =
  | { ok: true; container: ReservedContainer }
  | { ok: false; error: "domain_taken"; domain: string }
  | { ok: false; error: "no_ports" };

export async function clientRole(sql: Sql, clientId: string, userId: string): Promise<string | null> {
  const [row] = await sql`
    select role from public.client_memberships where client_id = ${clientId} and user_id = ${userId}`;
  return row?.role ?? null;
}

export function canManage(role: string | null): boolean {
  return (MANAGING_ROLES as readonly (string | null)[]).includes(role);
}

/**
 * Inserts the container (status `provisioning`), its subscription, ports and
 * sites, every hostname pending. A refusal is returned before anything is
 * written: only a hostname verified for another container is taken (a pending
 * claim, perhaps a squatter's, never blocks).
 */
export async function reserveContainer(
  tx: Tx,
  input: { request: CreateContainerRequest; userId: string; edgeZone: string; planId: string },
): Promise<Reservation> {
  const domains = input.request.sites.map((site) => site.domain);
  const [taken] = await tx`
    select hostname from public.site_domains
    where hostname = any(${domains}::text[]) and verification_state = 'verified' order by hostname limit 1`;
  if (taken) return { ok: false, error: "domain_taken", domain: taken.hostname };

  const ports = (await tx`
    select port from public.port_pool where container_id is null
    order by port limit ${PORTS_PER_CONTAINER} for update skip locked`).map((row) => row.port as number);
  if (ports.length < PORTS_PER_CONTAINER) return { ok: false, error: "no_ports" };

  const id = crypto.randomUUID();
  const loaderToken = newLoaderToken();
  const edgeHostname = newEdgeHostname(input.edgeZone);
  // The secrets (origin_secret; each site's endpoint_key and forward_secret) come from the
  // database's generator (public.new_url_safe_token), the one every row gets them from.
  const [inserted] = await tx`
    insert into public.sgtm_containers (id, client_id, name, loader_token, edge_hostname, container_config_b64, created_by)
    values (${id}, ${input.request.clientId}, ${input.request.name}, ${loaderToken},
            ${edgeHostname}, ${input.request.containerConfigB64}, ${input.userId})
    returning origin_secret`;
  const container: ReservedContainer = {
    id,
    loader_token: loaderToken,
    edge_hostname: edgeHostname,
    origin_secret: inserted!.origin_secret,
    ports,
    sites: [],
  };
  await tx`
    update public.port_pool set container_id = ${container.id}, allocated_at = now()
    where port = any(${ports}::int[])`;
  await tx`
    insert into public.subscriptions (container_id, plan_id) values (${container.id}, ${input.planId})`;
  for (const [index, request] of input.request.sites.entries()) {
    const site = {
      site_id: crypto.randomUUID(),
      primary_host: request.domain,
      tracked_domains: [],
      cookie_domain: cookieDomainFor(request.domain),
      container_token: newContainerToken(),
      web_gtm_id: request.webGtmId,
      path_prefix: request.pathPrefix ?? null,
    };
    // The EdgeConfig lists sites by created_at and the first is the default
    // site: keep request order although now() is the same for the whole transaction.
    const [row] = await tx`
      insert into public.sites (id, container_id, primary_host, cookie_domain, container_token, web_gtm_id, created_at,
                                path_prefix, forward_secret)
      values (${site.site_id}, ${container.id}, ${site.primary_host}, ${site.cookie_domain},
              ${site.container_token}, ${site.web_gtm_id}, now() + ${index} * interval '1 microsecond',
              ${site.path_prefix}::text,
              case when ${site.path_prefix}::text is null then null else public.new_url_safe_token(32) end)
      returning endpoint_key, forward_secret`;
    container.sites.push({ ...site, endpoint_key: row!.endpoint_key, forward_secret: row!.forward_secret });
    // Pending like every hostname a client names: it routes once verified by DNS
    // (contract section 11, container-domains).
    await tx`
      insert into public.site_domains (site_id, hostname, is_primary)
      values (${site.site_id}, ${site.primary_host}, true)`;
  }
  return { ok: true, container };
}

/** Provisioned: the container gets its origin and goes live; returns its config_version. */
export async function activateContainer(tx: Tx, containerId: string, origin: string): Promise<number> {
  const [row] = await tx`
    update public.sgtm_containers set origin = ${origin}, status = 'active'
    where id = ${containerId} and status = 'provisioning'
    returning config_version`;
  if (!row) throw new Error(`container ${containerId} left provisioning during provisioning`);
  return row.config_version;
}
