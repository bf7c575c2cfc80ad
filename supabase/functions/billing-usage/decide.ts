/**
 * Billing decisions, no I/O: given a container's month-to-date usage and its
 * subscription, what billing does (pause, upgrade, resume or nothing).
 */
import { USAGE_LIMIT_REASON } from "../../../src/shared/ids.ts";
import { usagePauseAt } from "../../../src/shared/soft-quota.ts";

export interface PlanRow {
  id: string;
  monthly_request_limit: number | null;
  upgrade_plan_id: string | null;
  /** Soft quota (docs/power-ups.md): paused at the limit plus this share; absent = 0. */
  overage_percent?: number;
}

export interface BilledContainer {
  id: string;
  status: "active" | "paused";
  paused_reason: string | null;
  subscription: { id: string; plan_id: string; status: string; auto_upgrade: boolean } | null;
}

export type Decision =
  | { action: "none" }
  | { action: "pause" }
  | { action: "upgrade"; planId: string }
  | { action: "resume" };

/** The UTC calendar month of `now` so far: first day and today, as YYYY-MM-DD. */
export function monthToDate(now: Date): { from: string; to: string } {
  const to = now.toISOString().slice(0, 10);
  return { from: `${to.slice(0, 8)}01`, to };
}

export function isOverLimit(limit: number | null, monthRequests: number): boolean {
  return limit !== null && monthRequests >= limit;
}

/**
 * The first plan along `upgrade_plan_id` from `planId` whose limit covers
 * `monthRequests`; null when the chain ends first (or loops).
 */
export function upgradeTarget(plans: Map<string, PlanRow>, planId: string, monthRequests: number): string | null {
  const seen = new Set([planId]);
  let next = plans.get(planId)?.upgrade_plan_id ?? null;
  while (next && !seen.has(next)) {
    const plan = plans.get(next);
    if (!plan) return null;
    if (!isOverLimit(plan.monthly_request_limit, monthRequests)) return plan.id;
    seen.add(next);
    next = plan.upgrade_plan_id;
  }
  return null;
}

export function decide(container: BilledContainer, plans: Map<string, PlanRow>, monthRequests: number): Decision {
  const subscription = container.subscription;
  if (!subscription) return { action: "none" };
  const plan = plans.get(subscription.plan_id);
  const limit = plan?.monthly_request_limit ?? null;
  if (isOverLimit(limit, monthRequests) && subscription.auto_upgrade) {
    const planId = upgradeTarget(plans, subscription.plan_id, monthRequests);
    if (planId) return { action: "upgrade", planId };
  }
  // Paused where the edge pauses: at the soft limit (the limit plus the plan's overage share).
  const pauseAt = usagePauseAt({ monthly_request_limit: limit, auto_upgrade: false, overage_percent: plan?.overage_percent });
  if (isOverLimit(pauseAt, monthRequests)) {
    // already paused (for the limit, or by an operator for another reason): leave it
    return container.status === "paused" ? { action: "none" } : { action: "pause" };
  }
  // Only a pause billing made is billing's to lift, and only on a paid (active) subscription.
  const coveredAndPaid = subscription.status === "active";
  if (container.status === "paused" && container.paused_reason === USAGE_LIMIT_REASON && coveredAndPaid) {
    return { action: "resume" };
  }
  return { action: "none" };
}
