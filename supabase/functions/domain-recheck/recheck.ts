/**
 * The nightly re-check of hostnames (contract section 11): every verified
 * hostname's routing record is looked up again; one that does not point at its
 * container on LAPSE_AFTER_FAILURES checks in a row becomes `lapsed`, is removed
 * at the edge provider and stops routing (pushed to the edge). A DNS error
 * counts neither way. Pending claims older than PENDING_DAYS become `expired`.
 */
import type { Sql } from "../_shared/db.ts";
import type { DnsResolver } from "../_shared/dns.ts";
import { checkDomain, type DomainPolicy } from "../_shared/domain-checks.ts";
import { DOMAIN_SELECT, type DomainRow, LAPSE_AFTER_FAILURES, PENDING_DAYS } from "../_shared/domains.ts";
import type { EdgeActivation } from "../_shared/edge-activation.ts";
import type { EdgeAdmin } from "../_shared/edge-admin.ts";
import { syncContainer } from "../_shared/edge-sync.ts";

export interface RecheckDeps {
  sql: Sql;
  edge: () => EdgeAdmin;
  dns: () => DnsResolver;
  activation: () => EdgeActivation;
  policy: DomainPolicy;
}

export interface RecheckReport {
  checked: number;
  /** Verified hostnames whose routing record is elsewhere, not lapsed yet. */
  failing: string[];
  lapsed: string[];
  expired: string[];
  /** Containers whose lapse the edge has not confirmed (the outbox retries). */
  unsynced: string[];
}

export async function recheckDomains(deps: RecheckDeps, concurrency = 4): Promise<RecheckReport> {
  const { sql } = deps;
  const expired = await sql<{ id: string }[]>`
    update public.site_domains set verification_state = 'expired', state_changed_at = now()
    where verification_state = 'pending' and created_at < now() - make_interval(days => ${PENDING_DAYS})
    returning id`;
  const verified = await sql.unsafe<DomainRow[]>(
    `select ${DOMAIN_SELECT} from public.site_domains d
       join public.sites s on s.id = d.site_id join public.sgtm_containers c on c.id = s.container_id
     where d.verification_state = 'verified' and public.edge_config_live(c.status) order by d.id`,
  );
  const failing: string[] = [];
  const lapsed: string[] = [];
  const queue = [...verified];
  const worker = async () => {
    for (let row = queue.shift(); row; row = queue.shift()) {
      const verdict = await recheckOne(deps, row);
      if (verdict === "failing") failing.push(row.id);
      if (verdict === "lapsed") lapsed.push(row.id);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, verified.length) }, worker));

  const unsynced: string[] = [];
  const lapsedContainers = new Set(verified.filter((row) => lapsed.includes(row.id)).map((row) => row.container_id));
  for (const containerId of lapsedContainers) {
    const outcome = await syncContainer(sql, deps.edge(), containerId);
    if (outcome.kind !== "synced") unsynced.push(containerId);
  }
  return { checked: verified.length, failing: failing.sort(), lapsed: lapsed.sort(), expired: expired.map((r) => r.id).sort(), unsynced };
}

async function recheckOne(deps: RecheckDeps, row: DomainRow): Promise<"ok" | "unknown" | "failing" | "lapsed"> {
  const { sql } = deps;
  const check = await checkDomain(
    deps.dns(),
    { hostname: row.hostname, challenge: row.challenge, edgeHostname: row.edge_hostname, sameOrigin: row.same_origin },
    deps.policy,
    false,
  );
  const problems = sql.json(check.problems as never);
  if (check.routing === "ok" || check.routing === "error") {
    await sql`
      update public.site_domains set checked_at = now(), problems = ${problems},
        routing_failures = case when ${check.routing === "ok"} then 0 else routing_failures end
      where id = ${row.id}`;
    return check.routing === "ok" ? "ok" : "unknown";
  }
  const failures = row.routing_failures + 1;
  if (failures < LAPSE_AFTER_FAILURES) {
    await sql`update public.site_domains set checked_at = now(), problems = ${problems}, routing_failures = ${failures} where id = ${row.id}`;
    return "failing";
  }
  const released: { ok: true } | { ok: false; message: string } = row.provider_hostname_id
    ? await deps.activation().deactivate(row.provider_hostname_id)
    : { ok: true };
  if (!released.ok) console.error(`domain-recheck: provider kept ${row.hostname}: ${released.message}`);
  await sql`
    update public.site_domains set verification_state = 'lapsed', state_changed_at = now(), checked_at = now(),
      problems = ${problems}, routing_failures = ${failures},
      provider_hostname_id = case when ${released.ok} then null else provider_hostname_id end,
      provider_status = case when ${released.ok} then null else provider_status end
    where id = ${row.id} and verification_state = 'verified'`;
  return "lapsed";
}
