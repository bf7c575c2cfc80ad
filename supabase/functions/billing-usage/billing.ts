/**
 * One billing pass (POST billing-usage): for every active or paused container,
 * store the edge's daily request counts of the month (absolute, so a rerun
 * changes nothing), then act on the month's total: pause at the limit, move an
 * auto_upgrade subscription to a plan that covers the usage (the config push
 * raises the edge's limit, which resumes a "usage_limit" pause), or resume a
 * container whose paid plan covers its usage again.
 */
import { z } from "zod";
import { USAGE_LIMIT_REASON } from "../../../src/shared/ids.ts";
import type { Sql } from "../_shared/db.ts";
import type { EdgeAdmin } from "../_shared/edge-admin.ts";
import { type BilledContainer, decide, monthToDate, type PlanRow } from "./decide.ts";

const usageReplySchema = z.object({
  days: z.array(z.object({
    day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
    requests: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  })),
});

export interface BillingRun {
  containers: number;
  paused: string[];
  upgraded: string[];
  resumed: string[];
  /** Containers skipped this pass because the edge did not answer as expected. */
  failed: string[];
}

export interface BillingDeps {
  sql: Sql;
  edge: EdgeAdmin;
  /** Pushes a container's current config to the edge (edge-sync's syncContainer). */
  sync(containerId: string): Promise<{ kind: string }>;
  now?: Date;
}

export async function runBilling(deps: BillingDeps): Promise<BillingRun> {
  const { from, to } = monthToDate(deps.now ?? new Date());
  const plans = await loadPlans(deps.sql);
  const containers = await loadBilledContainers(deps.sql);
  const run: BillingRun = { containers: containers.length, paused: [], upgraded: [], resumed: [], failed: [] };
  for (const container of containers) {
    try {
      await billContainer(deps, plans, container, from, to, run);
    } catch (error) {
      console.error(`billing-usage: container ${container.id} failed`, error);
      run.failed.push(container.id);
    }
  }
  return run;
}

async function billContainer(
  deps: BillingDeps,
  plans: Map<string, PlanRow>,
  container: BilledContainer,
  from: string,
  to: string,
  run: BillingRun,
): Promise<void> {
  const reply = await deps.edge.getUsage(container.id, from, to);
  const usage = reply.kind === "answered" && reply.status === 200 ? usageReplySchema.safeParse(reply.body) : null;
  if (!usage?.success) {
    console.error(`billing-usage: no usage for ${container.id}: ${JSON.stringify(reply)}`);
    run.failed.push(container.id);
    return;
  }
  const monthRequests = await storeUsage(deps.sql, container.id, usage.data.days.filter((d) => d.day >= from && d.day <= to), from, to);
  const decision = decide(container, plans, monthRequests);
  switch (decision.action) {
    case "pause": {
      const paused = await deps.edge.pause(container.id, USAGE_LIMIT_REASON);
      if (paused.kind !== "answered" || paused.status !== 200) return void run.failed.push(container.id);
      await deps.sql`
        update public.sgtm_containers set status = 'paused', paused_reason = ${USAGE_LIMIT_REASON}, paused_at = now()
        where id = ${container.id} and status = 'active'`;
      run.paused.push(container.id);
      return;
    }
    case "upgrade": {
      await deps.sql`
        update public.subscriptions set plan_id = ${decision.planId}
        where id = ${container.subscription!.id}`;
      run.upgraded.push(container.id);
      if (container.status === "paused" && container.paused_reason === USAGE_LIMIT_REASON) {
        if (await resume(deps, container.id)) run.resumed.push(container.id);
        else run.failed.push(container.id);
      } else {
        // a failed push stays in the outbox; the edge gets the new limit on its retry
        await deps.sync(container.id);
      }
      return;
    }
    case "resume": {
      if (await resume(deps, container.id)) run.resumed.push(container.id);
      else run.failed.push(container.id);
      return;
    }
    case "none":
      return;
  }
}

/**
 * Pushes the config first (the edge must hold the limit that now covers the
 * usage, or it pauses again on the next request), then resumes at the edge
 * (idempotent there) and in the database.
 */
async function resume(deps: BillingDeps, containerId: string): Promise<boolean> {
  if ((await deps.sync(containerId)).kind !== "synced") return false;
  const reply = await deps.edge.resume(containerId);
  if (reply.kind !== "answered" || reply.status !== 200) return false;
  await deps.sql`
    update public.sgtm_containers set status = 'active', paused_reason = null, paused_at = null
    where id = ${containerId} and status = 'paused'`;
  return true;
}

/** Upserts the edge's absolute daily counts and returns the month's stored total. */
async function storeUsage(
  sql: Sql,
  containerId: string,
  days: { day: string; requests: number }[],
  from: string,
  to: string,
): Promise<number> {
  if (days.length > 0) {
    await sql`
      insert into public.sgtm_usage_daily_cf (container_id, day, requests)
      select ${containerId}, d.day, d.requests
      from unnest(${days.map((d) => d.day)}::date[], ${days.map((d) => d.requests)}::bigint[]) as d(day, requests)
      on conflict (container_id, day) do update
        set requests = excluded.requests, updated_at = now()
        where public.sgtm_usage_daily_cf.requests is distinct from excluded.requests`;
  }
  const [row] = await sql`
    select coalesce(sum(requests), 0)::bigint as total from public.sgtm_usage_daily_cf
    where container_id = ${containerId} and day between ${from}::date and ${to}::date`;
  return Number(row!.total);
}

async function loadPlans(sql: Sql): Promise<Map<string, PlanRow>> {
  const rows = await sql<PlanRow[]>`select id, monthly_request_limit, upgrade_plan_id, overage_percent from public.plans`;
  return new Map(rows.map((plan) => [plan.id, {
    ...plan,
    monthly_request_limit: plan.monthly_request_limit === null ? null : Number(plan.monthly_request_limit),
  }]));
}

async function loadBilledContainers(sql: Sql): Promise<BilledContainer[]> {
  const rows = await sql`
    select c.id, c.status, c.paused_reason,
           s.id as subscription_id, s.plan_id, s.status as subscription_status, s.auto_upgrade
    from public.sgtm_containers c
    left join public.subscriptions s on s.container_id = c.id and s.status <> 'canceled'
    where c.status in ('active', 'paused')
    order by c.created_at, c.id`;
  return rows.map((row) => ({
    id: row.id,
    status: row.status,
    paused_reason: row.paused_reason,
    subscription: row.subscription_id
      ? { id: row.subscription_id, plan_id: row.plan_id, status: row.subscription_status, auto_upgrade: row.auto_upgrade }
      : null,
  }));
}
