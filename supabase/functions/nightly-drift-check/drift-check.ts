/**
 * Nightly drift check: every live container's config_version in the database
 * is compared with what the edge holds (GET admin container; 404 counts as
 * drift). Drifted containers are re-synced. Each verdict is kept in public.drift_checks,
 * where the alerts job finds what the repair could not fix (config_drift).
 */
import type { Sql } from "../_shared/db.ts";
import type { EdgeAdmin } from "../_shared/edge-admin.ts";
import { syncContainer } from "../_shared/edge-sync.ts";

export interface DriftReport {
  checked: number;
  repaired: string[];
  failed: string[];
}

type Verdict = "in_sync" | "repaired" | "failed";

export async function checkDrift(sql: Sql, edge: EdgeAdmin, concurrency = 4): Promise<DriftReport> {
  const containers = await sql<{ id: string; config_version: number }[]>`
    select id, config_version from public.sgtm_containers
    where public.edge_config_live(status) order by id`;
  const verdicts = new Map<string, Verdict>();
  const queue = [...containers];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      verdicts.set(next.id, await checkOne(sql, edge, next.id, next.config_version));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, containers.length) }, worker));
  if (verdicts.size > 0) {
    await sql`
      insert into public.drift_checks (container_id, verdict, checked_at)
      select v.id, v.verdict, now() from unnest(${[...verdicts.keys()]}::uuid[], ${[...verdicts.values()]}::text[]) as v(id, verdict)
      on conflict (container_id) do update set verdict = excluded.verdict, checked_at = excluded.checked_at`;
  }
  const withVerdict = (v: Verdict) => containers.map((c) => c.id).filter((id) => verdicts.get(id) === v);
  return { checked: containers.length, repaired: withVerdict("repaired"), failed: withVerdict("failed") };
}

async function checkOne(sql: Sql, edge: EdgeAdmin, id: string, dbVersion: number): Promise<Verdict> {
  const reply = await edge.getContainer(id);
  if (reply.kind === "unavailable") return "failed";
  if (reply.status === 200 && edgeVersion(reply.body) === dbVersion) return "in_sync";
  if (reply.status !== 200 && reply.status !== 404) return "failed";
  const outcome = await syncContainer(sql, edge, id);
  return outcome.kind === "synced" ? "repaired" : "failed";
}

function edgeVersion(body: unknown): unknown {
  return typeof body === "object" && body !== null ? (body as Record<string, unknown>).config_version : undefined;
}
