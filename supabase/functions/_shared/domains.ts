/**
 * site_domains rows as the domain functions see them: how one is shown to its
 * client (contract section 11) and the state changes more than one function
 * makes (verify wins over pending claims; a hostname stops routing).
 */
import type postgres from "postgres";
import { challengeName, type DomainPolicy, type Problem } from "./domain-checks.ts";

type Sql = postgres.Sql | postgres.TransactionSql;

/** Pending claims expire after this many days (contract section 11). */
export const PENDING_DAYS = 7;
/** Nightly re-checks in a row with the routing record elsewhere before a verified hostname lapses. */
export const LAPSE_AFTER_FAILURES = 3;

export type DomainState = "pending" | "verified" | "failed" | "lost" | "expired" | "lapsed";

export interface DomainRow {
  id: string;
  site_id: string;
  container_id: string;
  client_id: string;
  edge_hostname: string;
  hostname: string;
  is_primary: boolean;
  verification_state: DomainState;
  challenge: string;
  checked_at: Date | null;
  verified_at: Date | null;
  created_at: Date;
  problems: Problem[];
  routing_failures: number;
  /** The site is served through its own proxy (path_prefix, section 10): its host points at the customer's server. */
  same_origin: boolean;
  provider_hostname_id: string | null;
  provider_status: string | null;
}

/** Every column of DomainRow, selected from `site_domains d join sites s join sgtm_containers c`. */
export const DOMAIN_SELECT = `
  d.id, d.site_id, s.container_id, c.client_id, c.edge_hostname, d.hostname, d.is_primary, d.verification_state,
  d.challenge, d.checked_at, d.verified_at, d.created_at, d.problems, d.routing_failures,
  d.provider_hostname_id, d.provider_status, (s.path_prefix is not null) as same_origin`;

export async function domainById(sql: Sql, id: string): Promise<DomainRow | null> {
  const [row] = await sql.unsafe<DomainRow[]>(
    `select ${DOMAIN_SELECT} from public.site_domains d
       join public.sites s on s.id = d.site_id join public.sgtm_containers c on c.id = s.container_id
     where d.id = $1 and c.status <> 'deleted'`,
    [id],
  );
  return row ?? null;
}

export async function domainsOfContainer(sql: Sql, containerId: string): Promise<DomainRow[]> {
  return [...await sql.unsafe<DomainRow[]>(
    `select ${DOMAIN_SELECT} from public.site_domains d
       join public.sites s on s.id = d.site_id join public.sgtm_containers c on c.id = s.container_id
     where s.container_id = $1 order by d.created_at, d.hostname`,
    [containerId],
  )];
}

export function domainView(row: DomainRow, policy: DomainPolicy) {
  const expires = row.verification_state === "pending"
    ? new Date(new Date(row.created_at).getTime() + PENDING_DAYS * 86_400_000).toISOString()
    : null;
  return {
    id: row.id,
    hostname: row.hostname,
    site_id: row.site_id,
    is_primary: row.is_primary,
    state: row.verification_state,
    verification: { type: "TXT", name: challengeName(row.hostname), value: row.challenge },
    routing: { type: "CNAME", name: row.hostname, value: row.edge_hostname },
    // an apex cannot hold a CNAME: A/AAAA records of the platform count as well
    ...(policy.apexIps.length ? { routing_apex: { type: "A/AAAA", name: row.hostname, values: policy.apexIps } } : {}),
    checked_at: row.checked_at ? new Date(row.checked_at).toISOString() : null,
    verified_at: row.verified_at ? new Date(row.verified_at).toISOString() : null,
    expires_at: expires,
    problems: row.problems,
    activation: row.provider_hostname_id ? { id: row.provider_hostname_id, status: row.provider_status } : null,
  };
}

export type VerifyOutcome = { ok: true } | { ok: false; taken: true };

/**
 * The claim is proven: it becomes verified and every other pending claim of the
 * hostname becomes `lost`. A hostname another container holds verified stays
 * theirs (the partial unique index answers): `taken`.
 */
export async function markVerified(
  sql: postgres.Sql,
  row: DomainRow,
  activation: { id: string; status: string } | null,
): Promise<VerifyOutcome> {
  try {
    await sql.begin(async (tx) => {
      await tx`
        update public.site_domains set verification_state = 'lost', state_changed_at = now()
        where hostname = ${row.hostname} and id <> ${row.id} and verification_state = 'pending'`;
      await tx`
        update public.site_domains set verification_state = 'verified', verified_at = now(), checked_at = now(),
          problems = '[]', routing_failures = 0, state_changed_at = now(),
          provider_hostname_id = coalesce(${activation?.id ?? null}, provider_hostname_id),
          provider_status = coalesce(${activation?.status ?? null}, provider_status)
        where id = ${row.id}`;
    });
    return { ok: true };
  } catch (error) {
    const pg = error as { code?: string; constraint_name?: string };
    if (pg.code === "23505" && pg.constraint_name === "site_domains_verified_hostname_idx") return { ok: false, taken: true };
    throw error;
  }
}

export async function recordCheck(sql: Sql, id: string, problems: Problem[]): Promise<void> {
  await sql`
    update public.site_domains set checked_at = now(), problems = ${sql.json(problems as unknown as postgres.JSONValue)}
    where id = ${id}`;
}
