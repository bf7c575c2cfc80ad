/**
 * Soft quota (docs/power-ups.md): a container pauses for its usage limit at the plan's limit
 * plus `overage_percent` of it (rounded down), never before the limit; null when the plan
 * never pauses (no limit, or auto-upgrade). The edge's object and billing both decide by it.
 */
import type { EdgeConfig } from "./edge-config.ts";

export function usagePauseAt(plan: EdgeConfig["plan"]): number | null {
  const limit = plan.monthly_request_limit;
  if (limit === null || plan.auto_upgrade) return null;
  return limit + Math.floor((limit * (plan.overage_percent ?? 0)) / 100);
}
